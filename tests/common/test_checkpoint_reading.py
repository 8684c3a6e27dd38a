"""Reading checkpoints: weights_only on every path (files and URLs), the
plain data real checkpoints hold is rebuilt, crafted files are refused
with a clear error before they can do harm, and non-checkpoints are named
as such."""
import functools
import http.server
import os.path as osp
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

from mmscalablevit.checkpoint import (CheckpointReadError, load_pretrained,
                                      read_checkpoint)
from mmscalablevit.models import ScalableViT

from ..helpers import ROOT
from ..helpers.runs import DET, det_options
from ..scalable_vit.fixtures import TINY_ARCH

multiarray = np._core.multiarray


class _Reduce:
    """An object that pickles as ``func(*args)`` (plus ``state``)."""

    def __init__(self, func, args, state=None):
        self.func, self.args, self.state = func, args, state

    def __call__(self, *args):  # pickle wants a callable in the first slot
        raise AssertionError('never called when pickling')

    def __reduce__(self):
        if self.state is None:
            return self.func, self.args
        return self.func, self.args, self.state


# Files a checkpoint must never be able to turn into objects.
CRAFTED = {
    # the reported reproduction: an object array around a raw pointer
    'ndarray_call':
    lambda: _Reduce(np.ndarray, ((1, ), 'O', b'AAAAAAAA')),
    'object_array_state':
    lambda: _Reduce(multiarray._reconstruct, (np.ndarray, (0, ), b'b'),
                    (1, (1, ), np.dtype('O'), False, b'AAAAAAAA')),
    'object_scalar':
    lambda: _Reduce(multiarray.scalar, (np.dtype('O'), b'AAAAAAAA')),
    'structured_dtype':
    lambda: np.zeros(1, dtype=[('a', 'f8'), ('b', 'i4')]),
    'void_dtype':
    lambda: np.zeros(2, dtype='V8'),
    'short_data':
    lambda: _Reduce(multiarray._reconstruct, (np.ndarray, (0, ), b'b'),
                    (1, (1000, ), np.dtype('f8'), False, b'\0' * 8)),
    'getattr_mro':
    lambda: _Reduce(_Reduce(getattr, (HistoryBuffer, 'mro')), ()),
    'getattr_register':
    lambda: _Reduce(
        _Reduce(getattr, (HistoryBuffer, 'register_statistics')),
        (_Reduce(getattr, (HistoryBuffer, 'mean')), )),
    'getattr_other_class':
    lambda: _Reduce(getattr, (np.ndarray, 'mean')),
}


def _crafted_file(tmp_path, name):
    path = tmp_path / f'{name}.pth'
    torch.save({'state_dict': {}, 'x': CRAFTED[name]()}, path)
    return path


@pytest.mark.parametrize('name', sorted(CRAFTED))
def test_crafted_files_are_refused_by_the_reader(name, tmp_path):
    """In a separate process (the reported file crashed it) and with the
    package imported: refused with a message naming the file."""
    path = _crafted_file(tmp_path, name)
    before = dict(HistoryBuffer._statistics_methods)
    code = textwrap.dedent(f"""
        import torch, mmscalablevit
        from mmscalablevit.checkpoint import read_checkpoint
        try:
            obj = read_checkpoint({str(path)!r})
        except Exception as error:
            print(type(error).__name__, str(error).replace('\\n', ' '))
        else:
            print('LOADED', repr(obj)[:200])
        try:
            torch.load({str(path)!r}, weights_only=True)
        except Exception as error:
            print('PLAIN', type(error).__name__)
        else:
            print('PLAIN LOADED')
        from mmengine.logging import HistoryBuffer
        print(sorted(HistoryBuffer._statistics_methods))
    """)
    proc = subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith('CheckpointReadError'), lines
    assert str(path) in lines[0] and 'refused' in lines[0].lower()
    # torch.load itself, after `import mmscalablevit`, refuses too
    assert lines[1].startswith('PLAIN UnpicklingError'), lines
    # nothing process-wide was changed by the attempt
    assert lines[2] == str(sorted(before))


