"""Building blocks that several backbones share."""
from .attention import multi_head_attention, reference_attention
from .conv_bn import conv_bn, fold_bn
from .block import LayerScale, PreNormBlock, drop_path_layer
from .execution import ExecutionPath, execution_path, shape_generic
from .ffn import RecomputedActFFN
from .layout import dense

__all__ = [
    'multi_head_attention', 'reference_attention', 'ExecutionPath',
    'execution_path', 'RecomputedActFFN', 'PreNormBlock', 'LayerScale',
    'drop_path_layer', 'shape_generic', 'dense', 'conv_bn', 'fold_bn'
]
