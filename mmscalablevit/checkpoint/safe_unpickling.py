"""What a checkpoint may rebuild when the package reads it with
``torch.load(weights_only=True)``.

Besides tensors, real checkpoints hold a few plain objects: the authors'
``argparse.Namespace`` (DeiT and timm files), numpy arrays, scalars and
dtypes (meta data), and mmengine's message hub with its log buffers
(``HistoryBuffer``: two numpy arrays and its statistics methods, pickled as
``getattr(HistoryBuffer, 'mean')``).

None of the real classes is allow-listed: a real ``HistoryBuffer`` would
call ``np.array`` on whatever the file passes it, a real ``Namespace`` takes
any attribute (``__array_interface__`` with a raw pointer included) and the
numpy constructors build object arrays from raw memory. Each of these names
is answered by a stand-in that only records plain data; :func:`materialise`
then checks it and builds the real object with the package's own code:

* ``numpy.dtype`` -> :class:`_DTypeSpec`: the plain numeric kinds only
  (bool, ints, floats, complex; no object, void or structured type);
* ``numpy...multiarray._reconstruct`` / ``numpy.ndarray`` ->
  :class:`_ArraySpec`: a shape, such a dtype and exactly the bytes it needs;
* ``numpy...multiarray.scalar`` -> a numpy scalar of such a dtype;
* ``argparse.Namespace`` -> :class:`_NamespaceSpec`: attributes by name, no
  dunder names;
* ``mmengine...HistoryBuffer`` -> :class:`_HistoryBufferSpec`: two 1-D
  numeric arrays of one length, ``max_length`` and the registered
  statistics methods;
* ``getattr`` -> ``HistoryBuffer``'s registered statistics methods, by name;
* ``bytes`` -> ``b''`` (what pickle protocol 2 writes for it).

No stand-in calls anything on an object the file built, and none can be
built twice. :func:`materialise` visits every object once (memo by id, no
recursion), so its work is linear in the file; the arrays it allocates may
not exceed the file's size. A file without stand-ins comes back as torch
built it.

The stand-ins are allowed only during the package's reads
(:func:`safe_unpickling`, with ``torch.serialization.safe_globals``), on
top of the user's own allow-list.
"""
import argparse
import contextvars
import pickle
from contextlib import contextmanager

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

# numpy's plain kinds: bool, signed/unsigned ints, floats, complex
_PLAIN_KINDS = frozenset('biufc')
_DEFAULT_STATISTICS = ('min', 'max', 'current', 'mean')
_ACCEPTS = ('tensors, plain Python data, numeric numpy arrays, scalars and '
            "dtypes, mmengine's log buffers and argparse namespaces")


class _Load:
    """The stand-ins one read created, and those another stand-in took as
    an argument (to find any left behind)."""

    def __init__(self):
        self.created = []
        self.consumed = set()


_CURRENT = contextvars.ContextVar('mmscalablevit_load', default=None)


def _refuse(what: str):
    raise pickle.UnpicklingError(f'mmscalablevit refuses {what} (a '
                                 f'checkpoint may hold {_ACCEPTS} only)')


def _created(spec) -> None:
    load = _CURRENT.get()
    if load is None:  # the name was reached outside the package's reader
        _refuse('a stand-in outside a read')
    load.created.append(spec)


def _plain_dtype(spec) -> np.dtype:
    """A real plain numeric dtype from a string, a spec or a dtype."""
    if isinstance(spec, _DTypeSpec):
        _CURRENT.get().consumed.add(id(spec))
        dtype = spec.dtype
    elif type(spec) is str and len(spec) <= 8:
        try:
            dtype = np.dtype(spec)
        except TypeError:
            _refuse(f'numpy dtype {spec!r}')
    elif isinstance(spec, np.dtype):
        dtype = spec
    else:
        _refuse(f'numpy dtype of type {type(spec).__name__}')
    if dtype.kind not in _PLAIN_KINDS or dtype.hasobject \
            or dtype.fields is not None or dtype.subdtype is not None:
        _refuse(f'numpy dtype {str(dtype)!r}')
    return dtype


