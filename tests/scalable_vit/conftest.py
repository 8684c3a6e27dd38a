import pytest
import torch

from .fixtures import FIXTURE


@pytest.fixture(scope='session')
def official():
    """The authors' ScalableViT on random weights: config, state dict,
    input and outputs (float32 and float64)."""
    return torch.load(FIXTURE, map_location='cpu', weights_only=True)
