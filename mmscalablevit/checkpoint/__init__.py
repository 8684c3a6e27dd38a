"""Checkpoints: safe reading (paths and URLs, ``weights_only=True``),
strict fitting with a readable report, and the conversion framework that
each backbone's key map plugs into. Knows no model's keys."""
from .conversion import KeyMap, convert_main, find_variant
from .fitting import (CheckpointMismatchError, backbone_state_dict,
                      check_fits, load_pretrained, unwrap_state_dict)
from .reading import (CheckpointReadError, read_checkpoint, read_http,
                      read_local, register_loaders)
from .safe_unpickling import materialise, safe_unpickling

__all__ = [
    'KeyMap', 'convert_main', 'find_variant', 'CheckpointMismatchError',
    'backbone_state_dict', 'check_fits', 'load_pretrained',
    'unwrap_state_dict', 'CheckpointReadError', 'read_checkpoint',
    'read_http', 'read_local', 'register_loaders', 'materialise',
    'safe_unpickling'
]
