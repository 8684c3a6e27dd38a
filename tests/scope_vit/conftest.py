import pytest
import torch

from scope_vit.fixtures import FIXTURE


@pytest.fixture(scope='session')
def official():
    """The authors' ScopeViT on random weights: config, state dict (the
    classifier's, authors' keys), input, stage outputs and logits in float32
    and float64, and intermediate tensors of the first block."""
    return torch.load(FIXTURE, map_location='cpu', weights_only=True)
