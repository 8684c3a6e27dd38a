"""Importing this module registers every backbone."""
from .backbones import PyramidBackbone, ScalableViT
from .bricks import reference_attention

__all__ = ['PyramidBackbone', 'ScalableViT', 'reference_attention']
