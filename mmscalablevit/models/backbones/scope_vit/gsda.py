"""Global scale dilated attention (GSDA): attention inside dilated token
groups, with a relative-position bias produced by a small MLP."""
from typing import Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from ...bricks import dense, head_dims, multi_head_attention, shape_generic


def _pair(value) -> Tuple[int, int]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


class _Mlp(nn.Module):
    """``fc2(dropout(relu(fc1(x))))`` (keys ``fc1``, ``fc2``)."""

    def __init__(self, in_features: int, hidden: int, out_features: int,
                 drop: float):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.act = nn.ReLU()
        self.drop = nn.Dropout(drop)
        self.fc2 = nn.Linear(hidden, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.drop(self.act(self.fc1(x))))


class RelPosMlp(BaseModule):
    """Relative-position bias of a ``Dh x Dw`` token grid from an MLP of
    log-spaced offsets (timm's ``RelPosMlp`` in its 'cr' mode).

    The offset ``(dy, dx)`` of query ``i`` from key ``j`` (grid coordinates
    ``(i // Dw, i % Dw)``) is encoded as ``(f(dy), f(dx))`` with
    ``f(t) = sign(t) * ln(1 + |t|)``; ``mlp`` (Linear(2, 512), ReLU, Dropout
    0.125 - active in training, as released - and Linear(512, heads)) maps
    each of the ``(2Dh - 1)(2Dw - 1)`` offsets to one bias per head. The
    coordinates and the offset index are non-persistent buffers (no
    state-dict keys); the coordinates are float32 values (correctly
    rounded) that follow the module's dtype, as in the released model.

    Args:
        grid (tuple[int, int]): ``(Dh, Dw)``.
        num_heads (int): Heads (biases per offset).
        hidden (int): MLP width. Defaults to 512.
        drop (float): Dropout after the MLP's ReLU. Defaults to 0.125.

    Shapes: ``forward()`` returns the bias (heads, Dh*Dw, Dh*Dw).
    """

    def __init__(self,
                 grid: Tuple[int, int],
                 num_heads: int,
                 hidden: int = 512,
                 drop: float = 0.125,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.grid = grid
        self.num_heads = num_heads
        self.mlp = _Mlp(2, hidden, num_heads, drop)
        dh, dw = grid
        offsets = torch.stack(
            torch.meshgrid(
                torch.arange(-(dh - 1), dh).to(torch.float64),
                torch.arange(-(dw - 1), dw).to(torch.float64),
                indexing='ij')).permute(1, 2, 0).contiguous()
        # float32 values of the float64 logs: correctly rounded on every
        # CPU (float32 log itself differs by an ulp between vector
        # implementations, e.g. for log(7))
        self.register_buffer(
            'rel_coords_log',
            (torch.sign(offsets) * torch.log(1.0 + offsets.abs())).view(
                -1, 2).to(torch.float32),
            persistent=False)
        ky, kx = torch.meshgrid(
            torch.arange(dh), torch.arange(dw), indexing='ij')
        ky, kx = ky.flatten(), kx.flatten()
        index = (ky[:, None] - ky[None, :] + dh - 1) * (2 * dw - 1) + \
            (kx[:, None] - kx[None, :] + dw - 1)
        self.register_buffer(
            'relative_position_index', index.view(-1), persistent=False)

    def forward(self) -> torch.Tensor:
        tokens = self.grid[0] * self.grid[1]
        table = self.mlp(self.rel_coords_log)  # (offsets, heads)
        bias = table[self.relative_position_index]
        return bias.view(tokens, tokens, self.num_heads).permute(2, 0, 1)


class GSDA(BaseModule):
    """Global scale dilated attention.

    The (H, W) map is split into ``P x Q`` dilated groups of ``Dh x Dw``
    tokens, ``P = ceil(H / Dh)``, ``Q = ceil(W / Dw)``: group ``(p, q)``
    holds the tokens at rows ``p, p + P, ..., p + (Dh - 1) P`` and columns
    ``q, q + Q, ..., q + (Dw - 1) Q`` (one token of each contiguous ``P x Q``
    tile - a dilated grid, not a window), its token ``(kh, kw)`` being row
    ``kh * P + p``, column ``kw * Q + q``. Each group runs multi-head
    attention with the :class:`RelPosMlp` bias of the grid offsets
    ``(kh_i - kh_j, kw_i - kw_j)``; all groups run in one batched
    scaled-dot-product attention with the bias as an additive float mask
    (computed once per forward).

    Sides that are not multiples of the dilation (where the released model
    raises): the map is zero-padded at the bottom/right to ``Dh P x Dw Q``,
    the padded keys get ``-inf`` after the bias is added, and the padded
    queries are cropped. A group's row ``kh`` thus exists only if
    ``kh * P + p < H`` (likewise for columns), so every group attends over
    exactly its real tokens with the bias of their grid offsets; token
    ``(0, 0)`` of every group is real, so no query is left without keys.
    A map smaller than the dilation (``P = 1``) is one group: global
    attention with the relative-position bias. On multiples of the
    dilation nothing is padded or masked and the result is the released
    model's. Traced and exported graphs (:func:`shape_generic`) always pad
    and mask, with pad amounts computed arithmetically, so that they are
    valid for every input size.

    Args:
        embed_dims (int): Channels C.
        num_heads (int): Attention heads; C must divide by it.
        dilation (int | tuple[int, int]): ``(Dh, Dw)``, the group grid.
        rel_pos_hidden (int): Width of the bias MLP. Defaults to 512.
        rel_pos_drop (float): Dropout inside the bias MLP. Defaults to
            0.125 (released).

    Shapes: input and output (B, H, W, C), channels last.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 dilation: Union[int, Tuple[int, int]] = 8,
                 rel_pos_hidden: int = 512,
                 rel_pos_drop: float = 0.125,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.head_dims = head_dims('GSDA', embed_dims, num_heads)
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.dilation = _pair(dilation)
        self.scale = self.head_dims**-0.5
        self.qkv = nn.Linear(embed_dims, embed_dims * 3, bias=False)
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.rel_pos = RelPosMlp(self.dilation, num_heads, rel_pos_hidden,
                                 rel_pos_drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, H, W, C = x.shape
        dh, dw = self.dilation
        heads, dims, tokens = self.num_heads, self.head_dims, dh * dw
        # group spacing and bottom/right padding: non-negative integer
        # arithmetic, valid for symbolic sizes too
        P, Q = (H + dh - 1) // dh, (W + dw - 1) // dw
        pad_h, pad_w = dh * P - H, dw * Q - W
        # traces and exports always pad and mask, so that the graph holds
        # for every size; eager code skips both on aligned maps
        padded = shape_generic() or pad_h > 0 or pad_w > 0
        if padded:
            x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
        groups = P * Q
        # (B, Dh, P, Dw, Q, C) -> (B, P, Q, Dh, Dw, C): project per group
        x = x.reshape(B, dh, P, dw, Q, C).permute(0, 2, 4, 1, 3, 5)
        qkv = self.qkv(dense(x).view(B, groups, tokens, C))
        qkv = qkv.view(B, groups, tokens, 3, heads, dims)
        bias = self.rel_pos().to(qkv.dtype)  # (heads, L, L)
        if padded:
            # one mask per group and head, shared by the batch: attend as
            # (B, groups * heads, L, d)
            qkv = qkv.permute(3, 0, 1, 4, 2, 5)
            qkv = dense(qkv).view(3, B, groups * heads, tokens, dims)
            mask = bias + self._key_padding(H, W, P, Q, qkv.dtype, x.device)
            mask = mask.reshape(groups * heads, tokens, tokens)
        else:
            # the bias is shared by every group: (B * groups, heads, L, d)
            qkv = qkv.view(B * groups, tokens, 3, heads,
                           dims).permute(2, 0, 3, 1, 4)
            mask = bias
        q, k, v = qkv.unbind(0)
        out = multi_head_attention(q, k, v, self.scale, attn_mask=mask)
        out = out.view(B, groups, heads, tokens, dims).transpose(2, 3)
        out = self.proj(dense(out).view(B, groups, tokens, C))
        # inverse regroup: (B, P, Q, Dh, Dw, C) -> (B, Dh P, Dw Q, C)
        out = out.view(B, P, Q, dh, dw, C).permute(0, 3, 1, 4, 2, 5)
        out = dense(out).view(B, dh * P, dw * Q, C)
        if padded:  # crop by negative padding: exact sizes, no clamping
            out = F.pad(out, (0, 0, 0, -pad_w, 0, -pad_h))
        return out

    def _key_padding(self, H, W, P, Q, dtype, device) -> torch.Tensor:
        """Additive key mask (groups, 1, 1, L): ``-inf`` on padded tokens.
        Made as the map is: a map of ones, padded and regrouped (the same
        ops, so a traced graph needs no other fact about the sizes)."""
        dh, dw = self.dilation
        real = torch.ones(1, H, W, 1, dtype=dtype, device=device)
        real = F.pad(real, (0, 0, 0, dw * Q - W, 0, dh * P - H))
        real = real.reshape(1, dh, P, dw, Q, 1).permute(0, 2, 4, 1, 3, 5)
        real = dense(real).view(P * Q, 1, 1, dh * dw)
        return torch.zeros_like(real).masked_fill(real == 0, float('-inf'))
