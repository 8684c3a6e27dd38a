"""Checkpoints: the authors' key layout, safe loading and strict matching.

The authors' ImageNet files are DeiT-style ``{'model': state_dict,
'optimizer': ..., 'args': argparse.Namespace, ...}`` with the classifier's
keys (``patch_embeds.i.proj``, ``pos_block.i.proj.0``, ``mlp.fc1/fc2``,
``norm``, ``head.0/1/3``). This package uses mmcv's ``PatchEmbed`` and ``FFN``
bricks, so four key patterns are renamed; everything else is identical.

All files are read with ``torch.load(weights_only=True)``: no pickled code
runs. The few plain classes such files hold (``argparse.Namespace``,
mmengine's log buffers, numpy scalars) are allow-listed explicitly.
"""
import argparse
import collections
import os.path as osp
import pickle
import re
from collections import OrderedDict
from typing import Dict, Optional

import torch

# official key pattern -> this package's key
_BACKBONE_RENAMES = [
    (re.compile(r'^patch_embeds\.(\d+)\.proj\.'),
     r'patch_embeds.\1.projection.'),
    (re.compile(r'^pos_block\.(\d+)\.proj\.0\.'), r'pos_block.\1.proj.'),
    (re.compile(r'\.mlp\.fc1\.'), '.ffn.layers.0.0.'),
    (re.compile(r'\.mlp\.fc2\.'), '.ffn.layers.1.'),
]
# official two-layer head -> mmpretrain StackedLinearClsHead(mid_channels=[4096])
_HEAD_RENAMES = {
    'head.0.': 'head.layers.0.fc.',
    'head.1.': 'head.layers.0.norm.',
    'head.3.': 'head.layers.1.fc.',
}


class CheckpointMismatchError(ValueError):
    """A checkpoint does not fit the model it is loaded into."""


def _history_buffer_getattr(obj, name):
    """Stand-in for ``getattr`` while unpickling: mmengine's ``HistoryBuffer``
    pickles its statistics methods as ``getattr(HistoryBuffer, 'mean')``.
    Only that lookup is allowed; ``getattr`` itself is never allow-listed."""
    from mmengine.logging import HistoryBuffer
    if obj is HistoryBuffer and not name.startswith('_') and callable(
            getattr(HistoryBuffer, name, None)):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'Refusing getattr({obj!r}, {name!r}) in a checkpoint: only '
        'HistoryBuffer statistics methods may be looked up.')


def safe_globals() -> list:
    """What checkpoints may reference when unpickled with weights_only:
    plain data classes only (the authors' ``argparse.Namespace``, mmengine's
    log buffers, numpy arrays and scalars)."""
    allowed = [argparse.Namespace, collections.Counter]
    for path in ('__builtin__.getattr', 'builtins.getattr'):
        allowed.append((_history_buffer_getattr, path))
    try:
        import numpy as np
        multiarray = np._core.multiarray if hasattr(
            np, '_core') else np.core.multiarray
        for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
            allowed.append((multiarray._reconstruct, module + '._reconstruct'))
            allowed.append((multiarray.scalar, module + '.scalar'))
        allowed += [np.dtype, np.ndarray]
        allowed += [
            type(np.dtype(t)) for t in ('float64', 'float32', 'float16',
                                        'int64', 'int32', 'uint8', 'bool')
        ]
    except ImportError:  # pragma: no cover
        pass
    try:
        from mmengine.logging import HistoryBuffer
        allowed.append(HistoryBuffer)
    except ImportError:  # pragma: no cover
        pass
    return allowed


def load_file(path: str) -> dict:
    """Read a checkpoint safely and return the whole object on CPU."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'Checkpoint {path!r} does not exist. Download the authors\' '
            'ImageNet weights, convert them with '
            'tools/model_converters/scalablevit2mm.py SRC DST (or point '
            'init_cfg at the downloaded file directly), and set the path.')
    # added globally (not with the safe_globals context manager, whose exit
    # would also remove the same entries that the import registered)
    torch.serialization.add_safe_globals(safe_globals())
    return torch.load(path, map_location='cpu', weights_only=True)


def unwrap_state_dict(ckpt) -> Dict[str, torch.Tensor]:
    """The state dict inside a DeiT-style (``model``), mmengine-style
    (``state_dict``) or bare checkpoint."""
    if isinstance(ckpt, dict):
        for key in ('state_dict', 'model'):
            if key in ckpt and isinstance(ckpt[key], dict):
                return OrderedDict(ckpt[key])
        if all(isinstance(v, torch.Tensor) for v in ckpt.values()):
            return OrderedDict(ckpt)
    raise CheckpointMismatchError(
        'Cannot find a state dict in the checkpoint: expected a dict of '
        "tensors, or one under 'state_dict' or 'model'.")


def is_official(state_dict: Dict[str, torch.Tensor]) -> bool:
    """Whether the keys follow the authors' naming."""
    return any(
        k.startswith('patch_embeds.0.proj.') or '.mlp.fc1.' in k
        or k.startswith('pos_block.0.proj.0.') for k in state_dict)


