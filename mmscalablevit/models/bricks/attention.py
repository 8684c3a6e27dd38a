"""Multi-head scaled dot-product attention for every backbone's attentions.

The fused path calls :func:`torch.nn.functional.scaled_dot_product_attention`
(flash / memory-efficient kernels on CPU and CUDA). Those kernels need the
query/key and value head widths to be equal and reject boolean masks, so the
narrower side is zero-padded (which changes neither ``q @ k^T`` nor the kept
output channels) and masks are additive floats.

The reference path materialises ``softmax(q @ k^T * scale) @ v`` with plain
matmuls, as the released models' code does. It is used by FLOP counting
(mmengine's counter sees the matmuls) and by tests that prove the fused path
is equivalent. Switch to it with :func:`reference_attention`.
"""
from contextlib import contextmanager
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

_USE_REFERENCE = False


@contextmanager
def reference_attention(enabled: bool = True):
    """Context manager that routes every :func:`multi_head_attention` call
    through the explicit-matmul reference implementation."""
    global _USE_REFERENCE
    previous = _USE_REFERENCE
    _USE_REFERENCE = enabled
    try:
        yield
    finally:
        _USE_REFERENCE = previous


def multi_head_attention(q: torch.Tensor,
                         k: torch.Tensor,
                         v: torch.Tensor,
                         scale: float,
                         attn_mask: Optional[torch.Tensor] = None,
                         dropout_p: float = 0.) -> torch.Tensor:
    """Attention of ``q`` (..., L, Dqk) over ``k`` (..., S, Dqk) / ``v``
    (..., S, Dv); returns (..., L, Dv).

    Args:
        scale (float): Multiplier of ``q @ k^T`` (always explicit: some
            attentions scale by another width than ``Dqk``).
        attn_mask (Tensor, optional): Additive float mask broadcastable to
            (..., L, S); ``-inf`` removes a key.
        dropout_p (float): Dropout on the attention probabilities.
    """
    if _USE_REFERENCE:
        attn = (q @ k.transpose(-2, -1)) * scale
        if attn_mask is not None:
            attn = attn + attn_mask
        attn = attn.softmax(dim=-1)
        if dropout_p > 0:
            attn = F.dropout(attn, p=dropout_p)
        return attn @ v

    if attn_mask is not None and attn_mask.dim() < q.dim():
        # PyTorch's CPU flash kernel takes masks of q's rank only (others
        # fall back to the math kernel)
        attn_mask = attn_mask.view((1, ) * (q.dim() - attn_mask.dim()) +
                                   tuple(attn_mask.shape))
    d_qk, d_v = q.shape[-1], v.shape[-1]
    if d_qk < d_v:
        q = F.pad(q, (0, d_v - d_qk))
        k = F.pad(k, (0, d_v - d_qk))
    elif d_v < d_qk:
        v = F.pad(v, (0, d_qk - d_v))
    out = F.scaled_dot_product_attention(
        q, k, v, attn_mask=attn_mask, dropout_p=dropout_p, scale=scale)
    if d_v < d_qk:
        out = out[..., :d_v]
    return out


def head_dims(name: str, embed_dims: int, num_heads: int) -> int:
    """Channels per head, ``embed_dims // num_heads``; ``name`` (the
    attention) is named when the heads do not divide the width."""
    if embed_dims % num_heads:
        raise ValueError(f'{name}: embed_dims {embed_dims} is not divisible '
                         f'by num_heads {num_heads}.')
    return embed_dims // num_heads


class QueryChunkedAttention(BaseModule):
    """An attention of every token over a context shared by all queries,
    which the inference path of :class:`PreNormBlock` can run chunk by
    chunk of queries (:meth:`add_chunked`), so that the wide intermediates
    of the queries stay small.

    Subclasses implement :meth:`_context` and :meth:`_attend`.

    Shapes: input and output (B, H, W, C), channels last.
    """

    def _context(self, x: torch.Tensor) -> Tuple[torch.Tensor, tuple]:
        """(B, H, W, C) -> the query source of every token (B, H*W, C') and
        the context every query attends to (e.g. keys and values)."""
        raise NotImplementedError

    def _attend(self, queries: torch.Tensor, *context) -> torch.Tensor:
        """Projected output (B, n, C) of ``n`` tokens' query source."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        queries, context = self._context(x)
        return self._attend(queries, *context).view(x.shape)

    def add_chunked(self,
                    out: torch.Tensor,
                    x: torch.Tensor,
                    chunk: int,
                    scale=None) -> None:
        """``out += scale(self(x))``, ``chunk`` queries at a time (``out``
        (B, H, W, C), contiguous)."""
        B, H, W, C = x.shape
        queries, context = self._context(x)
        targets = out.view(B, H * W, C).split(chunk, dim=1)
        for query, target in zip(queries.split(chunk, dim=1), targets):
            result = self._attend(query, *context)
            target.add_(scale(result) if scale is not None else result)