class _Spec:
    """A stand-in: created empty (``NEWOBJ`` or a call without arguments),
    given its state once (``BUILD``)."""

    def __new__(cls, *args, **kwargs):
        if args or kwargs:
            _refuse(f'a call of {cls.what} with arguments')
        spec = super().__new__(cls)
        spec.state = None
        _created(spec)
        return spec

    def __setstate__(self, state):
        if self.state is not None:
            _refuse(f'a second state for {self.what}')
        if not isinstance(state, (dict, tuple)):
            _refuse(f'{self.what} state of type {type(state).__name__}')
        self.state = state


class _DTypeSpec(_Spec):
    """``numpy.dtype(spec, align, copy)`` plus its pickled state."""
    what = 'numpy.dtype'

    def __new__(cls, spec=None, align=False, copy=True):
        if type(align) is not bool or type(copy) is not bool:
            _refuse('numpy.dtype flags')
        self = object.__new__(cls)
        self.state = None
        self.dtype = _plain_dtype(spec)
        _created(self)
        return self

    def __setstate__(self, state):
        # (version, byte order, subarray, names, fields, elsize, alignment,
        # flags) of a plain dtype
        if self.state is not None:
            _refuse('a second state for numpy.dtype')
        if not (type(state) is tuple and len(state) in (8, 9)):
            _refuse('a numpy.dtype state that is not a plain tuple')
        order, subarray, names, fields = state[1:5]
        if subarray is not None or names is not None or fields is not None \
                or state[7] != 0 or order not in ('<', '>', '|', '='):
            _refuse('a numpy.dtype state of a non-numeric dtype')
        self.state = state
        if order in '<>' and self.dtype.itemsize > 1:
            self.dtype = self.dtype.newbyteorder(order)


class _NDArrayName:
    """What the name ``numpy.ndarray`` stands for: an argument of
    ``_reconstruct`` only, never callable."""

    def __call__(self, *args, **kwargs):
        _refuse('a call of numpy.ndarray')


_NDARRAY = _NDArrayName()


class _ArraySpec(_Spec):
    """A numpy array: state (version, shape, dtype, fortran, bytes)."""
    what = 'a numpy array'

    def __setstate__(self, state):
        if self.state is not None:
            _refuse('a second state for a numpy array')
        if not (type(state) is tuple and len(state) == 5):
            _refuse('a numpy array state that is not a 5-tuple')
        _, shape, dtype, fortran, data = state
        if not (type(shape) is tuple and len(shape) <= 32
                and all(type(s) is int and s >= 0 for s in shape)):
            _refuse('a numpy array shape that is not a tuple of sizes')
        dtype = _plain_dtype(dtype)
        if type(data) is str:  # protocol 2 writes bytes as latin-1 text
            data = data.encode('latin-1')
        count = 1
        for size in shape:
            count *= size
        if type(data) is not bytes or len(data) != count * dtype.itemsize:
            _refuse('numpy array data whose size does not match its shape')
        self.state = (shape, dtype, bool(fortran), data)

    def build(self, budget: list) -> np.ndarray:
        """The array (a copy of the file's bytes, taken from ``budget``)."""
        if self.state is None:
            _refuse('a numpy array without data')
        shape, dtype, fortran, data = self.state
        budget[0] -= len(data)
        if budget[0] < 0:
            _refuse('numpy arrays larger than the file')
        array = np.frombuffer(data, dtype=dtype).copy()
        return array.reshape(shape, order='F' if fortran else 'C')


class _NamespaceSpec(_Spec):
    """An ``argparse.Namespace``: attribute names -> values."""
    what = 'argparse.Namespace'

    def __setstate__(self, state):
        super().__setstate__(state)
        if type(state) is not dict or not all(
                type(k) is str and not k.startswith('__') for k in state):
            _refuse('an argparse.Namespace state that is not a dict of '
                    'attribute names (dunder names are refused)')

    def build(self, state: dict) -> argparse.Namespace:
        return argparse.Namespace(**state)


