"""Operations on channels-last maps written for dynamic-shape export.

``torch.export`` with dynamic H and W reasons symbolically about every
size derived from them (stage maps ``ceil(H / 32)``, window counts, ...).
Where it cannot prove a fact it guards on the example's value, and a guard
that some allowed size violates makes the export fail. Two kinds of guard
come from ordinary code and are avoided here:

* whether a derived size is 1 (the "0/1 specialisation"): a convolution
  over a channels-last tensor asks whether each spatial side exceeds 1 to
  pick its memory format, and ``Tensor.contiguous`` asks which sides are 1;
* relations between floor divisions (``H <= 7 * ceil(H / 7)``), which
  slicing a padded map back to ``H`` rows needs; cropping by negative
  padding needs none (the output size is ``H`` by construction).

Every helper computes exactly what its eager counterpart computes, and only
takes the export-specific route in shape-generic code
(:func:`~.execution.shape_generic`) or, for :func:`may_be_one`, on symbolic
sizes.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.fx.experimental.symbolic_shapes import statically_known_true

from .execution import shape_generic


def may_be_one(*sizes) -> bool:
    """True if some size is symbolic (``torch.export``) and not statically
    known to exceed 1. Never adds a guard."""
    return not all(
        statically_known_true(size > 1)
        for size in sizes if isinstance(size, torch.SymInt))


def crop(x: torch.Tensor, height, width) -> torch.Tensor:
    """The top-left ``height x width`` of a (B, H', W', C) map with
    ``H' >= height``, ``W' >= width``: a view in eager code; in
    shape-generic code a copy by negative padding, so that the result's
    size is ``height x width`` without proving ``height <= H'``."""
    if not shape_generic():
        return x[:, :height, :width]
    return F.pad(x, (0, 0, 0, width - x.shape[2], 0, height - x.shape[1]))


def same_conv_channels_last(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """``conv`` (stride 1, 'same' zero padding: a 1x1 conv, a depthwise 3x3
    with padding 1, ...) over a channels-last map: (B, H, W, C) -> (B, H, W,
    C').

    While exporting a map that may be one row or column high, the map is
    zero-padded by one row and column at the bottom/right first (the conv's
    own padding already reads zeros there) and cropped back: the conv then
    sees sides that are known to exceed 1.
    """
    H, W = x.shape[1], x.shape[2]
    padded = may_be_one(H, W)
    if padded:
        x = F.pad(x, (0, 0, 0, 1, 0, 1))
    out = conv(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
    return crop(out, H, W) if padded else out


def same_conv(conv, x: torch.Tensor) -> torch.Tensor:
    """``conv(x)`` for a stride-1 'same' conv (or a callable made of one and
    pointwise ops, e.g. conv + BatchNorm) over an NCHW map, any memory
    format. While exporting a map that may be one row or column high, it is
    zero-padded by one row and column at the bottom/right first (the conv's
    own padding reads zeros there anyway) and the output cropped back."""
    H, W = x.shape[-2], x.shape[-1]
    padded = may_be_one(H, W)
    if padded:
        x = F.pad(x, (0, 1, 0, 1))
    out = conv(x)
    if padded:
        out = F.pad(out, (0, W - out.shape[-1], 0, H - out.shape[-2]))
    return out


def reshape(x: torch.Tensor, *shape) -> torch.Tensor:
    """``x.reshape(*shape)`` of a permuted tensor that the reshape copies
    anyway; in shape-generic code an explicit contiguous copy then a view
    (the view-or-copy decision of ``reshape`` asks whether sides are 1)."""
    if shape_generic():
        return x.clone(memory_format=torch.contiguous_format).view(*shape)
    return x.reshape(*shape)


def contiguous_nchw(x: torch.Tensor) -> torch.Tensor:
    """``x.contiguous()`` of an NCHW view; in shape-generic code a copy into
    the contiguous format (which does not ask which sides are 1)."""
    if shape_generic():
        return x.clone(memory_format=torch.contiguous_format)
    return x.contiguous()


def dense(t: torch.Tensor) -> torch.Tensor:
    """``t`` in contiguous memory (for a following ``view``): in eager code
    ``t.contiguous()`` (no copy when it already is); while tracing or
    exporting (:func:`shape_generic`) always a copy, which does not ask
    whether sides are 1."""
    if shape_generic():
        return t.clone(memory_format=torch.contiguous_format)
    return t.contiguous()
