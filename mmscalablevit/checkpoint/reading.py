"""Reading checkpoint files on the package's own paths.

:func:`read_checkpoint` reads a path or URL with
``torch.load(weights_only=True)`` and the checked stand-ins of
:mod:`.safe_unpickling`; the backbones' ``init_cfg`` Pretrained, the
converters and, through the ``mmscalablevit://`` scheme (:mod:`.scheme`),
the tools' ``load_from`` / ``--resume`` and ``pytorch2onnx.py --checkpoint``
read this way. mmengine's own schemes are left as they are: every other
model in the process loads as with plain mmengine and torch.

Before torch sees a file, :mod:`.scanning` refuses the few files that
would make torch's own unpickler take unbounded memory or time.
"""
import os.path as osp
import pickle
import re

import torch
from mmengine.runner import CheckpointLoader

from .download import read_url
from .safe_unpickling import materialise, safe_unpickling
from .scanning import ScanRefusal, check_file

# prefix of the package's scheme of mmengine's ``CheckpointLoader``
SCHEME = 'mmscalablevit://'


class CheckpointReadError(ValueError):
    """A file could not be read as a checkpoint, or was refused."""


def _refused(filename: str, reason: str) -> CheckpointReadError:
    return CheckpointReadError(
        f'Checkpoint {filename!r} was refused: {reason}.')


def _reason(error: Exception) -> str:
    """What torch's weights_only unpickler refused, and why, without its
    advice to load with weights_only=False."""
    text = str(error)
    found = re.search(r'GLOBAL (\S+) whose module (\S+) is blocked', text)
    if found:
        return (f'it names the global {found[1]}, whose module {found[2]} '
                'torch never loads from a checkpoint')
    found = re.search(r'Unsupported global: GLOBAL (\S+) was not', text)
    if found:
        return (f'it names the global {found[1]}, which is not allow-listed '
                '(a class you trust can be, with '
                'torch.serialization.add_safe_globals)')
    found = re.search(r'mmscalablevit refuses ([^\n]*)', text)
    if found:
        return found[1].rstrip('.')
    marker = 'WeightsUnpickler error: '
    if marker in text:
        text = text.split(marker, 1)[1]
    lines = [
        line.strip() for line in text.split('\n')
        if line.strip() and 'weights_only' not in line
    ]
    return lines[0].rstrip('.') if lines else type(error).__name__


def read_local(filename: str, map_location=None):
    """``torch.load(filename, weights_only=True)`` with the stand-ins, with
    a clear error for a missing file, a directory, a file that is not a
    checkpoint and a refused one. ``~`` is expanded."""
    path = osp.expanduser(filename)
    if osp.isdir(path):
        raise IsADirectoryError(
            f'Checkpoint {filename!r} is a directory, not a file.')
    if not osp.exists(path):
        raise FileNotFoundError(f'Checkpoint {filename!r} does not exist.')
    if not osp.isfile(path):
        raise CheckpointReadError(
            f'Checkpoint {filename!r} is not a regular file.')
    size = osp.getsize(path)
    try:
        check_file(path, size)
    except ScanRefusal as refusal:
        raise _refused(filename, str(refusal)) from None
    try:
        with safe_unpickling() as load:
            checkpoint = torch.load(
                path, map_location=map_location, weights_only=True)
            return materialise(checkpoint, load, budget=size)
    except pickle.UnpicklingError as error:
        raise _refused(filename, _reason(error)) from None
    except MemoryError:
        raise _refused(filename, 'reading it ran out of memory') from None
    except Exception as error:  # EOFError, zip, pickle opcode errors ...
        what = 'is empty (0 bytes)' if size == 0 else \
            f'({size} bytes) is not a PyTorch checkpoint'
        raise CheckpointReadError(
            f'Checkpoint {filename!r} {what}: torch.load failed with '
            f'{type(error).__name__}: {error}. Expected a file written by '
            'torch.save (a model, a state dict or a training '
            'checkpoint).') from None


def read_http(url: str, map_location=None, model_dir=None, timeout=None):
    """Download ``url`` once (:func:`.download.read_url`), then
    :func:`read_local`; a cached file that cannot be read names the URL."""
    cached = read_url(url, model_dir, timeout)
    try:
        return read_local(cached, map_location)
    except CheckpointReadError as error:
        raise CheckpointReadError(
            f'{error} It was downloaded from {url}; delete it to download '
            'it again.') from None


def is_url(source: str) -> bool:
    return source.startswith(('http://', 'https://'))


def read_checkpoint(source: str, map_location='cpu'):
    """The whole object stored at a path, an http(s) URL or, through
    mmengine's ``CheckpointLoader``, another scheme it knows
    (``torchvision://``, ``s3://``, ...: read as mmengine reads them)."""
    if source.startswith(SCHEME):
        source = source[len(SCHEME):]
    if is_url(source):
        return read_http(source, map_location)
    if '://' in source:
        return CheckpointLoader.load_checkpoint(
            source, map_location=map_location, logger='silent')
    return read_local(source, map_location)
