"""ScopeViT test data: tiny archs, the authors' model on random weights
(tests/data/scopevit_tiny_seed0.pth: config, state dict, input, outputs in
float32 and float64, intermediates; made with the released code) and
helpers to move between the authors' keys and ours."""
import os.path as osp
import re
from collections import OrderedDict

import torch
from helpers import DATA

FIXTURE = osp.join(DATA, 'scopevit_tiny_seed0.pth')

# The released layout (strides 4/2/1/1, splits, dilation 8) at a quarter of
# the width and with fewer blocks: fast enough for behaviour tests on CPU.
TINY_ARCH = dict(
    embed_dims=[16, 32, 48, 64],
    depths=[1, 1, 2, 1],
    num_heads=[2, 4, 8, 16],
    mssa_stride=[4, 2, 1, 1],
    mssa_split=[[1, 1, 0], [2, 1, 1], [4, 3, 1], [8, 6, 2]],
    gsda_dilation=[8, 8, 8, 8])

# What the released code cannot build or run: splits without a 5x5 or 7x7
# group, a 7x7-only split, rectangular and small dilations, stride 3, and a
# narrower FFN.
GENERAL_ARCH = dict(
    embed_dims=[8, 16, 24, 32],
    depths=[1, 1, 1, 1],
    num_heads=[2, 2, 3, 4],
    mssa_stride=[3, 2, 1, 1],
    mssa_split=[[1, 0, 1], [0, 1, 1], [3, 0, 0], [0, 0, 4]],
    gsda_dilation=[(4, 8), 3, (2, 5), 1],
    mlp_ratios=2.5)

# The machine that made the fixture computed float32 log(7) one ulp above
# the correctly rounded value (its vector log is accurate to an ulp) and
# every other log(1 + n), n < 8, exactly. A least-squares fit of those eight
# values to the fixture's float64 outputs gives +1.0000 ulp for log(7) and
# below 1e-7 ulp for the rest; with that one value the outputs agree to
# 2e-14. The float64 parity tests use the fixture machine's value.
LOG7 = torch.log(torch.tensor(7., dtype=torch.float64)).float()
FIXTURE_LOG7 = torch.nextafter(LOG7, torch.tensor(float('inf')))


def fixture_log_coords(offsets):
    """The log coordinates of the fixture's machine (see above)."""
    coords = (torch.sign(offsets) * torch.log(1 + offsets.abs())).float()
    return torch.where(coords.abs() == LOG7,
                       coords.sign() * FIXTURE_LOG7, coords)


def as_on_fixture_machine(model):
    """``model`` with the fixture machine's log coordinates in every GSDA
    bias (call before changing the dtype)."""
    from mmscalablevit.models.backbones.scope_vit import RelPosMlp
    for module in model.modules():
        if isinstance(module, RelPosMlp):
            coords = module.rel_coords_log
            coords.copy_(
                torch.where(coords.abs() == LOG7,
                            coords.sign() * FIXTURE_LOG7, coords))
    return model


_OURS = [(re.compile(r'\.(mssa|gsda)\.ffn\.layers\.0\.0\.'), r'.\1.mlp.fc1.'),
         (re.compile(r'\.(mssa|gsda)\.ffn\.layers\.1\.'), r'.\1.mlp.fc2.')]


def arch_from_official(config):
    """Our arch dict from the fixture's config (the authors' arch dict and
    constructor arguments)."""
    arch = {k: list(v) for k, v in config['arch'].items()}
    arch['mlp_ratios'] = config['ctor']['mlp_ratios']
    return arch


def to_official(state_dict):
    """Our backbone keys -> the authors' (the converter's inverse)."""
    out = OrderedDict()
    for key, value in state_dict.items():
        for pattern, repl in _OURS:
            key = pattern.sub(repl, key)
        out[key] = value
    return out


@torch.no_grad()
def randomize(model, seed=0):
    """Weights with visible effects everywhere: LayerScale 0.3-0.7 (not
    1e-6), BatchNorm statistics and affine parameters away from identity,
    every other parameter random (as the fixture's)."""
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