def _statistics() -> dict:
    """HistoryBuffer's statistics methods: its four defaults (registered by
    its first instance) and any registered in this process."""
    methods = {k: getattr(HistoryBuffer, k) for k in _DEFAULT_STATISTICS}
    methods.update(HistoryBuffer._statistics_methods)
    return methods


class _HistoryBufferSpec(_Spec):
    """mmengine's ``HistoryBuffer``: its attributes, checked when built."""
    what = 'HistoryBuffer'
    _keys = {'_log_history', '_count_history', 'max_length'}

    def __setstate__(self, state):
        super().__setstate__(state)
        if type(state) is not dict or not self._keys <= set(state) <= \
                self._keys | {'statistics_methods'}:
            _refuse('a HistoryBuffer state other than its four attributes')

    def build(self, state: dict) -> HistoryBuffer:
        log, count = state['_log_history'], state['_count_history']
        for array in (log, count):
            if type(array) is not np.ndarray or array.ndim != 1:
                _refuse('a HistoryBuffer history that is not a 1-D array')
        if len(log) != len(count):
            _refuse('HistoryBuffer histories of different lengths')
        if type(state['max_length']) is not int:
            _refuse('a HistoryBuffer max_length that is not an int')
        methods = state.get('statistics_methods', {})
        registered = _statistics()
        if type(methods) is not dict or any(
                type(k) is not str or registered.get(k) is not v
                for k, v in methods.items()):
            _refuse('HistoryBuffer statistics methods that are not '
                    'registered in this process')
        buffer = HistoryBuffer.__new__(HistoryBuffer)
        buffer.__setstate__(dict(state))
        return buffer


def _reconstruct(cls, shape, typecode):
    if cls is not _NDARRAY and cls is not np.ndarray:
        _refuse(f'numpy _reconstruct of {type(cls).__name__}')
    return _ArraySpec()


def _scalar(dtype, data=None):
    dtype = _plain_dtype(dtype)
    if type(data) is str:
        data = data.encode('latin-1')
    if type(data) is not bytes or len(data) != dtype.itemsize:
        _refuse('a numpy scalar whose data does not match its dtype')
    return np.frombuffer(data, dtype=dtype, count=1)[0]


def _history_buffer_getattr(obj, name):
    if obj is _HistoryBufferSpec and type(name) is str:
        method = _statistics().get(name)
        if method is not None:
            return method
    _refuse(f'getattr of {name!r}' if type(name) is str else 'getattr')


def _bytes(*args):
    if args:  # bytes(n) would allocate n bytes
        _refuse('a call of bytes with arguments')
    return b''


def _stand_ins() -> list:
    """(object, global name) pairs for ``torch.serialization``."""
    pairs = [(_NamespaceSpec, 'argparse.Namespace'),
             (_bytes, '__builtin__.bytes'), (_bytes, 'builtins.bytes'),
             (_DTypeSpec, 'numpy.dtype'), (_NDARRAY, 'numpy.ndarray'),
             (_HistoryBufferSpec,
              'mmengine.logging.history_buffer.HistoryBuffer')]
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        pairs += [(_reconstruct, module + '._reconstruct'),
                  (_scalar, module + '.scalar')]
    for name in ('__builtin__.getattr', 'builtins.getattr'):
        pairs.append((_history_buffer_getattr, name))
    # BUILD needs the spec classes among the allowed values; a name with a
    # newline can never be spelled by a pickle's GLOBAL opcode.
    pairs.append((_ArraySpec, 'mmscalablevit\n_ArraySpec'))
    return pairs


_STAND_INS = _stand_ins()
_NAMES = {name for _, name in _STAND_INS}


def _name(entry) -> str:
    if isinstance(entry, tuple):
        return entry[1]
    return f'{entry.__module__}.{entry.__qualname__}'


