from .attention import multi_head_attention, reference_attention
from .ffn import RecomputedActFFN
from .iwsa import IWSA
from .peg import PEG
from .ssa import SSA

__all__ = [
    'IWSA', 'SSA', 'PEG', 'RecomputedActFFN', 'multi_head_attention',
    'reference_attention'
]
