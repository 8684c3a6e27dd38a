"""Reading checkpoint files: every path of the stack goes through here.

Importing the package registers :func:`read_local` and :func:`read_http`
as mmengine's ``CheckpointLoader`` schemes for local paths and
``http(s)://`` URLs, so ``init_cfg=dict(type='Pretrained', ...)``,
``load_from``, ``--resume``, the converters and the package's own loaders
all read with ``torch.load(weights_only=True)`` and the stand-ins of
:mod:`.safe_unpickling` (mmengine's own http loader would read with
``weights_only=False``). Other schemes (``torchvision://``, ``s3://``, ...)
stay mmengine's.
"""
import os
import os.path as osp
import pickle
from urllib.parse import urlparse

import torch

from .safe_unpickling import materialise, safe_unpickling


class CheckpointReadError(ValueError):
    """A file could not be read as a checkpoint, or was refused."""


def _reason(error: Exception) -> str:
    """The unpickler's own reason inside torch's long weights_only
    message (which goes on to suggest weights_only=False)."""
    text = str(error)
    marker = 'WeightsUnpickler error: '
    if marker in text:
        text = text.split(marker, 1)[1]
    lines = [line.strip() for line in text.split('\n') if line.strip()]
    return lines[0] if lines else type(error).__name__


def read_local(filename: str, map_location=None):
    """``torch.load(filename, weights_only=True)`` with a clear error for
    a missing file, a file that is not a checkpoint and a refused one."""
    if not osp.isfile(filename):
        raise FileNotFoundError(f'Checkpoint {filename!r} does not exist.')
    try:
        with safe_unpickling():
            checkpoint = torch.load(
                filename, map_location=map_location, weights_only=True)
        return materialise(checkpoint)
    except pickle.UnpicklingError as error:
        raise CheckpointReadError(
            f'Checkpoint {filename!r} was refused: it is read with '
            'weights_only=True and may hold only tensors and plain data; '
            f'{_reason(error)}') from None
    except Exception as error:  # EOFError, zip, pickle opcode errors ...
        size = osp.getsize(filename)
        what = 'is empty (0 bytes)' if size == 0 else \
            f'({size} bytes) is not a PyTorch checkpoint'
        raise CheckpointReadError(
            f'Checkpoint {filename!r} {what}: torch.load failed with '
            f'{type(error).__name__}: {error}. Expected a file written by '
            'torch.save (a model, a state dict or a training '
            'checkpoint).') from None


def read_http(url: str,
              map_location=None,
              model_dir=None,
              progress: bool = os.isatty(0)):
    """Download ``url`` once into torch's hub cache (``<hub>/checkpoints``;
    rank 0 first in distributed runs), then :func:`read_local`."""
    from mmengine.dist import barrier, get_dist_info
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    cached = osp.join(model_dir, osp.basename(urlparse(url).path))
    rank, world_size = get_dist_info()
    if rank == 0 and not osp.isfile(cached):
        os.makedirs(model_dir, exist_ok=True)
        try:
            torch.hub.download_url_to_file(url, cached, progress=progress)
        except Exception as error:
            raise CheckpointReadError(
                f'Could not download checkpoint {url}: '
                f'{type(error).__name__}: {error}. Download it by hand into '
                f'{model_dir}/ or point the config at a local path.') from None
    if world_size > 1:
        barrier()
    return read_local(cached, map_location)


def register_loaders() -> None:
    """Make mmengine's ``CheckpointLoader`` read local files and http(s)
    URLs as above (idempotent)."""
    from mmengine.runner import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes='', loader=read_local, force=True)
    CheckpointLoader.register_scheme(
        prefixes=('http://', 'https://'), loader=read_http, force=True)


def read_checkpoint(source: str, map_location='cpu'):
    """The whole object stored at a path or URL (any scheme mmengine's
    ``CheckpointLoader`` knows)."""
    from mmengine.runner import CheckpointLoader
    register_loaders()
    return CheckpointLoader.load_checkpoint(
        source, map_location=map_location, logger='silent')
