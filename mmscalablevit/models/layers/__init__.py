from .attention import multi_head_attention, reference_attention
from .iwsa import IWSA
from .peg import PEG
from .ssa import SSA

__all__ = ['IWSA', 'SSA', 'PEG', 'multi_head_attention', 'reference_attention']
