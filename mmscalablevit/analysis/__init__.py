"""Model analysis: FLOP counting in the papers' conventions."""
from .flops import CountedForward, count_flops, default_shape

__all__ = ['CountedForward', 'count_flops', 'default_shape']
