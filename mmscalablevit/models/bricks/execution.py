"""Which code path a backbone's modules take for one forward: the one rule
that every block, FFN and position encoding asks.

* ``TRAINING`` (training mode, autograd on): training-only memory savers,
  e.g. activations recomputed inside a custom backward.
* ``INFERENCE`` (eval mode, autograd off, eager): in-place residuals and
  token chunks that keep wide intermediates small.
* ``PLAIN`` (everything else): the straightforward differentiable ops. This
  covers eval mode with autograd on, and any trace or export
  (``torch.jit.trace``, the jit-based FLOP counters, ``torch.onnx.export``,
  ``torch.export``), which must see ordinary shape-generic operators: a
  custom autograd function is opaque to them and a chunk count or an
  in-place write would be baked into the graph.

All three paths compute the same values (tested).

Whether a tracer or exporter is running is asked in one place,
:func:`shape_generic`: every module that must not branch on a size or
write in place asks it (directly, or through :func:`execution_path` and
the helpers of :mod:`.shapes`).
"""
import enum

import torch
import torch.nn as nn


class ExecutionPath(enum.Enum):
    TRAINING = 'training'
    PLAIN = 'plain'
    INFERENCE = 'inference'


def shape_generic() -> bool:
    """Whether a tracer or exporter is running: sizes may be symbolic, so
    code must not branch in Python on them (a branch would be baked into
    the graph for the example's size, or violate a dynamic-shape
    constraint). Padding, for instance, is then always applied, by
    amounts computed with non-negative integer arithmetic."""
    return (torch.jit.is_tracing() or torch.jit.is_scripting()
            or torch.onnx.is_in_onnx_export() or torch.compiler.is_exporting())


def execution_path(module: nn.Module) -> ExecutionPath:
    """The path ``module`` takes now (its ``training`` flag, the autograd
    mode and whether a tracer or exporter is running)."""
    if shape_generic():
        return ExecutionPath.PLAIN
    grad = torch.is_grad_enabled()
    if module.training and grad:
        return ExecutionPath.TRAINING
    if not module.training and not grad:
        return ExecutionPath.INFERENCE
    return ExecutionPath.PLAIN
