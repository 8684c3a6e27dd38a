"""What a checkpoint may rebuild when it is read with ``weights_only=True``.

Besides tensors, real checkpoints hold a few plain objects: the authors'
``argparse.Namespace`` (DeiT-style files), and mmengine's message hub with
its log buffers (``HistoryBuffer``: numpy arrays, numpy scalars, and its
statistics methods, pickled as ``getattr(HistoryBuffer, 'mean')``).

None of the real constructors is allow-listed: ``numpy.ndarray`` and
``numpy.dtype`` would let a file build object arrays from raw pointers, and
``getattr`` would let it reach any attribute. Each global a checkpoint may
name is answered by a stand-in that only rebuilds plain data:

* ``numpy.dtype`` -> a :class:`_DTypeSpec` that accepts the plain numeric
  kinds only (bool, ints, floats, complex; no object, void or structured
  type, no flags);
* ``numpy...multiarray._reconstruct`` / ``numpy.ndarray`` -> an
  :class:`_ArraySpec` whose state must be a shape, such a dtype and exactly
  the bytes it needs; :func:`materialise` then turns every spec into a real
  array (``np.frombuffer``, copied);
* ``numpy...multiarray.scalar`` -> a numpy scalar of such a dtype, from
  exactly ``itemsize`` bytes;
* ``getattr`` -> ``HistoryBuffer``'s four statistics methods, by name.

The stand-ins are registered only while this package reads a file
(:func:`safe_unpickling`), never process-wide.
"""
import argparse
import collections
import pickle
from contextlib import contextmanager

import torch

# numpy's plain kinds: bool, signed/unsigned ints, floats, complex
_PLAIN_KINDS = frozenset('biufc')
_STATISTICS = ('min', 'max', 'current', 'mean')


def _refuse(what: str):
    raise pickle.UnpicklingError(
        f'Refusing {what} in a checkpoint: only plain numeric numpy data, '
        "mmengine's log buffers and argparse namespaces can be rebuilt.")


def _plain_dtype(spec):
    import numpy as np
    if isinstance(spec, _DTypeSpec):
        return spec.dtype
    if not isinstance(spec, str):
        _refuse(f'numpy dtype {spec!r}')
    try:
        dtype = np.dtype(spec)
    except TypeError:
        _refuse(f'numpy dtype {spec!r}')
    if dtype.kind not in _PLAIN_KINDS or dtype.hasobject or dtype.fields \
            or dtype.subdtype is not None:
        _refuse(f'numpy dtype {spec!r}')
    return dtype


class _DTypeSpec:
    """A validated plain numpy dtype (``numpy.dtype(spec, align, copy)``
    plus its pickled state)."""

    def __init__(self, spec, align=False, copy=True):
        self.dtype = _plain_dtype(spec)

    def __setstate__(self, state):
        # (version, byte order, subarray, names, fields, elsize, alignment,
        # flags) of a plain dtype
        if not (isinstance(state, tuple) and len(state) in (8, 9)):
            _refuse(f'numpy dtype state {state!r}')
        order, subarray, names, fields = state[1:5]
        if subarray is not None or names is not None or fields is not None \
                or state[7] != 0 or order not in ('<', '>', '|', '='):
            _refuse(f'numpy dtype state {state!r}')
        if order in '<>' and self.dtype.itemsize > 1:
            self.dtype = self.dtype.newbyteorder(order)


class _NDArrayName:
    """What the name ``numpy.ndarray`` stands for: an argument of
    ``_reconstruct`` only, never callable."""

    def __call__(self, *args, **kwargs):
        _refuse('a call of numpy.ndarray')


_NDARRAY = _NDArrayName()


