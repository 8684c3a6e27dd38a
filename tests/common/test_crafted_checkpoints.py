"""Crafted checkpoint files on every loading path of the package.

One file per kind of attack or breakage (``helpers/crafted.py``), each run
through the reader, the backbones' ``init_cfg`` Pretrained (path and URL),
the tools' ``load_from`` / ``--resume`` reading (the ``mmscalablevit://``
scheme), both converters and ``pytorch2onnx.py --checkpoint``, in one
subprocess under a memory limit (``helpers/load_paths.py``): each is
refused with a named error, in bounded time, and no payload writes its
marker file. The command-line tools are run on the worst file.
"""
import functools
import http.server
import json
import os
import os.path as osp
import subprocess
import sys
import threading

import pytest

from ..helpers import ROOT, TESTS
from ..helpers.crafted import write_crafted
from ..helpers.runs import DET, det_options

# each path refuses (or reads) every file well within this (the slowest,
# 20 000 nested lists, takes about 0.3 s on an idle 2-core machine)
SECONDS = 10
MEMORY_MIB = 1536
# what each path raises for a file the reader refuses
NAMED = {
    'read': 'CheckpointReadError',
    'init_cfg_scalablevit': 'CheckpointReadError',
    'init_cfg_scopevit': 'CheckpointReadError',
    'init_cfg_url': 'CheckpointReadError',
    'load_from': 'CheckpointReadError',
    'scalablevit2mm': 'ValueError',  # the converters' one-line SystemExit
    'scopevit2mm': 'ValueError',
    'pytorch2onnx': 'CheckpointReadError',
}


class _Quiet(http.server.SimpleHTTPRequestHandler):

    def log_message(self, *args):
        pass


@pytest.fixture(scope='session')
def crafted(tmp_path_factory):
    """The crafted files, their marker, and an http server serving them."""
    root = tmp_path_factory.mktemp('crafted')
    marker = root / 'marker'
    files = write_crafted(root / 'files', marker)
    handler = functools.partial(_Quiet, directory=str(root / 'files'))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield files, marker, f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()
    server.server_close()


def _env(tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT, TORCH_HOME=str(tmp_path / 'hub'))
    for name in ('http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY'):
        env.pop(name, None)
    env['no_proxy'] = '127.0.0.1'
    return env


def test_every_file_on_every_path(crafted, tmp_path):
    files, marker, url = crafted
    listing = tmp_path / 'files.json'
    listing.write_text(json.dumps({k: str(p) for k, (p, _) in files.items()}))
    proc = subprocess.run([
        sys.executable,
        osp.join(TESTS, 'helpers', 'load_paths.py'),
        str(listing), url,
        str(MEMORY_MIB)
    ],
                          capture_output=True,
                          text=True,
                          timeout=600,
                          env=_env(tmp_path))
    records = [
        json.loads(line) for line in proc.stdout.splitlines()
        if line.startswith('{')
    ]
    last = records[-1] if records else None
    assert proc.returncode == 0, (last, proc.stderr[-3000:])
    assert len(records) == len(files) * len(NAMED) + 1, proc.stderr[-3000:]
    final = records.pop()
    assert final['statistics'] in ([], ['current', 'max', 'mean', 'min'])
    assert final['safe_globals_kept']
    failures = []
    for record in records:
        path, expect = files[record['file']]
        where = record['path']
        message = record.get('message', '')
        if record['seconds'] > SECONDS:
            failures.append((record, 'too slow'))
        elif expect == 'loads' and where == 'read':
            if record['outcome'] != 'loaded':
                failures.append((record, 'a harmless file must load'))
        elif expect == 'loads':
            # no state dict: every path that loads weights says so
            if record.get('error') not in ('CheckpointMismatchError',
                                           'ValueError') \
                    or 'holds no state dict' not in message:
                failures.append((record, 'expected "holds no state dict"'))
        elif expect == 'directory' and where != 'init_cfg_url':
            if record.get('error') not in ('IsADirectoryError',
                                           'ValueError') \
                    or 'is a directory' not in message:
                failures.append((record, 'expected "is a directory"'))
        elif expect == 'directory':  # the server lists the folder
            if record.get('error') != 'CheckpointReadError':
                failures.append((record, 'expected a refused listing'))
        elif record.get('error') != NAMED[where] or \
                osp.basename(path) not in message:
            failures.append((record, 'expected a named refusal'))
        elif 'weights_only=False' in message:
            failures.append((record, 'advises weights_only=False'))
    assert not failures, failures[:5]
    assert not marker.exists()


def _run(args, tmp_path, timeout=600):
    return subprocess.run(
        [sys.executable] + [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(tmp_path))


@pytest.mark.parametrize('tool,name', [
    ('scalablevit2mm.py', 'history_buffer_raw_pointer'),
    ('scopevit2mm.py', 'directory'),
])
def test_converters_refuse_in_one_line(crafted, tmp_path, tool, name):
    files, marker, _ = crafted
    path = files[name][0]
    proc = _run([
        osp.join(ROOT, 'tools', 'model_converters', tool), path,
        tmp_path / 'out.pth'
    ], tmp_path)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0], proc.stderr
    assert not (tmp_path / 'out.pth').exists() and not marker.exists()


def test_train_resume_and_test_tool_refuse(crafted, tiny_data, tmp_path):
    """tools/train.py --resume CKPT and tools/test.py CONFIG CKPT read
    through the package's reader: the log-buffer crash file is refused."""
    files, marker, _ = crafted
    path = files['history_buffer_raw_pointer'][0]
    options = det_options(tiny_data)
    for args in ([
            osp.join(ROOT, 'tools', 'test.py'), DET, path, '--work-dir',
            tmp_path / 'test', '--cfg-options'
    ] + options, [
            osp.join(ROOT, 'tools', 'train.py'), DET, '--work-dir',
            tmp_path / 'train', '--resume', path, '--cfg-options'
    ] + options):
        proc = _run(args, tmp_path)
        assert proc.returncode == 1, proc.stderr[-2000:]
        assert 'CheckpointReadError' in proc.stderr, proc.stderr[-2000:]
        assert f"Checkpoint '{path}' was refused" in proc.stderr
        assert 'Loads checkpoint by mmscalablevit backend' in proc.stdout
    assert not marker.exists()
