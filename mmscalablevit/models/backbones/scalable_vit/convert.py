"""The authors' ScalableViT checkpoint keys and this package's.

The authors' ImageNet files are DeiT-style ``{'model': state_dict,
'optimizer': ..., 'args': argparse.Namespace, ...}`` with the classifier's
keys (``patch_embeds.i.proj``, ``pos_block.i.proj.0``, ``mlp.fc1/fc2``,
``norm``, ``head.0/1/3``). This package uses mmcv's ``PatchEmbed`` and
``FFN`` bricks, so four key patterns are renamed; everything else is
identical.
"""
import re
from collections import OrderedDict

from ....checkpoint import CheckpointMismatchError, KeyMap

# official key pattern -> this package's key
_BACKBONE_RENAMES = [
    (re.compile(r'^patch_embeds\.(\d+)\.proj\.'),
     r'patch_embeds.\1.projection.'),
    (re.compile(r'^pos_block\.(\d+)\.proj\.0\.'), r'pos_block.\1.proj.'),
    (re.compile(r'\.mlp\.fc1\.'), '.ffn.layers.0.0.'),
    (re.compile(r'\.mlp\.fc2\.'), '.ffn.layers.1.'),
]
# official two-layer head -> mmpretrain's
# StackedLinearClsHead(mid_channels=[4096])
_HEAD_RENAMES = {
    'head.0.': 'head.layers.0.fc.',
    'head.1.': 'head.layers.0.norm.',
    'head.3.': 'head.layers.1.fc.',
}


def _rename(key: str) -> str:
    for pattern, repl in _BACKBONE_RENAMES:
        key = pattern.sub(repl, key)
    return key


class ScalableViTKeyMap(KeyMap):
    name = 'ScalableViT'
    converter = 'tools/model_converters/scalablevit2mm.py'
    variants = ('s', 'b', 'l')
    classifier_keys = {
        'head.':
        "the classifier's head",
        'norm.':
        "the classifier's final norm (the backbone has "
        'final_norm=False)',
    }

    family_keys = r'(patch_embeds|stages|pos_block)\.\d+\.'

    def is_official(self, state_dict) -> bool:
        return self.owns(state_dict) and any(
            k.startswith('patch_embeds.0.proj.') or '.mlp.fc1.' in k
            or k.startswith('pos_block.0.proj.0.') for k in state_dict)

    def to_backbone(self, state_dict):
        return OrderedDict((k if k.startswith('head.') else _rename(k), v)
                           for k, v in state_dict.items())

    def to_classifier(self, state_dict):
        out = OrderedDict()
        for key, value in state_dict.items():
            if key.startswith('head.'):
                prefix = key[:len('head.0.')]
                if prefix not in _HEAD_RENAMES:
                    raise CheckpointMismatchError(
                        f'Unexpected head key {key!r}: the released '
                        'classifier has head.0 (Linear), head.1 (LayerNorm), '
                        'head.3 (Linear).')
                out[_HEAD_RENAMES[prefix] + key[len(prefix):]] = value
            else:
                out['backbone.' + _rename(key)] = value
        return out


KEY_MAP = ScalableViTKeyMap()

# the authors' classifier keys -> a backbone's (task='backbone') or a whole
# mmpretrain classifier's (task='classifier')
convert_official_state_dict = KEY_MAP.convert
