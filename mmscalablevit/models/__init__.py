from .backbones import ScalableViT, ScalableViTBlock
from .layers import IWSA, PEG, SSA, reference_attention

__all__ = [
    'ScalableViT', 'ScalableViTBlock', 'IWSA', 'SSA', 'PEG',
    'reference_attention'
]