@contextmanager
def safe_unpickling():
    """Inside, ``torch.load(weights_only=True)`` also allows the stand-ins
    above. The user's own allow-list stays in force; only its entries for
    the names the stand-ins answer are set aside meanwhile (the stand-ins
    rebuild the same objects from checked data). Yields the read's
    :class:`_Load`."""
    serialization = torch.serialization
    user = serialization.get_safe_globals()
    shadowed = [e for e in user if _name(e) in _NAMES]
    if shadowed:
        serialization.clear_safe_globals()
        serialization.add_safe_globals(
            [e for e in user if _name(e) not in _NAMES])
    load = _Load()
    token = _CURRENT.set(load)
    try:
        with serialization.safe_globals(_STAND_INS):
            yield load
    finally:
        _CURRENT.reset(token)
        if shadowed:
            serialization.add_safe_globals(shadowed)


_CONTAINERS = (dict, list, tuple, set, frozenset)


def _children(obj) -> list:
    kind = type(obj)
    if kind in (_NamespaceSpec, _HistoryBufferSpec):
        return list(obj.state.values()) if obj.state is not None else []
    if isinstance(obj, dict):
        return [x for item in obj.items() for x in item]
    return list(obj)


def _walkable(obj) -> bool:
    return type(obj) in (_NamespaceSpec, _HistoryBufferSpec) or (
        isinstance(obj, _CONTAINERS)
        and type(obj).__module__ in ('builtins', 'collections'))


def materialise(obj, load: _Load, budget: int):
    """``obj`` with every stand-in replaced by the real object it checked
    (the same object wherever the file shares one). Containers keep their
    identity where they can (dicts, lists and sets are updated in place).

    Args:
        load (_Load): The read that made ``obj`` (its stand-in count).
        budget (int): The bytes all arrays together may take.
    """
    if not load.created:
        return obj  # torch's own object, untouched
    budget = [budget]
    done = {}  # id -> the object it becomes
    keep = []  # originals stay alive while their ids are keys
    seen_open = set()  # ids met again while their children were open
    stack = [(obj, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if not children_done:
            if key in done:
                continue
            if not _walkable(node):
                if isinstance(node, (_DTypeSpec, _ArraySpec)):
                    done[key] = node.dtype if isinstance(
                        node, _DTypeSpec) else node.build(budget)
                else:
                    done[key] = node
                keep.append(node)
                continue
            done[key] = node  # open: a cycle back here sees the original
            keep.append(node)
            stack.append((node, True))
            for child in _children(node):
                if id(child) not in done:
                    stack.append((child, False))
                elif done[id(child)] is child and _walkable(child):
                    seen_open.add(id(child))
            continue
        new = _finish(node, done)
        if new is not node and key in seen_open:
            _refuse('a self-referencing structure around numpy data or '
                    'namespaces')
        done[key] = new
    if any(
            id(s) not in done and id(s) not in load.consumed
            for s in load.created):
        _refuse('numpy data or namespaces inside objects other than dicts, '
                'lists, tuples and sets')
    return done[id(obj)]


def _finish(node, done: dict):
    """``node`` with its children replaced (all of them are done)."""

    def new(x):
        return done.get(id(x), x)

    kind = type(node)
    if kind is _NamespaceSpec:
        return node.build({k: new(v) for k, v in (node.state or {}).items()})
    if kind is _HistoryBufferSpec:
        if node.state is None:
            _refuse('a HistoryBuffer without state')
        return node.build({k: new(v) for k, v in node.state.items()})
    if isinstance(node, dict):
        items = [(new(k), new(v)) for k, v in node.items()]
        if any(
                a is not k or b is not v
                for (a, b), (k, v) in zip(items, node.items())):
            node.clear()
            for k, v in items:  # Counter.update would add counts
                node[k] = v
        return node
    if isinstance(node, list):
        node[:] = [new(x) for x in node]
        return node
    if isinstance(node, set):
        items = [new(x) for x in node]
        node.clear()
        node.update(items)
        return node
    items = [new(x) for x in node]  # tuple, frozenset: new if changed
    if all(a is b for a, b in zip(items, node)):
        return node
    return kind(items)
