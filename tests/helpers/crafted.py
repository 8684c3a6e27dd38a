"""Crafted checkpoint files, one per kind of attack or breakage.

:func:`write_crafted` writes them all into a folder. Each file is refused
by the package's reader (``'refused'``) or, being harmless, read as plain
torch reads it (``'loads'``: these hold no state dict, so every path that
loads weights refuses them by that). Payloads that would run code try to
create the file ``marker``.
"""
import argparse
import collections
import io
import os
import pathlib
import pickle
import subprocess
import zipfile

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

multiarray = np._core.multiarray
P = pickle


class Reduce:
    """Pickles as ``func(*args)``, then ``BUILD state`` if given."""

    def __init__(self, func, args, state=None):
        self.func, self.args, self.state = func, args, state

    def __call__(self, *args):  # pickle wants a callable in the first slot
        raise AssertionError('never called when pickling')

    def __reduce__(self):
        if self.state is None:
            return self.func, self.args
        return self.func, self.args, self.state


def torch_zip(pickled: bytes, path) -> None:
    """A torch zip checkpoint whose object pickle is ``pickled``."""
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_STORED) as archive:
        archive.writestr('archive/data.pkl', pickled)
        archive.writestr('archive/version', '3\n')
        archive.writestr('archive/byteorder', 'little')


def _interface(typestr):
    """A namespace that numpy would read as an array at address 16."""
    return Reduce(
        argparse.Namespace, (),
        state={
            '__array_interface__': {
                'shape': (1, ),
                'typestr': typestr,
                'data': (16, False),
                'version': 3
            }
        })


def _shared_tuples(depth, leaf):
    node = leaf
    for _ in range(depth):
        node = (node, node)
    return node


def _dag_key(depth):
    """{X[depth]: 0}, X[0] = 0, X[k] = (X[k-1], X[k-1]), written by hand:
    building the key in Python would hash it."""
    data = bytearray(P.PROTO + b'\x02' + P.EMPTY_DICT + P.BININT1 + b'\0' +
                     P.BINPUT + b'\0')
    for k in range(1, depth + 1):
        data += P.BINGET + bytes([k - 1]) + P.TUPLE2 + P.BINPUT + bytes([k])
    return bytes(data + P.BININT1 + b'\0' + P.SETITEM + P.STOP)


def _nested_lists(depth):
    return P.PROTO + b'\x02' + P.EMPTY_LIST * depth + \
        P.APPEND * (depth - 1) + P.STOP


def _lying_numel(path):
    """A tensor of 4 floats whose storage claims 2**28 elements."""
    buffer = io.BytesIO()
    torch.save({'w': torch.zeros(4)}, buffer)
    source = zipfile.ZipFile(buffer)
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_STORED) as archive:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.endswith('data.pkl'):
                old = b"X\x03\x00\x00\x00cpuq\x06K\x04t"
                assert old in data
                data = data.replace(
                    old, b"X\x03\x00\x00\x00cpuq\x06J\x00\x00\x00\x10t")
            archive.writestr(info.filename, data)


def _zip_bomb(path):
    """A 64 MiB tensor record deflated to about 64 KiB."""
    buffer = io.BytesIO()
    torch.save({'w': torch.zeros(1 << 24)}, buffer)
    source = zipfile.ZipFile(buffer)
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info.filename))


def _namespace_cycle():
    namespace = argparse.Namespace()
    namespace.me = namespace
    return namespace


def _self_list():
    items = []
    items.append(items)
    return items


