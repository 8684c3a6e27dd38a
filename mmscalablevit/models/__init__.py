"""Importing this module registers every backbone."""
from .backbones import PyramidBackbone, ScalableViT, ScopeViT
from .bricks import reference_attention

__all__ = ['PyramidBackbone', 'ScalableViT', 'ScopeViT', 'reference_attention']
