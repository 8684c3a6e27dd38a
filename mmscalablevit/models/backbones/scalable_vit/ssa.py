"""Scalable self-attention (SSA): attention over a spatially reduced,
channel-scaled context."""
import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_norm_layer

from ...bricks import (QueryChunkedAttention, head_dims, multi_head_attention,
                       same_conv_channels_last, shape_generic)


class SSA(QueryChunkedAttention):
    """Scalable self-attention.

    With ``sr_ratio > 1`` the keys and values come from a reduced context:
    the (already normalised) input map goes through a depthwise
    ``sr x sr`` / stride-``sr`` conv and a 1x1 conv to ``C' = int(C *
    c_ratio)`` channels, then LayerNorm (eps 1e-5, as released) and GELU.
    ``q``: C -> C', ``k``: C' -> C', ``v``: C' -> C. Trailing rows/columns that
    do not fill an ``sr x sr`` cell are dropped (the conv floors), as in the
    authors' code. With ``sr_ratio == 1`` it is plain global multi-head
    attention (``q``: C -> C, ``kv``: C -> 2C).

    The scale is ``(C / num_heads * c_ratio) ** -0.5`` in both branches.

    Args:
        embed_dims (int): Channels C.
        num_heads (int): Attention heads.
        sr_ratio (int): Spatial reduction (r_n = 1 / sr_ratio ** 2).
        c_ratio (float): Channel scaling r_c of queries and keys.
        qkv_bias (bool): Bias in q, k, v and kv. Defaults to True.
        attn_drop (float): Dropout on attention probabilities.
        proj_drop (float): Dropout after the output projection.
        norm_cfg (dict): Norm after the reduction. Defaults to LayerNorm
            with eps 1e-5.
        act_cfg (dict): Activation after that norm. Defaults to GELU.

    Shapes: input and output (B, H, W, C), channels last.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 sr_ratio: int,
                 c_ratio: float,
                 qkv_bias: bool = True,
                 attn_drop: float = 0.,
                 proj_drop: float = 0.,
                 norm_cfg: dict = dict(type='LN', eps=1e-5),
                 act_cfg: dict = dict(type='GELU'),
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.head_dims = head_dims('SSA', embed_dims, num_heads)
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.sr_ratio = sr_ratio
        self.scale = (self.head_dims * c_ratio)**-0.5
        self.attn_drop = attn_drop

        if sr_ratio > 1:
            reduced = int(embed_dims * c_ratio)
            if reduced < num_heads or reduced % num_heads:
                raise ValueError(
                    f'SSA: int(embed_dims * c_ratio) = int({embed_dims} * '
                    f'{c_ratio}) = {reduced} must be a positive multiple of '
                    f'num_heads {num_heads}; choose another c_ratio.')
            self.reduced_dims = reduced
            self.q = nn.Linear(embed_dims, reduced, bias=qkv_bias)
            self.reduction = nn.Sequential(
                nn.Conv2d(
                    embed_dims,
                    embed_dims,
                    sr_ratio,
                    stride=sr_ratio,
                    groups=embed_dims), nn.Conv2d(embed_dims, reduced, 1))
            self.norm_act = nn.Sequential(
                build_norm_layer(norm_cfg, reduced)[1],
                build_activation_layer(act_cfg))
            self.k = nn.Linear(reduced, reduced, bias=qkv_bias)
            self.v = nn.Linear(reduced, embed_dims, bias=qkv_bias)
        else:
            self.reduced_dims = embed_dims
            self.q = nn.Linear(embed_dims, embed_dims, bias=qkv_bias)
            self.kv = nn.Linear(embed_dims, embed_dims * 2, bias=qkv_bias)
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.proj_drop = nn.Dropout(proj_drop)

    def _context(self, x: torch.Tensor):
        """Query source (B, H*W, C): the tokens; keys and values (B, heads,
        N', d) from the normalised map."""
        B, H, W, C = x.shape
        heads = self.num_heads
        queries = x.reshape(B, H * W, C)
        if self.sr_ratio > 1:
            if not shape_generic() and (H < self.sr_ratio
                                        or W < self.sr_ratio):
                raise ValueError(
                    f'SSA with sr_ratio {self.sr_ratio} got a {H}x{W} map: '
                    'no full reduction cell is left. The input image is too '
                    'small for this backbone; enlarge it.')
            reduce, project = self.reduction
            ctx = reduce(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
            ctx = same_conv_channels_last(project, ctx)  # 1x1 conv
            ctx = self.norm_act(
                ctx.reshape(B, ctx.shape[1] * ctx.shape[2], self.reduced_dims))
            k = self.k(ctx).view(B, -1, heads, self.reduced_dims // heads)
            v = self.v(ctx).view(B, -1, heads, self.head_dims)
            return queries, (k.transpose(1, 2), v.transpose(1, 2))
        kv = self.kv(x).view(B, H * W, 2, heads, self.head_dims)
        return queries, kv.permute(2, 0, 3, 1, 4).unbind(0)

    def _attend(self, x: torch.Tensor, k, v) -> torch.Tensor:
        B, n, C = x.shape
        q = self.q(x).view(B, n, self.num_heads, -1).transpose(1, 2)
        out = multi_head_attention(
            q,
            k,
            v,
            self.scale,
            dropout_p=self.attn_drop if self.training else 0.)
        return self.proj_drop(self.proj(out.transpose(1, 2).reshape(B, n, C)))
