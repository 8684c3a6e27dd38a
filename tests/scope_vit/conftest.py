import pytest
import torch

from .fixtures import FIXTURE


@pytest.fixture(scope='session')
def official():
    """The authors' ScopeViT on random weights: config, state dict (the
    classifier's, authors' keys), input, stage outputs and logits in float32
    and float64, and intermediate tensors of the first block."""
    return torch.load(FIXTURE, map_location='cpu', weights_only=True)


@pytest.fixture(autouse=True)
def _one_thread():
    """The tests run thousands of small ops (the reference loops over
    groups): one intra-op thread keeps them fast on a shared machine, where
    every parallel region would wait for a busy core."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
