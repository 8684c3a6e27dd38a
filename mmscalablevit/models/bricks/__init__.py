"""Building blocks that several backbones share."""
from .attention import (QueryChunkedAttention, head_dims, multi_head_attention,
                        reference_attention)
from .block import LayerScale, PreNormBlock, drop_path_layer
from .conv_bn import conv_bn, fold_bn
from .execution import ExecutionPath, execution_path, shape_generic
from .ffn import RecomputedActFFN
from .shapes import (contiguous_nchw, crop, dense, may_be_one, reshape,
                     same_conv, same_conv_channels_last)

__all__ = [
    'multi_head_attention', 'reference_attention', 'QueryChunkedAttention',
    'head_dims', 'ExecutionPath', 'execution_path', 'RecomputedActFFN',
    'PreNormBlock', 'LayerScale', 'drop_path_layer', 'shape_generic', 'dense',
    'conv_bn', 'fold_bn', 'may_be_one', 'crop', 'same_conv_channels_last',
    'contiguous_nchw', 'reshape', 'same_conv'
]
