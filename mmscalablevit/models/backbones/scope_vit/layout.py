"""Tensor layout helpers that keep traced graphs valid for every size."""
import torch


def dense(t: torch.Tensor) -> torch.Tensor:
    """A contiguous copy of a permuted tensor (what ``reshape`` of it would
    copy anyway). Unlike ``reshape`` / ``contiguous`` it never asks whether
    ``t`` is contiguous already: with symbolic sizes (``torch.export``)
    that question is answered by fixing which sizes are 1, guards that
    would tie the exported graph to the example input's size."""
    return t.clone(memory_format=torch.contiguous_format)
