"""ScalableViT (Yang et al., ECCV 2022): the backbone, its two attentions,
its position encoding and the authors' checkpoint key map."""
from .backbone import ScalableViT, ScalableViTBlock
from .convert import KEY_MAP, convert_official_state_dict
from .iwsa import IWSA
from .peg import PEG
from .ssa import SSA

__all__ = [
    'ScalableViT', 'ScalableViTBlock', 'IWSA', 'SSA', 'PEG', 'KEY_MAP',
    'convert_official_state_dict'
]
