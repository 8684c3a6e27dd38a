"""The ``mmscalablevit://`` scheme of mmengine's ``CheckpointLoader``.

``mmscalablevit://PATH_OR_URL`` reads PATH_OR_URL with the package's reader
(:func:`.reading.read_checkpoint`) wherever mmengine loads a checkpoint:
``load_from``, ``Runner.resume``, ``load_checkpoint``, the toolkits'
inferencers' ``weights=``. The package's tools prefix their ``load_from``,
``--resume`` and ``--checkpoint`` files with it (:func:`safe_source`).
Importing the package registers this prefix only: mmengine's own local and
``http(s)://`` loaders stay as they are for every other model.
"""
from mmengine.runner import CheckpointLoader

from .fitting import unwrap_state_dict
from .reading import SCHEME, is_url, read_checkpoint


def load_from_mmscalablevit(filename: str, map_location=None):
    """mmengine's loader interface (its name gives mmengine's log line
    "Loads checkpoint by mmscalablevit backend"): the checkpoint at
    ``filename`` without the prefix; it must hold a state dict."""
    source = filename[len(SCHEME):] if filename.startswith(SCHEME) \
        else filename
    checkpoint = read_checkpoint(source, map_location)
    unwrap_state_dict(checkpoint, f'Checkpoint {source!r}')
    return checkpoint


def safe_source(source):
    """``source`` with the scheme's prefix when the package's reader reads
    it (a local path or an http(s) URL); other schemes stay mmengine's."""
    if not isinstance(source, str) or source.startswith(SCHEME):
        return source
    if is_url(source) or '://' not in source:
        return SCHEME + source
    return source


def register_loaders() -> None:
    """Register the ``mmscalablevit://`` prefix (idempotent)."""
    CheckpointLoader.register_scheme(
        prefixes=SCHEME, loader=load_from_mmscalablevit, force=True)