def _objects(marker):
    """name -> (object to torch.save, expected outcome)."""
    touch = f'open({str(marker)!r}, "w").close()'
    history = HistoryBuffer
    shared = bytes(1 << 16)  # one bytes object under 2000 arrays
    return {
        # a log buffer called on a namespace posing as an array
        'history_buffer_raw_pointer':
        (Reduce(history, ([_interface('|u1')], [1])), 'refused'),
        'history_buffer_object_pointer':
        (Reduce(history, ([_interface('|O')], [1])), 'refused'),
        'history_buffer_call': (Reduce(history, ([1.0], [1])), 'refused'),
        'namespace_dunder_state': (_interface('|u1'), 'refused'),
        'namespace_slot_state': (Reduce(
            argparse.Namespace, (),
            state=(None, {
                '__class__': argparse.Namespace
            })), 'refused'),
        'history_buffer_forged_state': (Reduce(
            history, (),
            state={
                '_log_history': [1.0],
                '_count_history': [1],
                'max_length': 1
            }), 'refused'),
        'history_buffer_new_statistic': (Reduce(
            history, (),
            state={
                '_log_history': np.zeros(1),
                '_count_history': np.ones(1),
                'max_length': 1,
                'statistics_methods': {
                    'forged': Reduce(getattr, (history, 'mean'))
                }
            }), 'refused'),
        # work and memory
        'shared_tuples_depth40': (_shared_tuples(40, []), 'refused'),
        'shared_tuples_depth20_arrays':
        (_shared_tuples(20, [np.arange(3.)]), 'loads'),
        'bytes_call': (Reduce(bytes, (1 << 30, )), 'refused'),
        'bytes_into_array': (Reduce(
            multiarray._reconstruct, (np.ndarray, (0, ), b'b'),
            (1, (1 << 30, ), np.dtype('u1'), False, Reduce(bytes,
                                                           (1 << 30, )))),
                             'refused'),
        'shared_bytes_arrays': ([
            Reduce(multiarray._reconstruct, (np.ndarray, (0, ), b'b'),
                   (1, (1 << 16, ), np.dtype('u1'), False, shared))
            for _ in range(2000)
        ], 'refused'),
        'bytearray_call': (Reduce(bytearray, (1 << 30, )), 'refused'),
        # code
        'posix_system': (Reduce(os.system, (f'touch {marker}', )), 'refused'),
        'builtins_exec': (Reduce(exec, (touch, )), 'refused'),
        'builtins_eval': (Reduce(eval, (touch, )), 'refused'),
        'subprocess_popen': (Reduce(subprocess.Popen,
                                    (['touch', str(marker)], )), 'refused'),
        'pathlib_touch':
        (Reduce(Reduce(getattr, (pathlib.Path(marker), 'touch')),
                ()), 'refused'),
        'getattr_mro': (Reduce(Reduce(getattr, (history, 'mro')),
                               ()), 'refused'),
        'getattr_register': (Reduce(
            Reduce(getattr, (history, 'register_statistics')),
            (Reduce(getattr, (history, 'mean')), )), 'refused'),
        'getattr_other_class': (Reduce(getattr,
                                       (np.ndarray, 'mean')), 'refused'),
        # numpy
        'ndarray_call': (Reduce(np.ndarray,
                                ((1, ), 'O', b'AAAAAAAA')), 'refused'),
        'object_array_state':
        (Reduce(multiarray._reconstruct, (np.ndarray, (0, ), b'b'),
                (1, (1, ), np.dtype('O'), False, b'AAAAAAAA')), 'refused'),
        'object_scalar': (Reduce(multiarray.scalar,
                                 (np.dtype('O'), b'AAAAAAAA')), 'refused'),
        'structured_dtype': (np.zeros(1, dtype=[('a', 'f8'),
                                                ('b', 'i4')]), 'refused'),
        'void_dtype': (np.zeros(2, dtype='V8'), 'refused'),
        'short_array_data':
        (Reduce(multiarray._reconstruct, (np.ndarray, (0, ), b'b'),
                (1, (1000, ), np.dtype('f8'), False, b'\0' * 8)), 'refused'),
        # structure
        'self_reference': (_self_list(), 'loads'),
        'namespace_self_reference': (_namespace_cycle(), 'refused'),
        'counter': (collections.Counter('abc'), 'loads'),
    }


def write_crafted(folder, marker) -> dict:
    """Write every crafted file into ``folder``: name -> (path, expected
    outcome of the reader: 'refused', 'loads' or 'directory')."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, (obj, expect) in _objects(marker).items():
        path = folder / f'{name}.pth'
        torch.save({'x': obj}, path)
        files[name] = (path, expect)

    def raw(name, data, expect):
        path = folder / f'{name}.pth'
        path.write_bytes(data)
        files[name] = (path, expect)

    buffer = io.BytesIO()
    torch.save({'state_dict': {'w': torch.zeros(64)}}, buffer)
    raw('truncated',
        buffer.getvalue()[:len(buffer.getvalue()) // 2], 'refused')
    raw('empty', b'', 'refused')
    raw('text', b'hello, not a model\n', 'refused')
    raw('random_bytes', np.random.RandomState(0).bytes(4096), 'refused')
    raw('deep_nesting_raw', _nested_lists(20000), 'refused')
    for name, pickled, expect in [
        ('deep_nesting', _nested_lists(20000), 'loads'),
        ('shared_tuples_dict_key', _dag_key(40), 'refused'),
    ]:
        path = folder / f'{name}.pth'
        torch_zip(pickled, path)
        files[name] = (path, expect)
    for name, writer in [('lying_storage_numel', _lying_numel),
                         ('zip_bomb', _zip_bomb)]:
        path = folder / f'{name}.pth'
        writer(path)
        files[name] = (path, 'refused')
    directory = folder / 'a_directory.pth'
    directory.mkdir(exist_ok=True)
    files['directory'] = (directory, 'directory')
    return files
