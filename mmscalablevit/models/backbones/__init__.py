from .scalable_vit import ScalableViT, ScalableViTBlock

__all__ = ['ScalableViT', 'ScalableViTBlock']
