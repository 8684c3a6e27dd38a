"""Interactive window self-attention (IWSA): window attention plus the local
interactive module (LIM) that mixes values across window borders."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from ...bricks import (crop, head_dims, multi_head_attention, reshape,
                       shape_generic)


def _window_grid(size, window: int, generic: bool):
    """Window extent, number of windows and bottom/right pad along one axis.

    A map no larger than the window is one window of the map's own extent
    (attending over it equals attending over a padded, masked window). In
    shape-generic code (``generic``) the size may be symbolic: windows are
    always ``window`` wide, with pad amounts from integer arithmetic.
    """
    if not generic and size <= window:
        return size, 1, 0
    num = (size + window - 1) // window
    return window, num, num * window - size


class IWSA(BaseModule):
    """Interactive window self-attention.

    Multi-head attention inside non-overlapping ``window_size`` windows, plus
    the LIM: a depthwise 3x3 conv over the full (un-windowed) value map whose
    output is added to the attention output before the output projection.

    Maps whose sides are not multiples of the window are zero-padded at the
    bottom/right to whole windows; the padded keys are masked out (every
    window keeps at least one real key), the padded queries are cropped, and
    the LIM sees zeros there, exactly as its conv's own padding. Outputs on
    the real tokens equal window attention over each window's real tokens;
    aligned maps are not padded at all.

    Args:
        embed_dims (int): Channels C.
        num_heads (int): Attention heads; C must divide by it.
        window_size (int): Window side. Defaults to 7.
        qkv_bias (bool): Bias in the qkv projection. Defaults to True.
        attn_drop (float): Dropout on attention probabilities.
        proj_drop (float): Dropout after the output projection.

    Shapes: input and output (B, H, W, C), channels last.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 window_size: int = 7,
                 qkv_bias: bool = True,
                 attn_drop: float = 0.,
                 proj_drop: float = 0.,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.head_dims = head_dims('IWSA', embed_dims, num_heads)
        if window_size < 2:
            raise ValueError('IWSA needs window_size >= 2 (a stage with '
                             'window size 1 uses SSA in every block).')
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.window_size = window_size
        self.scale = self.head_dims**-0.5
        self.attn_drop = attn_drop

        self.qkv = nn.Linear(embed_dims, embed_dims * 3, bias=qkv_bias)
        self.lim_func = nn.Conv2d(
            embed_dims, embed_dims, 3, padding=1, groups=embed_dims)
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, H, W, C = x.shape
        heads, dims = self.num_heads, self.head_dims
        # traces and exports always pad and mask, so that the graph holds
        # for every size; eager code skips both on aligned maps
        generic = shape_generic()
        wh, nh, pad_h = _window_grid(H, self.window_size, generic)
        ww, nw, pad_w = _window_grid(W, self.window_size, generic)
        windows = B * nh * nw
        padded = generic or pad_h > 0 or pad_w > 0
        if padded:
            x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
        # Window the C-channel input once and project there: q, k and v are
        # strided views of the projection, (B * windows, heads, wh * ww, d).
        x = x.view(B, nh, wh, nw, ww, C).transpose(2, 3)
        qkv = self.qkv(reshape(x, windows, wh * ww, C))
        qkv = qkv.view(windows, wh * ww, 3, heads, dims)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)

        mask = real = None
        if padded:
            # (nh * wh, nw * ww): True on the tokens of the H x W map
            real = (torch.arange(nh * wh, device=x.device) < H)[:, None] & \
                (torch.arange(nw * ww, device=x.device) < W)[None, :]
            mask = torch.zeros(real.shape, dtype=q.dtype, device=q.device)
            mask = mask.masked_fill(~real, float('-inf'))
            # -> (B * windows, 1, 1, wh * ww): -inf on padded keys
            mask = reshape(
                mask.view(nh, wh, nw,
                          ww).transpose(1, 2).expand(B, nh, nw, wh, ww),
                windows, 1, 1, wh * ww)
        out = multi_head_attention(
            q,
            k,
            v,
            self.scale,
            attn_mask=mask,
            dropout_p=self.attn_drop if self.training else 0.)
        out = self._to_map(out.transpose(1, 2), B, nh, nw, wh, ww, C)

        # LIM on the value map of the real tokens: padded positions (which
        # hold the projection bias) are zeroed, as the conv's own padding.
        v_map = self._to_map(qkv[:, :, 2], B, nh, nw, wh, ww, C)
        if padded:
            v_map = v_map * real.to(v_map.dtype)[None, :, :, None]
        out = out + self.lim_func(v_map.permute(0, 3, 1, 2)).permute(
            0, 2, 3, 1)
        out = self.proj_drop(self.proj(out))
        return crop(out, H, W) if padded else out

    @staticmethod
    def _to_map(windows, B, nh, nw, wh, ww, C):
        """(B * nh * nw, wh * ww, heads, d) -> (B, nh * wh, nw * ww, C)."""
        windows = windows.reshape(B, nh, nw, wh, ww, C)
        return reshape(windows.transpose(2, 3), B, nh * wh, nw * ww, C)
