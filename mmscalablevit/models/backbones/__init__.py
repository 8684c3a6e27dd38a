"""The backbones: one folder each (model, attentions, checkpoint key map)."""
from .base import PyramidBackbone
from .scalable_vit import ScalableViT
from .scope_vit import ScopeViT

__all__ = ['PyramidBackbone', 'ScalableViT', 'ScopeViT']