def test_plain_data_of_real_checkpoints_is_rebuilt(tmp_path):
    buffer = HistoryBuffer()
    for v in (1.5, 2.5, 4.0):
        buffer.update(v)
    obj = {
        'c': np.arange(6.).reshape(2, 3),
        'f': np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3)),
        'big_endian': np.arange(3, dtype='>f4'),
        'empty': np.zeros((0, 4), np.float32),
        'scalars': (np.float64(2.5), np.int64(-3), np.bool_(True)),
        'buffer': buffer,
        'tensor': torch.arange(4.)
    }
    path = tmp_path / 'plain.pth'
    torch.save(obj, path)
    loaded = read_checkpoint(str(path))
    for key in ('c', 'f', 'big_endian', 'empty'):
        assert type(loaded[key]) is np.ndarray
        assert loaded[key].dtype == obj[key].dtype
        np.testing.assert_array_equal(loaded[key], obj[key])
    assert loaded['f'].flags.f_contiguous
    assert loaded['scalars'] == obj['scalars']
    assert [type(s) for s in loaded['scalars']] == \
        [type(s) for s in obj['scalars']]
    rebuilt = loaded['buffer']
    assert isinstance(rebuilt, HistoryBuffer)
    assert rebuilt.mean() == buffer.mean() and rebuilt.current() == 4.0
    assert torch.equal(loaded['tensor'], obj['tensor'])


@pytest.mark.parametrize(
    'content,what', [(b'', 'is empty (0 bytes)'),
                     (b'hello, not a model\n', 'is not a PyTorch checkpoint'),
                     (b'e' * 300, 'is not a PyTorch checkpoint')])
def test_non_checkpoints_are_named(content, what, tmp_path):
    path = tmp_path / 'weights.pth'
    path.write_bytes(content)
    with pytest.raises(CheckpointReadError) as error:
        read_checkpoint(str(path))
    assert str(path) in str(error.value) and what in str(error.value)
    # the same through a backbone's init_cfg
    model = ScalableViT(
        TINY_ARCH, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    with pytest.raises(CheckpointReadError, match='not a PyTorch|empty'):
        model.init_weights()


def test_every_loading_path_refuses_a_crafted_file(tmp_path, tiny_data):
    """init_cfg Pretrained, the converter, tools/test.py (load_from) and
    --resume: each refuses the reported file, in its own process."""
    path = _crafted_file(tmp_path, 'ndarray_call')
    model = ScalableViT(
        TINY_ARCH, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    with pytest.raises(CheckpointReadError, match='refused'):
        model.init_weights()
    options = det_options(tiny_data)
    commands = {
        'converter': [
            osp.join(ROOT, 'tools/model_converters/scalablevit2mm.py'),
            str(path),
            str(tmp_path / 'out.pth')
        ],
        'test': [
            osp.join(ROOT, 'tools/test.py'), DET,
            str(path), '--work-dir',
            str(tmp_path / 'w'), '--cfg-options'
        ] + options,
        'resume': [
            osp.join(ROOT, 'tools/train.py'), DET, '--work-dir',
            str(tmp_path / 'w'), '--resume',
            str(path), '--cfg-options'
        ] + options,
    }
    for name, args in commands.items():
        proc = subprocess.run(
            [sys.executable] + args,
            capture_output=True,
            text=True,
            timeout=600)
        assert proc.returncode == 1, (name, proc.returncode,
                                      proc.stderr[-1500:])
        assert 'CheckpointReadError' in proc.stderr, (name,
                                                      proc.stderr[-1500:])
        assert 'Refusing a call of numpy.ndarray' in proc.stderr, name


class _QuietHandler(http.server.SimpleHTTPRequestHandler):

    def log_message(self, *args):
        pass


@pytest.fixture
def http_root(tmp_path):
    """A local http server on 127.0.0.1 serving ``tmp_path/'served'``."""
    served = tmp_path / 'served'
    served.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()


def test_pretrained_from_a_url_through_checkpoint_loader(
        http_root, tmp_path, monkeypatch):
    """init_cfg checkpoint may be an http(s) URL (mmengine's
    CheckpointLoader): downloaded once into torch's hub cache, read with
    weights_only=True, fitted strictly."""
    served, url = http_root
    monkeypatch.setattr(torch.hub, '_hub_dir', str(tmp_path / 'hub'))
    source = ScalableViT(TINY_ARCH)
    torch.save({'state_dict': source.state_dict()}, served / 'tiny.pth')
    model = ScalableViT(
        TINY_ARCH,
        init_cfg=dict(type='Pretrained', checkpoint=f'{url}/tiny.pth'))
    model.init_weights()
    for (key, a), b in zip(model.state_dict().items(),
                           source.state_dict().values()):
        assert torch.equal(a, b), key
    assert osp.isfile(tmp_path / 'hub' / 'checkpoints' / 'tiny.pth')
    # a crafted file is refused on this path too
    torch.save({'x': CRAFTED['ndarray_call']()}, served / 'evil.pth')
    with pytest.raises(CheckpointReadError, match='refused'):
        load_pretrained(model, f'{url}/evil.pth')
    # a missing URL names the URL
    with pytest.raises(CheckpointReadError, match='missing.pth'):
        load_pretrained(model, f'{url}/missing.pth')
