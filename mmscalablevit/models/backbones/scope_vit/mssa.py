"""Multi-scale self-attention (MSSA): queries from a convolutional position
encoding of the tokens, keys and values from strided multi-kernel depthwise
convolutions of it."""
from typing import Sequence

import torch
import torch.nn as nn

from ...bricks import (QueryChunkedAttention, conv_bn, dense, head_dims,
                       multi_head_attention, same_conv)

# kernel sizes of the large / medium / small key-value embeddings
KERNELS = (7, 5, 3)
_EMBED_NAMES = ('large_embed', 'medium_embed', 'small_embed')


def strided_padding(kernel: int, stride: int) -> int:
    """timm's static padding of a strided conv, ``((s - 1) + (k - 1)) // 2``
    (not ``k // 2`` once ``stride > 2``)."""
    return ((stride - 1) + (kernel - 1)) // 2


class InvertedResidualCPE(nn.Module):
    """Conditional position encoding: an inverted residual with ReLU,
    ``x + bn3(conv_pwl(relu(bn2(conv_dw(relu(bn1(conv_pw(x))))))))``.

    ``conv_pw`` / ``conv_pwl`` are bias-free 1x1 convs C -> 4C -> C,
    ``conv_dw`` a bias-free depthwise 3x3 conv; BatchNorms after each
    (``bn1.0``, ``bn2.0``, ``bn3``: the released keys).

    Args:
        channels (int): Channels C.
        expansion (int): Hidden width / C. Defaults to 4.

    Shapes: input and output (B, C, H, W).
    """

    def __init__(self, channels: int, expansion: int = 4):
        super().__init__()
        hidden = channels * expansion
        self.conv_pw = nn.Conv2d(channels, hidden, 1, bias=False)
        self.bn1 = nn.Sequential(nn.BatchNorm2d(hidden), nn.ReLU(inplace=True))
        self.conv_dw = nn.Conv2d(
            hidden, hidden, 3, padding=1, groups=hidden, bias=False)
        self.bn2 = nn.Sequential(nn.BatchNorm2d(hidden), nn.ReLU(inplace=True))
        self.conv_pwl = nn.Conv2d(hidden, channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bn1, relu1 = self.bn1
        bn2, relu2 = self.bn2
        # (same_conv: maps that may be 1 pixel high, while exporting)
        out = relu1(
            same_conv(lambda t: conv_bn(t, self.conv_pw, bn1, self), x))
        out = relu2(
            same_conv(lambda t: conv_bn(t, self.conv_dw, bn2, self), out))
        return x + same_conv(
            lambda t: conv_bn(t, self.conv_pwl, self.bn3, self), out)


class MultiScaleEmbed(nn.Module):
    """The CPE (``cpe``) and the strided multi-kernel depthwise convs that
    give MSSA its key/value map.

    The CPE output's channels are split, in order, into ``split[0]``,
    ``split[1]`` and ``split[2]`` heads' worth of channels, embedded by
    bias-free depthwise convs of kernel 7 (``large_embed``), 5
    (``medium_embed``) and 3 (``small_embed``) with stride ``stride`` and
    padding :func:`strided_padding`, and concatenated in that order. All
    three give the same output size. An empty group has no conv and no key.

    Args:
        channels (int): Channels C.
        head_dims (int): Channels per head.
        split (Sequence[int]): Heads per kernel size (7, 5, 3).
        stride (int): Stride of the key/value convs.

    Shapes: input (B, C, H, W); ``forward`` returns the CPE output
    (B, C, H, W) and the key/value map (B, C, H', W'),
    ``H' = floor((H + 2p - k) / stride) + 1``.
    """

    def __init__(self, channels: int, head_dims: int, split: Sequence[int],
                 stride: int):
        super().__init__()
        self.cpe = InvertedResidualCPE(channels)
        self.split_channels = [n * head_dims for n in split if n]
        for name, kernel, heads in zip(_EMBED_NAMES, KERNELS, split):
            if heads:
                width = heads * head_dims
                self.add_module(
                    name,
                    nn.Conv2d(
                        width,
                        width,
                        kernel,
                        stride=stride,
                        padding=strided_padding(kernel, stride),
                        groups=width,
                        bias=False))
        self.embeds = [
            name for name, heads in zip(_EMBED_NAMES, split) if heads
        ]

    def forward(self, x: torch.Tensor):
        y = self.cpe(x)
        parts = [
            self._embed(getattr(self, name), part) for name, part in zip(
                self.embeds, y.split(self.split_channels, dim=1))
        ]
        return y, parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)

    @staticmethod
    def _embed(conv: nn.Conv2d, part: torch.Tensor) -> torch.Tensor:
        return same_conv(conv, part) if conv.stride == (1, 1) else conv(part)


class MSSA(QueryChunkedAttention):
    """Multi-scale self-attention.

    The (normalised) token map goes through the CPE of
    :class:`MultiScaleEmbed`; its output ``y`` gives the queries
    (``query``, bias-free Linear C -> C) of all H*W tokens, and its strided
    multi-kernel depthwise embedding the keys and values (``key_value``,
    bias-free Linear C -> 2C: keys the first C channels, values the last C,
    head-major). Multi-head attention of every query over the H'*W' keys
    (fused scaled-dot-product attention: the H*W x H'*W' matrix is never
    stored), then ``proj``. Any map size works: the convs pad by
    themselves, and attention is global.

    Args:
        embed_dims (int): Channels C.
        num_heads (int): Attention heads; C must divide by it.
        split (Sequence[int]): Heads per key/value kernel size (7, 5, 3);
            non-negative, summing to ``num_heads``.
        stride (int): Stride of the key/value convs.

    Shapes: input and output (B, H, W, C), channels last.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 split: Sequence[int],
                 stride: int,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.head_dims = head_dims('MSSA', embed_dims, num_heads)
        if len(split) != 3 or any(n < 0 for n in split) \
                or sum(split) != num_heads:
            raise ValueError(
                f'MSSA: split {list(split)} must be three non-negative head '
                f'counts (kernels 7, 5, 3) adding up to num_heads '
                f'{num_heads}.')
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.scale = self.head_dims**-0.5
        self.mspe = MultiScaleEmbed(embed_dims, self.head_dims, split, stride)
        self.query = nn.Linear(embed_dims, embed_dims, bias=False)
        self.key_value = nn.Linear(embed_dims, embed_dims * 2, bias=False)
        self.proj = nn.Linear(embed_dims, embed_dims)

    def _context(self, x: torch.Tensor):
        """Query source (B, H*W, C): the CPE output; keys and values (B,
        heads, M, d) from its multi-kernel embedding."""
        B, H, W, C = x.shape
        y, kv_map = self.mspe(x.permute(0, 3, 1, 2))
        kv = self.key_value(dense(kv_map.permute(0, 2, 3, 1)).view(B, -1, C))
        kv = kv.view(B, -1, 2, self.num_heads, self.head_dims)
        k, v = kv.permute(2, 0, 3, 1, 4).unbind(0)
        return dense(y.permute(0, 2, 3, 1)).view(B, H * W, C), (k, v)

    def _attend(self, y: torch.Tensor, k: torch.Tensor,
                v: torch.Tensor) -> torch.Tensor:
        B, n, C = y.shape
        q = self.query(y).view(B, n, self.num_heads, -1).transpose(1, 2)
        out = multi_head_attention(q, k, v, self.scale)
        return self.proj(dense(out.transpose(1, 2)).view(B, n, C))
