"""ScopeViT (Nie et al., Pattern Recognition 2024): the backbone, its two
attentions and the authors' checkpoint key map."""
from .backbone import ConvPatchEmbed, ScopeSubBlock, ScopeViT, ScopeViTBlock
from .convert import KEY_MAP, convert_official_state_dict
from .gsda import GSDA, RelPosMlp
from .mssa import MSSA, InvertedResidualCPE, MultiScaleEmbed

__all__ = [
    'ScopeViT', 'ScopeViTBlock', 'ScopeSubBlock', 'ConvPatchEmbed', 'MSSA',
    'MultiScaleEmbed', 'InvertedResidualCPE', 'GSDA', 'RelPosMlp', 'KEY_MAP',
    'convert_official_state_dict'
]
