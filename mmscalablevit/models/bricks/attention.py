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
from typing import Optional

import torch
import torch.nn.functional as F

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
