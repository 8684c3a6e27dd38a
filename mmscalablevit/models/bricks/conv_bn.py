"""Conv followed by BatchNorm, folded into one conv at inference."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.modules.batchnorm import _BatchNorm

from .execution import ExecutionPath, execution_path


def fold_bn(conv: nn.Conv2d, bn: _BatchNorm):
    """Weight and bias of ``bn(conv(x))`` as one conv, with ``bn``'s
    running statistics (eval mode)."""
    scale = bn.weight * torch.rsqrt(bn.running_var + bn.eps)
    weight = conv.weight * scale.view(-1, 1, 1, 1)
    bias = bn.bias - bn.running_mean * scale
    if conv.bias is not None:
        bias = bias + conv.bias * scale
    return weight, bias


def conv_bn(x: torch.Tensor, conv: nn.Conv2d, bn: _BatchNorm,
            owner: nn.Module) -> torch.Tensor:
    """``bn(conv(x))``; on ``owner``'s inference path (eval, no autograd)
    and with ``bn`` in eval mode as one conv with the folded weights (one
    pass over the output instead of two; equal up to float rounding)."""
    if execution_path(owner) is ExecutionPath.INFERENCE and not bn.training:
        weight, bias = fold_bn(conv, bn)
        return F.conv2d(x, weight, bias, conv.stride, conv.padding,
                        conv.dilation, conv.groups)
    return bn(conv(x))