def _rename_backbone_key(key: str) -> str:
    for pattern, repl in _BACKBONE_RENAMES:
        key = pattern.sub(repl, key)
    return key


def convert_official_state_dict(
        state_dict: Dict[str, torch.Tensor],
        task: str = 'backbone') -> 'OrderedDict[str, torch.Tensor]':
    """Map the authors' keys to this package's.

    Args:
        state_dict: the authors' classifier state dict.
        task: ``'backbone'`` drops the classifier's ``norm`` and ``head``
            (the layout of a ``ScalableViT`` with ``final_norm=False``);
            ``'classifier'`` gives an mmpretrain ``ImageClassifier``
            (``backbone.*`` with ``backbone.norm``, and the two-layer head as
            ``StackedLinearClsHead`` keys).
    """
    if task not in ('backbone', 'classifier'):
        raise ValueError(f"task must be 'backbone' or 'classifier', got "
                         f'{task!r}.')
    out = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith('head.'):
            if task == 'backbone':
                continue
            prefix = key[:len('head.0.')]
            if prefix not in _HEAD_RENAMES:
                raise CheckpointMismatchError(
                    f'Unexpected head key {key!r}: the released classifier '
                    'has head.0 (Linear), head.1 (LayerNorm), head.3 '
                    '(Linear).')
            out[_HEAD_RENAMES[prefix] + key[len(prefix):]] = value
        elif key.startswith('norm.'):
            if task == 'classifier':
                out['backbone.' + key] = value
        else:
            new_key = _rename_backbone_key(key)
            out[('backbone.' if task == 'classifier' else '') +
                new_key] = value
    return out


def _summarise(keys, limit: int = 12) -> str:
    keys = sorted(keys)
    shown = ', '.join(keys[:limit])
    more = f' ... (+{len(keys) - limit} more)' if len(keys) > limit else ''
    return f'{len(keys)}: {shown}{more}'


def backbone_state_dict_from(ckpt,
                             backbone: torch.nn.Module,
                             prefix: Optional[str] = None):
    """Pick and convert the backbone part of any supported checkpoint."""
    state_dict = unwrap_state_dict(ckpt)
    if prefix is None and any(k.startswith('backbone.') for k in state_dict):
        prefix = 'backbone.'
    if prefix:
        state_dict = OrderedDict((k[len(prefix):], v)
                                 for k, v in state_dict.items()
                                 if k.startswith(prefix))
        if not state_dict:
            raise CheckpointMismatchError(
                f'No key of the checkpoint starts with prefix {prefix!r}.')
    if is_official(state_dict):
        keep_norm = getattr(backbone, 'final_norm', False)
        norm = {k: v for k, v in state_dict.items() if k.startswith('norm.')}
        state_dict = convert_official_state_dict(state_dict, 'backbone')
        if keep_norm:
            state_dict.update(norm)
    else:
        state_dict = OrderedDict(
            (k, v) for k, v in state_dict.items() if not k.startswith('head.'))
        if not getattr(backbone, 'final_norm', False):
            state_dict = OrderedDict((k, v) for k, v in state_dict.items()
                                     if not k.startswith('norm.'))
    return state_dict


def check_fits(model: torch.nn.Module,
               state_dict: Dict[str, torch.Tensor],
               source: str = 'checkpoint'):
    """Raise :class:`CheckpointMismatchError` naming every missing,
    unexpected and wrongly shaped key."""
    expected = model.state_dict()
    missing = set(expected) - set(state_dict)
    unexpected = set(state_dict) - set(expected)
    shapes = [
        f'{k} {tuple(state_dict[k].shape)} vs {tuple(expected[k].shape)}'
        for k in set(expected) & set(state_dict)
        if state_dict[k].shape != expected[k].shape
    ]
    if missing or unexpected or shapes:
        lines = [f'{source} does not fit {type(model).__name__}:']
        if missing:
            lines.append('  missing keys ' + _summarise(missing))
        if unexpected:
            lines.append('  unexpected keys ' + _summarise(unexpected))
        if shapes:
            lines.append('  shape mismatches (checkpoint vs model) ' +
                         _summarise(shapes))
        lines.append(
            '  Check that the arch matches the checkpoint (s/b/l), and that '
            'the file is an authors\' ScalableViT checkpoint or one written '
            'by tools/model_converters/scalablevit2mm.py.')
        raise CheckpointMismatchError('\n'.join(lines))


def load_backbone_checkpoint(backbone: torch.nn.Module,
                             path: str,
                             prefix: Optional[str] = None) -> None:
    """Load an authors', converted or downstream checkpoint into a
    ``ScalableViT``; every backbone key must be present and fit."""
    from mmengine.logging import MMLogger, print_log
    state_dict = backbone_state_dict_from(load_file(path), backbone, prefix)
    check_fits(backbone, state_dict, source=f'Checkpoint {path!r}')
    backbone.load_state_dict(state_dict, strict=True)
    logger = MMLogger.get_current_instance()
    print_log(
        f'ScalableViT: loaded {len(state_dict)}/{len(state_dict)} backbone '
        f'keys from {path}',
        logger=logger)
