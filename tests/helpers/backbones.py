"""The package's backbones as the tests of their shared interface see
them: a tiny instance of each, and what their messages name."""
from mmscalablevit.models import ScalableViT, ScopeViT
from scalable_vit.fixtures import TINY_ARCH as SCALABLE_TINY
from scope_vit.fixtures import TINY_ARCH as SCOPE_TINY

# name -> (class, tiny arch dict, converter script, an arch key and a
# plausible wrong spelling of it, an unknown arch name, the valid names)
BACKBONES = {
    'ScalableViT': (ScalableViT, SCALABLE_TINY, 'scalablevit2mm.py',
                    ('window_sizes', 'wss'), 'xl',
                    "'b', 'base', 'l', 'large', 's', 'small'"),
    'ScopeViT': (ScopeViT, SCOPE_TINY, 'scopevit2mm.py',
                 ('gsda_dilation', 'dilation'), 'b',
                 "'s', 'small', 't', 'tiny', 'x-tiny', 'xt', 'xtiny'"),
}


def tiny(name, **kwargs):
    """A tiny backbone of family ``name``."""
    cls, arch = BACKBONES[name][:2]
    return cls(arch=dict(arch), **kwargs)
