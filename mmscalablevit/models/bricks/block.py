"""The pre-norm residual transformer block, with its three execution paths
(see :mod:`.execution`) in one place."""
from contextlib import contextmanager, nullcontext

import torch
import torch.nn as nn
import torch.utils.checkpoint as cp
from mmcv.cnn.bricks.drop import build_dropout
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

from .attention import QueryChunkedAttention
from .execution import ExecutionPath, execution_path


class LayerScale(nn.Module):
    """Per-channel scale ``x * gamma`` of the last dimension (key ``gamma``).

    Args:
        dims (int): Channels C.
        init_value (float): Initial value of every ``gamma`` entry.
    """

    def __init__(self, dims: int, init_value: float = 1e-5):
        super().__init__()
        self.gamma = nn.Parameter(torch.full((dims, ), float(init_value)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma


def drop_path_layer(rate: float) -> nn.Module:
    """mmcv's DropPath for ``rate > 0``, else the identity."""
    return build_dropout(dict(type='DropPath', drop_prob=rate)) \
        if rate > 0 else nn.Identity()


@contextmanager
def keep_running_stats(module: nn.Module):
    """Restore the running statistics of every BatchNorm in ``module`` on
    exit: a checkpointed forward that is recomputed in backward must not
    update them a second time."""
    buffers = [
        buf for m in module.modules() if isinstance(m, _BatchNorm)
        for buf in (m.running_mean, m.running_var, m.num_batches_tracked)
        if buf is not None
    ]
    saved = [buf.clone() for buf in buffers]
    try:
        yield
    finally:
        with torch.no_grad():
            for buf, value in zip(buffers, saved):
                buf.copy_(value)


def _checkpoint_contexts(module: nn.Module):
    return lambda: (nullcontext(), keep_running_stats(module))


class PreNormBlock(BaseModule):
    """``x + DropPath(ls1(attn(norm1(x))))``, then
    ``x + DropPath(ls2(ffn(norm2(x))))``.

    Subclasses build ``norm1``, ``attn``, ``norm2`` and ``ffn`` (token-wise,
    ``(..., C) -> (..., C)``) and may replace ``ls1`` / ``ls2`` (identity by
    default) and ``drop_path``. The input is a channels-last map
    (B, H, W, C); ``attn`` maps it to a tensor of the same shape.

    Paths (:func:`execution_path`): ``TRAINING`` and ``PLAIN`` run the
    formula above (``with_cp`` recomputes the block in backward); without
    autograd (``INFERENCE``) both residuals are added in place and the FFN
    runs chunk by chunk of ``token_chunk`` tokens, so that its wide hidden
    activation stays small and cache-resident; so does a
    :class:`QueryChunkedAttention`, chunk by chunk of queries.

    Args:
        with_cp (bool): Activation checkpointing of the block. BatchNorms
            inside the block update their running statistics once per
            training step (not again in the recomputation).
    """
    # tokens per chunk of the inference path
    token_chunk = 2048

    def __init__(self, with_cp: bool = False, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.with_cp = with_cp
        self.ls1 = nn.Identity()
        self.ls2 = nn.Identity()
        self.drop_path = nn.Identity()

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.ls1(self.attn(self.norm1(x))))
        return x + self.drop_path(self.ls2(self.ffn(self.norm2(x))))

    def _inference(self, x: torch.Tensor, inplace: bool) -> torch.Tensor:
        out = x if inplace else x.clone()
        normed = self.norm1(x)
        if isinstance(self.attn, QueryChunkedAttention):
            self.attn.add_chunked(out, normed, self.token_chunk, self.ls1)
        else:
            out.add_(self.ls1(self.attn(normed)))
        for chunk in out.view(-1, out.shape[-1]).split(self.token_chunk):
            chunk.add_(self.ls2(self.ffn(self.norm2(chunk))))
        return out

    def forward(self, x: torch.Tensor, inplace: bool = False) -> torch.Tensor:
        """(B, H, W, C) -> (B, H, W, C). ``inplace=True`` lets the inference
        path write the output into ``x``, a tensor the caller no longer
        needs."""
        path = execution_path(self)
        if path is ExecutionPath.INFERENCE:
            return self._inference(x.contiguous(), inplace)
        if self.with_cp and path is ExecutionPath.TRAINING \
                and x.requires_grad:
            return cp.checkpoint(
                self._forward,
                x,
                use_reentrant=False,
                context_fn=_checkpoint_contexts(self))
        return self._forward(x)
