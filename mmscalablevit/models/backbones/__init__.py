"""The backbones: one folder each (model, attentions, checkpoint key map)."""
from .base import PyramidBackbone
from .scalable_vit import ScalableViT

__all__ = ['PyramidBackbone', 'ScalableViT']
