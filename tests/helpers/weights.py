"""Random weights for tests and fixtures."""
import torch


@torch.no_grad()
def randomize(model, seed=0):
    """``model`` with weights that have visible effects everywhere:
    LayerScale 0.3-0.7 (not 1e-6), norm weights and BatchNorm statistics
    away from identity, every other parameter random and scaled by its
    fan-in (also the fixtures' weights: tests/data/make_fixtures.py)."""
    g = torch.Generator().manual_seed(seed)
    for name, p in model.named_parameters():
        if name.endswith('gamma'):
            p.copy_(0.3 + 0.4 * torch.rand(p.shape, generator=g))
        elif p.dim() == 1 and name.endswith('weight'):
            p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
        else:
            fan_in = p[0].numel() if p.dim() > 1 else 16
            p.copy_(torch.randn(p.shape, generator=g) / fan_in**0.5)
    for name, b in model.named_buffers():
        if name.endswith('running_mean'):
            b.copy_(0.1 * torch.randn(b.shape, generator=g))
        elif name.endswith('running_var'):
            b.copy_(0.5 + torch.rand(b.shape, generator=g))
    return model
