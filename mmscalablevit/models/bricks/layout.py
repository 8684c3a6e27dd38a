"""Tensor layout helpers that keep traced graphs valid for every size."""
import torch

from .execution import shape_generic


def dense(t: torch.Tensor) -> torch.Tensor:
    """``t`` in contiguous memory (for a following ``view``).

    Eager: ``t.contiguous()`` (no copy when it already is). Traced or
    exported (:func:`shape_generic`): always a copy. With symbolic sizes
    (``torch.export``) asking whether ``t`` is contiguous is answered by
    fixing which sizes are 1, guards that would tie the exported graph to
    the example input's size.
    """
    if shape_generic():
        return t.clone(memory_format=torch.contiguous_format)
    return t.contiguous()
