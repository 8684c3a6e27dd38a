"""Positional encoding generator (PEG)."""
import torch
import torch.nn as nn
from mmengine.model import BaseModule

from ...bricks import same_conv_channels_last


class PEG(BaseModule):
    """Conditional position encoding: ``x + DWConv3x3(x)``.

    ScalableViT applies it once per stage, after the stage's first block.

    Args:
        embed_dims (int): Channels C.

    Shapes: input and output (B, H, W, C), channels last.
    """

    def __init__(self, embed_dims: int, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.proj = nn.Conv2d(
            embed_dims, embed_dims, 3, padding=1, groups=embed_dims)

    def forward(self, x: torch.Tensor, inplace: bool = False) -> torch.Tensor:
        """``inplace=True`` adds into ``x`` (inference on a tensor the caller
        owns)."""
        pos = same_conv_channels_last(self.proj, x)
        return x.add_(pos) if inplace else x + pos