class _ArraySpec:
    """A plain numpy array described by a checkpoint: its state is checked
    and turned into an array by :func:`materialise`."""

    def __init__(self):
        self.array = None

    def __setstate__(self, state):
        import numpy as np
        if not (isinstance(state, tuple) and len(state) == 5):
            _refuse(f'numpy array state of type {type(state).__name__}')
        _, shape, dtype, fortran, data = state
        if not (isinstance(shape, tuple)
                and all(isinstance(s, int) and s >= 0 for s in shape)):
            _refuse(f'numpy array shape {shape!r}')
        dtype = _plain_dtype(dtype)
        if isinstance(data, str):  # protocol 2 writes bytes as latin-1 text
            data = data.encode('latin-1')
        count = int(np.prod(shape, dtype=np.int64))
        if not isinstance(data, bytes) or len(data) != count * dtype.itemsize:
            _refuse('numpy array data whose size does not match its shape')
        array = np.frombuffer(data, dtype=dtype, count=count).copy()
        self.array = array.reshape(shape, order='F' if fortran else 'C')


def _reconstruct(cls, shape, typecode):
    if cls is not _NDARRAY:
        _refuse(f'numpy _reconstruct of {cls!r}')
    return _ArraySpec()


def _scalar(dtype, data=None):
    import numpy as np
    dtype = _plain_dtype(dtype)
    if isinstance(data, str):
        data = data.encode('latin-1')
    if not isinstance(data, bytes) or len(data) != dtype.itemsize:
        _refuse('a numpy scalar whose data does not match its dtype')
    return np.frombuffer(data, dtype=dtype, count=1)[0]


def _history_buffer_getattr(obj, name):
    from mmengine.logging import HistoryBuffer
    if obj is HistoryBuffer and name in _STATISTICS:
        return getattr(HistoryBuffer, name)
    _refuse(f'getattr({getattr(obj, "__name__", obj)!r}, {name!r})')


def _stand_ins() -> list:
    """(object, global name) pairs for ``torch.serialization``."""
    pairs = [(argparse.Namespace, 'argparse.Namespace'),
             (bytes, '__builtin__.bytes'), (bytes, 'builtins.bytes'),
             (collections.Counter, 'collections.Counter'),
             (_DTypeSpec, 'numpy.dtype'), (_NDARRAY, 'numpy.ndarray')]
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        pairs += [(_reconstruct, module + '._reconstruct'),
                  (_scalar, module + '.scalar')]
    for name in ('__builtin__.getattr', 'builtins.getattr'):
        pairs.append((_history_buffer_getattr, name))
    # BUILD needs the spec classes among the allowed values; a name with a
    # newline can never be spelled by a pickle's GLOBAL opcode.
    pairs.append((_ArraySpec, 'mmscalablevit\n_ArraySpec'))
    try:
        from mmengine.logging import HistoryBuffer
        pairs.append((HistoryBuffer,
                      'mmengine.logging.history_buffer.HistoryBuffer'))
    except ImportError:  # pragma: no cover
        pass
    return pairs


@contextmanager
def safe_unpickling():
    """Inside, ``torch.load(weights_only=True)`` allows exactly the
    stand-ins above (entries registered elsewhere are set aside meanwhile:
    they could name the same globals)."""
    serialization = torch.serialization
    saved = serialization.get_safe_globals()
    serialization.clear_safe_globals()
    serialization.add_safe_globals(_stand_ins())
    try:
        yield
    finally:
        serialization.clear_safe_globals()
        serialization.add_safe_globals(saved)


def materialise(obj):
    """Replace every :class:`_ArraySpec` in a loaded object by its array
    (in dicts, lists, tuples and the attributes of log buffers and
    namespaces)."""
    if isinstance(obj, _ArraySpec):
        return obj.array
    if isinstance(obj, dict):
        for key, value in obj.items():
            obj[key] = materialise(value)
        return obj
    if isinstance(obj, list):
        obj[:] = [materialise(v) for v in obj]
        return obj
    if isinstance(obj, tuple):
        items = [materialise(v) for v in obj]
        return type(obj)(*items) if hasattr(obj, '_fields') else tuple(items)
    if type(obj).__name__ in ('HistoryBuffer', 'Namespace') and hasattr(
            obj, '__dict__'):
        materialise(vars(obj))
    return obj
