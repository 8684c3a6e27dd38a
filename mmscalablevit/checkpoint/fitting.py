"""Fitting a checkpoint into a backbone: find the state dict, pick the
backbone's part, convert the authors' keys, and refuse anything that does
not fit with every mismatching key named."""
from collections import OrderedDict, defaultdict
from typing import Dict, List, Optional, Tuple

import torch

from .reading import read_checkpoint

# training-checkpoint wrappers, in the order they are looked for: mmengine /
# timm (``state_dict``), DeiT (``model``), timm's EMA copy
_WRAPPERS = ('state_dict', 'model', 'state_dict_ema')


class CheckpointMismatchError(ValueError):
    """A checkpoint does not fit the model it is loaded into."""


def unwrap_state_dict(ckpt,
                      source: str = 'checkpoint'
                      ) -> 'OrderedDict[str, torch.Tensor]':
    """The state dict in a bare, ``state_dict``, ``model`` or
    ``state_dict_ema`` checkpoint, without a DDP ``module.`` prefix."""
    state_dict = None
    if isinstance(ckpt, dict):
        for key in _WRAPPERS:
            if isinstance(ckpt.get(key), dict):
                state_dict = ckpt[key]
                break
        else:
            if ckpt and all(
                    isinstance(v, torch.Tensor) for v in ckpt.values()):
                state_dict = ckpt
    if not state_dict:
        found = sorted(ckpt)[:8] if isinstance(ckpt, dict) else \
            type(ckpt).__name__
        raise CheckpointMismatchError(
            f'{source} holds no state dict: expected a dict of tensors, or '
            f"one under {', '.join(repr(k) for k in _WRAPPERS)}; found "
            f'{found}.')
    if all(k.startswith('module.') for k in state_dict):
        state_dict = {k[len('module.'):]: v for k, v in state_dict.items()}
    return OrderedDict(state_dict)


def summarise(keys, limit: int = 12) -> str:
    keys = sorted(keys)
    shown = ', '.join(keys[:limit])
    more = f' ... (+{len(keys) - limit} more)' if len(keys) > limit else ''
    return f'{len(keys)}: {shown}{more}'


def backbone_state_dict(
    state_dict,
    backbone: torch.nn.Module,
    prefix: Optional[str] = None
) -> Tuple['OrderedDict[str, torch.Tensor]', Dict[str, List[str]]]:
    """The part of ``state_dict`` that is ``backbone``'s, converted from the
    authors' layout if needed, and the keys left out, grouped by reason.

    A ``backbone.`` prefix (a detector's, segmentor's or classifier's
    checkpoint) is found by itself; keys of a classifier that the backbone
    does not have (its head, ...) are left out as the backbone's key map
    says. Any other key is kept, so that :func:`check_fits` names it.
    """
    key_map = getattr(backbone, 'key_map', None)
    ignored = defaultdict(list)
    if prefix is None and any(k.startswith('backbone.') for k in state_dict):
        prefix = 'backbone.'
    if prefix:
        picked = OrderedDict()
        for key, value in state_dict.items():
            if key.startswith(prefix):
                picked[key[len(prefix):]] = value
            else:
                ignored[f'outside {prefix!r}: the rest of the model'].append(
                    key)
        if not picked:
            raise CheckpointMismatchError(
                f'No key of the checkpoint starts with prefix {prefix!r}.')
        state_dict = picked
    if key_map is not None and key_map.is_official(state_dict):
        state_dict = key_map.to_backbone(state_dict)
    expected = backbone.state_dict()
    kept = OrderedDict()
    for key, value in state_dict.items():
        reason = key_map.classifier_key(key) if key_map else None
        if key not in expected and reason is not None:
            ignored[reason].append(key)
        else:
            kept[key] = value
    return kept, dict(ignored)


def check_fits(model: torch.nn.Module,
               state_dict,
               source: str = 'checkpoint',
               hint: str = '') -> None:
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
            lines.append('  missing keys ' + summarise(missing))
        if unexpected:
            lines.append('  unexpected keys ' + summarise(unexpected))
        if shapes:
            lines.append('  shape mismatches (checkpoint vs model) ' +
                         summarise(shapes))
        if hint:
            lines.append('  ' + hint)
        raise CheckpointMismatchError('\n'.join(lines))


def _fit_hint(key_map) -> str:
    if key_map is None:
        return ''
    variants = '/'.join(key_map.variants)
    return (f'Check that the arch matches the checkpoint ({variants}), and '
            f"that the file is an authors' {key_map.name} checkpoint or one "
            f'written by {key_map.converter}.')


def load_pretrained(backbone: torch.nn.Module,
                    checkpoint: str,
                    prefix: Optional[str] = None) -> Dict[str, List[str]]:
    """Load an authors', converted or downstream checkpoint (path or URL)
    into ``backbone``: every backbone key must be present and fit. Logs
    what was loaded and which keys were left out, and why; returns the
    latter."""
    from mmengine.logging import MMLogger, print_log
    key_map = getattr(backbone, 'key_map', None)
    try:
        ckpt = read_checkpoint(checkpoint)
    except FileNotFoundError as error:
        where = ''
        if key_map is not None:
            where = (f" Download the authors' {key_map.name} weights and "
                     'point init_cfg at the file (converted on the fly), or '
                     f'convert them once with {key_map.converter} SRC DST.')
        raise FileNotFoundError(f'{error}{where}') from None
    state_dict = unwrap_state_dict(ckpt, f'Checkpoint {checkpoint!r}')
    state_dict, ignored = backbone_state_dict(state_dict, backbone, prefix)
    check_fits(backbone, state_dict, f'Checkpoint {checkpoint!r}',
               _fit_hint(key_map))
    backbone.load_state_dict(state_dict, strict=True)
    name = key_map.name if key_map else type(backbone).__name__
    message = (f'{name}: loaded {len(state_dict)}/{len(state_dict)} backbone '
               f'keys from {checkpoint}')
    for reason, keys in ignored.items():
        message += f'; ignored {len(keys)} keys ({reason}): ' \
            f'{summarise(keys, 4).split(": ", 1)[1]}'
    print_log(message, logger=MMLogger.get_current_instance())
    return ignored
