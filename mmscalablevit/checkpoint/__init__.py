"""Checkpoints: safe reading (paths and URLs, ``weights_only=True``, the
``mmscalablevit://`` scheme for mmengine's loaders), strict fitting with a
readable report, and the conversion framework that each backbone's key map
plugs into. Knows no model's keys."""
from .conversion import KeyMap, convert_main, family_of, find_variant, key_maps
from .download import DownloadError
from .fitting import (CheckpointMismatchError, backbone_state_dict, check_fits,
                      load_pretrained, unwrap_state_dict)
from .reading import (SCHEME, CheckpointReadError, read_checkpoint, read_http,
                      read_local)
from .safe_unpickling import materialise, safe_unpickling
from .scheme import load_from_mmscalablevit, register_loaders, safe_source

__all__ = [
    'KeyMap', 'convert_main', 'family_of', 'find_variant', 'key_maps',
    'DownloadError', 'CheckpointMismatchError', 'backbone_state_dict',
    'check_fits', 'load_pretrained', 'unwrap_state_dict', 'SCHEME',
    'CheckpointReadError', 'read_checkpoint', 'read_http', 'read_local',
    'materialise', 'safe_unpickling', 'load_from_mmscalablevit',
    'register_loaders', 'safe_source'
]
