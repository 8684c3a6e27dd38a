"""Converting the authors' released checkpoints: the interface each backbone
implements (:class:`KeyMap`) and the one converter entry point that the
``tools/model_converters/*2mm.py`` scripts call (:func:`convert_main`)."""
import argparse
import os
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, Optional

import torch

from ..registry import MODELS
from .fitting import CheckpointMismatchError, check_fits, unwrap_state_dict
from .reading import CheckpointReadError, read_checkpoint


class KeyMap:
    """How one backbone family's released checkpoints map onto this
    package's modules. A backbone class names an instance in its
    ``key_map`` attribute; the generic loaders and converters use nothing
    else.

    Attributes:
        name (str): The family's name in messages (``'ScalableViT'``).
        converter (str): The ``tools/model_converters`` script.
        variants (tuple): The ``arch`` names a converted file is matched
            against to name its variant.
        classifier_keys (dict): Key prefix -> why a dense backbone leaves
            such keys of a classifier checkpoint out (e.g. the head).
        family_keys (str): A pattern that backbone keys of this family
            match, in the authors' layout and in this package's, and no
            other family's do (to name the family of any file).
    """
    name = ''
    converter = ''
    variants = ()
    classifier_keys: Dict[str, str] = {}
    family_keys = ''

    def owns(self, state_dict) -> bool:
        """Whether the keys (a ``backbone.`` prefix aside) are this
        family's, in either layout."""
        pattern = re.compile(r'(backbone\.)?(' + self.family_keys + ')')
        return bool(self.family_keys) and any(
            pattern.match(k) for k in state_dict)

    def is_official(self, state_dict) -> bool:
        """Whether the keys follow the authors' naming."""
        raise NotImplementedError

    def to_backbone(self, state_dict) -> 'OrderedDict[str, torch.Tensor]':
        """The authors' classifier keys -> this package's backbone keys
        (keys under :attr:`classifier_keys` may stay: loaders drop and
        report them)."""
        raise NotImplementedError

    def to_classifier(self, state_dict) -> 'OrderedDict[str, torch.Tensor]':
        """The authors' classifier keys -> an mmpretrain ``ImageClassifier``
        with this backbone (``backbone.*``, ``head.*``)."""
        raise NotImplementedError

    def convert(self,
                state_dict,
                task: str = 'backbone') -> 'OrderedDict[str, torch.Tensor]':
        """The authors' classifier state dict as a dense backbone's (the
        classifier-only keys left out) or, for ``task='classifier'``, as a
        whole mmpretrain ``ImageClassifier``'s."""
        if task == 'classifier':
            return self.to_classifier(state_dict)
        if task != 'backbone':
            raise ValueError(
                f"task must be 'backbone' or 'classifier', got {task!r}.")
        return OrderedDict((k, v)
                           for k, v in self.to_backbone(state_dict).items()
                           if self.classifier_key(k) is None)

    def classifier_key(self, key: str) -> Optional[str]:
        """Why ``key`` is left out of a dense backbone, or None."""
        for prefix, reason in self.classifier_keys.items():
            if key.startswith(prefix):
                return reason
        return None


def _backbone_part(state_dict, key_map: KeyMap, task: str):
    prefix = 'backbone.' if task == 'classifier' else ''
    return OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                       if k.startswith(prefix)
                       and key_map.classifier_key(k[len(prefix):]) is None)


def key_maps() -> list:
    """The key maps of the package's registered backbones."""
    MODELS.import_from_location()
    return [
        cls.key_map for cls in MODELS.module_dict.values()
        if isinstance(getattr(cls, 'key_map', None), KeyMap)
    ]


def family_of(state_dict) -> Optional[KeyMap]:
    """The key map of the family whose keys ``state_dict`` holds."""
    return next((m for m in key_maps() if m.owns(state_dict)), None)


def find_variant(backbone_cls, state_dict, task: str) -> Optional[str]:
    """The released variant whose backbone fits converted weights."""
    key_map = backbone_cls.key_map
    backbone = _backbone_part(state_dict, key_map, task)
    for arch in key_map.variants:
        try:
            check_fits(backbone_cls(arch=arch), backbone)
            return arch
        except CheckpointMismatchError:
            continue
    return None


def _check_convertible(key_map: KeyMap, state_dict, src: str) -> None:
    """Exit with one line unless ``state_dict`` is an authors' file of
    ``key_map``'s family: name the family it is and what to do with it."""
    if key_map.owns(state_dict) and key_map.is_official(state_dict):
        return
    family = key_map if key_map.owns(state_dict) else family_of(state_dict)
    if family is None:
        keys = ', '.join(sorted(state_dict)[:4])
        raise SystemExit(
            f'error: {src} holds no {key_map.name} weights (keys: {keys}, '
            '...): nothing to convert.')
    if family is not key_map and family.is_official(state_dict):
        raise SystemExit(
            f"error: {src} is an authors' {family.name} checkpoint, not a "
            f'{key_map.name} one: convert it with {family.converter}.')
    raise SystemExit(
        f"error: {src} holds {family.name} weights in this package's key "
        'layout: nothing to convert, they load directly '
        "(init_cfg=dict(type='Pretrained', checkpoint=...) or load_from).")


def convert_main(backbone_cls, argv=None):
    """``SRC DST [--task backbone|classifier]``: convert an authors'
    checkpoint (path or URL, read with ``weights_only=True``) of
    ``backbone_cls``'s family and save ``{'state_dict', 'meta'}``."""
    key_map = backbone_cls.key_map
    parser = argparse.ArgumentParser(
        description=f"Convert an authors' {key_map.name} checkpoint to this "
        "package's keys.")
    parser.add_argument('src', help="the authors' checkpoint (path or URL)")
    parser.add_argument('dst', help='where to write the converted file')
    parser.add_argument(
        '--task',
        choices=['backbone', 'classifier'],
        default='backbone',
        help='backbone weights for detection/segmentation (default; '
        "init_cfg=dict(type='Pretrained', checkpoint=DST)) or the whole "
        'mmpretrain classifier (load_from=DST)')
    args = parser.parse_args(argv)

    try:
        state_dict = unwrap_state_dict(
            read_checkpoint(args.src), f'Checkpoint {args.src!r}')
    except (OSError, CheckpointReadError, CheckpointMismatchError) as error:
        # one line naming the file and the reason, no traceback
        raise SystemExit(f'error: {error}') from None
    _check_convertible(key_map, state_dict, args.src)
    converted = key_map.convert(state_dict, args.task)
    arch = find_variant(backbone_cls, converted, args.task)
    if arch is None:
        print(f'warning: the weights fit none of the released {key_map.name} '
              f'variants {list(key_map.variants)}; pass the matching custom '
              'arch dict to the backbone.')
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(
        dict(
            state_dict=converted,
            meta=dict(
                source=osp.basename(args.src),
                task=args.task,
                arch=arch,
                converter=f'mmscalablevit {osp.basename(key_map.converter)}')),
        args.dst)
    name = f'{key_map.name}-{arch.upper()}' if arch else \
        f'a custom {key_map.name}'
    print(f'{args.dst}: {len(converted)} tensors, {args.task} of {name}')
    return converted
