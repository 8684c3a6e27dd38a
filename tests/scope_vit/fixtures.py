"""ScopeViT test data: tiny archs, the authors' model on random weights
(tests/data/scopevit_tiny_seed0.pth: config, state dict, input, outputs in
float32 and float64, intermediates; made with the released code) and
helpers to move between the authors' keys and ours."""
import os.path as osp
import re
from collections import OrderedDict

from ..helpers import DATA

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
