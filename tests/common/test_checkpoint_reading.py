"""Reading checkpoints: what real files hold is rebuilt exactly, every
other model in the process loads as with plain mmengine and torch, errors
name the file (and the URL), and downloads neither hang nor keep a partial
or another URL's file. Crafted files: test_crafted_checkpoints.py."""
import argparse
import functools
import http.server
import socket
import threading
import time

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import CheckpointLoader
from mmengine.runner import checkpoint as mmengine_checkpoint
from mmengine.runner.checkpoint import _load_checkpoint

from mmscalablevit.checkpoint import SCHEME, CheckpointReadError, DownloadError
from mmscalablevit.checkpoint import download as downloading
from mmscalablevit.checkpoint import (load_pretrained, read_checkpoint,
                                      safe_source)
from mmscalablevit.models import ScalableViT

from ..scalable_vit.fixtures import TINY_ARCH


class UserClass:
    """A class a user allow-lists for their own checkpoints."""

    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        return type(other) is UserClass and other.value == self.value


def _identical(a, b):
    """Same structure and values (tensors and arrays compared exactly)."""
    if isinstance(a, torch.Tensor):
        return type(a) is type(b) and torch.equal(a, b)
    if isinstance(a, np.ndarray):
        return type(b) is np.ndarray and a.dtype == b.dtype and \
            np.array_equal(a, b)
    if isinstance(a, dict):
        return type(a) is type(b) and list(a) == list(b) and all(
            _identical(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(
            _identical(x, y) for x, y in zip(a, b))
    if isinstance(a, argparse.Namespace):
        return type(b) is argparse.Namespace and _identical(vars(a), vars(b))
    return type(a) is type(b) and a == b


def test_mmengine_schemes_are_left_alone():
    """Importing the package adds its own prefix only."""
    loader = CheckpointLoader._get_checkpoint_loader
    assert loader('model.pth') is mmengine_checkpoint.load_from_local
    assert loader('https://host/m.pth') is mmengine_checkpoint.load_from_http
    assert loader(SCHEME + 'm.pth').__name__ == 'load_from_mmscalablevit'
    assert safe_source('m.pth') == SCHEME + 'm.pth'
    assert safe_source('https://h/m.pth') == SCHEME + 'https://h/m.pth'
    assert safe_source('torchvision://resnet50') == 'torchvision://resnet50'


def test_other_models_load_as_with_plain_mmengine(tmp_path, monkeypatch):
    """A user's checkpoint at a ~ path, with a class they allow-listed, and
    torch's switch for trusted files: mmengine returns what it returns
    without the package, and the package's reader keeps the user's list."""
    monkeypatch.setenv('HOME', str(tmp_path))
    obj = {'state_dict': {'w': torch.arange(3.)}, 'extra': UserClass(7)}
    torch.save(obj, tmp_path / 'user.pth')
    with pytest.raises(Exception, match='UserClass'):
        _load_checkpoint('~/user.pth')  # torch's default: weights only
    torch.serialization.add_safe_globals([UserClass])
    try:
        before = torch.serialization.get_safe_globals()
        assert _identical(_load_checkpoint('~/user.pth'), obj)
        assert _identical(read_checkpoint('~/user.pth'), obj)
        assert torch.serialization.get_safe_globals() == before
    finally:
        torch.serialization.clear_safe_globals()
        torch.serialization.add_safe_globals(
            [g for g in before if g is not UserClass])
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    with pytest.warns(UserWarning, match='forcing weights_only=False'):
        assert _identical(_load_checkpoint('~/user.pth'), obj)
    # the package's own paths read with weights_only=True all the same
    with pytest.raises(CheckpointReadError, match='UserClass'):
        read_checkpoint('~/user.pth')


@pytest.mark.parametrize('zip_format', [True, False])
def test_real_checkpoint_contents_are_rebuilt(tmp_path, zip_format):
    """numpy arrays, scalars, dtypes and RNG state, a message hub with its
    log buffers, the authors' argparse.Namespace: the same values and
    types as plain pickling gives (torch's zip and legacy formats)."""
    hub = MessageHub('reading_test')
    for v in (1.5, 2.5, 4.0):
        hub.update_scalar('train/loss', v)
    hub.update_info('iter', 3)
    obj = {
        'state_dict': {
            'w': torch.arange(4.)
        },
        'meta': {
            'c': np.arange(6.).reshape(2, 3),
            'f': np.asfortranarray(np.arange(6, dtype=np.int32).reshape(2, 3)),
            'big_endian': np.arange(3, dtype='>f4'),
            'empty': np.zeros((0, 4), np.float32),
            'scalars': (np.float64(2.5), np.int64(-3), np.bool_(True)),
            'dtypes': [np.dtype('float16'),
                       np.dtype('>i8'),
                       np.dtype(bool)],
            'np_random': np.random.RandomState(0).get_state(),
            'args': argparse.Namespace(model='scalable_vit_small', lr=1e-3),
        },
        'message_hub': hub.state_dict(),
    }
    path = tmp_path / 'real.pth'
    torch.save(obj, path, _use_new_zipfile_serialization=zip_format)
    loaded = read_checkpoint(str(path))
    assert _identical(loaded['state_dict'], obj['state_dict'])
    meta = loaded['meta']
    for key in ('c', 'f', 'big_endian', 'empty', 'np_random', 'args'):
        assert _identical(meta[key], obj['meta'][key]), key
    assert meta['f'].flags.f_contiguous and meta['c'].flags.writeable
    assert [type(s) for s in meta['scalars']] == \
        [type(s) for s in obj['meta']['scalars']]
    assert meta['scalars'] == obj['meta']['scalars']
    assert meta['dtypes'] == obj['meta']['dtypes']
    assert all(isinstance(d, np.dtype) for d in meta['dtypes'])
    state = np.random.RandomState()
    state.set_state(meta['np_random'])
    assert state.randint(1 << 30) == np.random.RandomState(0).randint(1 << 30)
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert type(buffer) is HistoryBuffer
    assert buffer.mean() == 8 / 3 and buffer.current() == 4.0
    restored = MessageHub('reading_test_restored')
    restored.load_state_dict(loaded['message_hub'])
    assert restored.get_scalar('train/loss').data[0].tolist() == \
        [1.5, 2.5, 4.0]


def test_a_file_without_numpy_is_torchs_own_object(tmp_path):
    shared = [torch.zeros(2)]
    node = shared
    for _ in range(20):  # 2**20 paths, 21 objects
        node = (node, node)
    obj = {'x': node, 'y': {'z': node}}
    torch.save(obj, tmp_path / 'shared.pth')
    start = time.perf_counter()
    loaded = read_checkpoint(str(tmp_path / 'shared.pth'))
    assert time.perf_counter() - start < 1
    assert loaded['x'][0] is loaded['x'][1] and loaded['y']['z'] is \
        loaded['x']


def test_user_allow_listed_numpy_is_still_checked(tmp_path):
    """A user who allow-listed numpy's real constructors keeps them for
    their own loads; the package's reader answers those names with its
    checked stand-ins meanwhile, and gives the list back unchanged."""
    names = [
        np._core.multiarray._reconstruct, np.ndarray, np.dtype,
        type(np.dtype('float64'))
    ]
    user = torch.serialization.get_safe_globals()
    torch.serialization.add_safe_globals(names)
    try:
        torch.save({'a': np.arange(3.)}, tmp_path / 'plain.pth')
        before = set(torch.serialization.get_safe_globals())
        assert _identical(
            read_checkpoint(str(tmp_path / 'plain.pth')), {'a': np.arange(3.)})
        assert set(torch.serialization.get_safe_globals()) == before
        torch.save({'a': np.zeros(1, dtype=object)}, tmp_path / 'object.pth')
        with pytest.raises(CheckpointReadError, match="dtype 'object'"):
            read_checkpoint(str(tmp_path / 'object.pth'))
    finally:
        torch.serialization.clear_safe_globals()
        torch.serialization.add_safe_globals(user)


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
    model = ScalableViT(
        TINY_ARCH, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    with pytest.raises(CheckpointReadError, match='not a PyTorch|empty'):
        model.init_weights()


def test_refusals_name_the_global_and_a_directory_says_so(tmp_path):
    import os

    class Payload:

        def __reduce__(self):
            return os.system, ('true', )

    torch.save({'x': Payload()}, tmp_path / 'system.pth')
    with pytest.raises(CheckpointReadError) as error:
        read_checkpoint(str(tmp_path / 'system.pth'))
    message = str(error.value)
    assert 'posix.system' in message and 'system.pth' in message
    assert 'weights_only=False' not in message
    with pytest.raises(IsADirectoryError, match='is a directory'):
        read_checkpoint(str(tmp_path))


def test_the_scheme_is_named_in_mmengines_log(tmp_path, monkeypatch):
    torch.save({'state_dict': {'w': torch.zeros(1)}}, tmp_path / 'w.pth')
    logged = []
    monkeypatch.setattr(mmengine_checkpoint, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    _load_checkpoint(safe_source(str(tmp_path / 'w.pth')))
    assert logged[0].startswith('Loads checkpoint by mmscalablevit backend')


# ------------------------------------------------------------- downloads
class _Quiet(http.server.SimpleHTTPRequestHandler):

    def log_message(self, *args):
        pass


class _Truncated(_Quiet):
    """Announces 1000 bytes, sends 10 and closes."""

    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Length', '1000')
        self.end_headers()
        self.wfile.write(b'0123456789')
        self.close_connection = True


def _serve(handler):
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f'http://127.0.0.1:{server.server_address[1]}'


@pytest.fixture
def hub(tmp_path, monkeypatch):
    for var in ('http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY'):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv('no_proxy', '127.0.0.1')
    monkeypatch.setattr(torch.hub, '_hub_dir', str(tmp_path / 'hub'))
    return tmp_path / 'hub' / 'checkpoints'


def test_a_silent_server_times_out_naming_the_url(hub, monkeypatch):
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen()  # accepts, never answers
    url = f'http://127.0.0.1:{listener.getsockname()[1]}/w.pth'
    monkeypatch.setenv(downloading.TIMEOUT_ENV, '0.5')
    start = time.perf_counter()
    try:
        with pytest.raises(DownloadError, match='no data for 0.5 s') as err:
            read_checkpoint(url)
    finally:
        listener.close()
    assert time.perf_counter() - start < 10
    assert url in str(err.value)
    assert not hub.exists() or not any(hub.iterdir())


def test_a_truncated_body_is_not_kept(hub):
    server, root = _serve(_Truncated)
    url = f'{root}/w.pth'
    try:
        with pytest.raises(DownloadError) as error:
            read_checkpoint(url)
    finally:
        server.shutdown()
        server.server_close()
    message = str(error.value)
    assert url in message and 'stopped after 10 of 1000 bytes' in message
    assert downloading.cache_path(url) in message
    assert not any(hub.iterdir())  # neither the file nor a partial one


def test_a_missing_url_is_named(hub, tmp_path):
    server, root = _serve(functools.partial(_Quiet, directory=str(tmp_path)))
    try:
        with pytest.raises(DownloadError, match='HTTP 404') as error:
            load_pretrained(ScalableViT(TINY_ARCH), f'{root}/missing.pth')
    finally:
        server.shutdown()
        server.server_close()
    assert f'{root}/missing.pth' in str(error.value)


def test_urls_with_one_file_name_do_not_share_a_cache_file(hub, tmp_path):
    for i, folder in enumerate(('a', 'b')):
        (tmp_path / 'served' / folder).mkdir(parents=True)
        torch.save({'state_dict': {
            'w': torch.full((2, ), float(i))
        }}, tmp_path / 'served' / folder / 'w.pth')
    server, root = _serve(
        functools.partial(_Quiet, directory=str(tmp_path / 'served')))
    try:
        first = read_checkpoint(f'{root}/a/w.pth')['state_dict']['w']
        second = read_checkpoint(f'{root}/b/w.pth')['state_dict']['w']
    finally:
        server.shutdown()
        server.server_close()
    assert first.tolist() == [0, 0] and second.tolist() == [1, 1]
    assert len(list(hub.iterdir())) == 2


def test_a_bad_cached_file_names_the_url_and_the_file(hub):
    url = 'http://127.0.0.1:9/never/w.pth'  # not contacted: cached
    cached = downloading.cache_path(url)
    hub.mkdir(parents=True)
    with open(cached, 'wb') as f:
        f.write(b'not a checkpoint')
    with pytest.raises(CheckpointReadError) as error:
        load_pretrained(ScalableViT(TINY_ARCH), url)
    assert url in str(error.value) and cached in str(error.value)


@pytest.mark.parametrize('rank', [0, 1])
def test_ranks_meet_at_the_barrier_even_when_a_download_fails(
        hub, monkeypatch, rank):
    events = []
    monkeypatch.setattr(downloading, 'get_dist_info', lambda: (rank, 2))
    monkeypatch.setattr(downloading, 'barrier',
                        lambda: events.append('barrier'))

    def fail(url, dst, timeout=None):
        events.append('download')
        raise DownloadError(f'{url} failed')

    monkeypatch.setattr(downloading, 'download', fail)
    with pytest.raises(DownloadError):
        downloading.read_url('http://127.0.0.1:9/w.pth')
    # rank 0 downloads first, the others after the barrier
    assert events == (['download', 'barrier']
                      if rank == 0 else ['barrier', 'download'])
