"""The authors' ScopeViT checkpoint keys and this package's.

The authors train with timm, whose checkpoints hold the classifier's state
dict under ``state_dict`` (and ``state_dict_ema``), next to ``optimizer``,
``epoch``, ``arch``, ``args`` ...; the generic reader finds it in any of
these wrappers or a bare state dict. The backbone keeps the authors' module
names (``patch_embed{i}``, ``blocks{i}.{j}.mssa`` / ``.gsda``, ``norm{i}``);
only the block MLPs differ, being the package's recomputing mmcv FFN:

    blocks{i}.{j}.{mssa,gsda}.mlp.fc1.*  ->  ....ffn.layers.0.0.*
    blocks{i}.{j}.{mssa,gsda}.mlp.fc2.*  ->  ....ffn.layers.1.*

(the relative-position MLP ``gsda.attn.rel_pos.mlp.fc1/fc2`` keeps its
names). The classifier's ``head`` (Linear) becomes mmpretrain's
``LinearClsHead`` (``head.fc``).
"""
import re
from collections import OrderedDict

from ....checkpoint import CheckpointMismatchError, KeyMap

_BLOCK_MLP = re.compile(r'\.(mssa|gsda)\.mlp\.fc([12])\.')
_FFN = {'1': 'ffn.layers.0.0.', '2': 'ffn.layers.1.'}


def _rename(key: str) -> str:
    return _BLOCK_MLP.sub(lambda m: f'.{m.group(1)}.{_FFN[m.group(2)]}', key)


class ScopeViTKeyMap(KeyMap):
    name = 'ScopeViT'
    converter = 'tools/model_converters/scopevit2mm.py'
    variants = ('xt', 't', 's')
    classifier_keys = {'head.': "the classifier's head"}
    family_keys = r'(patch_embed|blocks|norm)\d+\.'

    def is_official(self, state_dict) -> bool:
        return any(_BLOCK_MLP.search(k) for k in state_dict)

    def to_backbone(self, state_dict):
        return OrderedDict((_rename(k), v) for k, v in state_dict.items())

    def to_classifier(self, state_dict):
        out = OrderedDict()
        for key, value in state_dict.items():
            if key.startswith('head.'):
                if key not in ('head.weight', 'head.bias'):
                    raise CheckpointMismatchError(
                        f'Unexpected head key {key!r}: the released '
                        'classifier has one Linear head (head.weight, '
                        'head.bias).')
                out['head.fc.' + key[len('head.'):]] = value
            else:
                out['backbone.' + _rename(key)] = value
        return out


KEY_MAP = ScopeViTKeyMap()

# the authors' classifier keys -> a backbone's (task='backbone') or a whole
# mmpretrain classifier's (task='classifier')
convert_official_state_dict = KEY_MAP.convert
