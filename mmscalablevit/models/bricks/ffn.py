"""A transformer FFN that is lean on training memory."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as cp
from mmcv.cnn.bricks.transformer import FFN

from .execution import ExecutionPath, execution_path


class _GELULinear(torch.autograd.Function):
    """``linear(gelu(hidden), weight, bias)`` that saves only ``hidden`` for
    backward and recomputes the GELU there, once: the weight gradient needs
    ``gelu(hidden)``, the input gradient ``gelu'(hidden)``, and nothing needs
    the linear's output again (which plain checkpointing would recompute)."""

    @staticmethod
    def forward(ctx, hidden, weight, bias):
        ctx.save_for_backward(hidden, weight)
        ctx.has_bias = bias is not None
        return F.linear(F.gelu(hidden), weight, bias)

    @staticmethod
    def backward(ctx, grad_out):
        hidden, weight = ctx.saved_tensors
        dtype = grad_out.dtype  # autocast may run the linear in bf16/fp16
        grad_2d = grad_out.reshape(-1, grad_out.shape[-1])
        act = F.gelu(hidden).to(dtype).reshape(-1, hidden.shape[-1])
        grad_weight = (grad_2d.t() @ act).to(weight.dtype)
        grad_bias = grad_2d.sum(0).to(weight.dtype) if ctx.has_bias else None
        grad_act = (grad_out @ weight.to(dtype)).to(hidden.dtype)
        grad_hidden = torch.ops.aten.gelu_backward(grad_act, hidden)
        return grad_hidden, grad_weight, grad_bias


class RecomputedActFFN(FFN):
    """mmcv's FFN (fc1 -> activation -> dropout -> fc2 -> dropout, same
    parameters and keys) that keeps only fc1's output for backward.

    In training (:func:`execution_path` is ``TRAINING``), with the exact
    GELU and no FFN dropout the activation is recomputed once inside fc2's
    backward (:class:`_GELULinear`); otherwise activation and fc2 are
    checkpointed. Either way the hidden-wide activation is not kept. Every
    other path runs the plain layers.

    Shapes: input and output (..., C).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _, act, drop = self.layers[0]
        self._fused_tail = (
            type(act) is nn.GELU and act.approximate == 'none' and drop.p == 0
            and self.layers[2].p == 0)

    def _tail(self, hidden: torch.Tensor) -> torch.Tensor:
        _, act, drop = self.layers[0]
        return self.layers[2](self.layers[1](drop(act(hidden))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = self.layers[0][0](x)
        if execution_path(self) is not ExecutionPath.TRAINING \
                or not hidden.requires_grad:
            out = self._tail(hidden)
        elif self._fused_tail:
            fc2 = self.layers[1]
            out = _GELULinear.apply(hidden, fc2.weight, fc2.bias)
        else:
            out = cp.checkpoint(self._tail, hidden, use_reentrant=False)
        return self.dropout_layer(self.gamma2(out))
