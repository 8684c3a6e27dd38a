"""ScalableViT test data: a tiny arch and the authors' model on random
weights (tests/data/scalablevit_tiny_seed0.pth: config, state dict, input
and outputs in float32 and float64, made with the released code)."""
import os.path as osp

from ..helpers import DATA

FIXTURE = osp.join(DATA, 'scalablevit_tiny_seed0.pth')

# The quick-start backbone's layout at a quarter of the width: fast enough
# for behaviour tests on CPU.
TINY_ARCH = dict(
    embed_dims=[16, 32, 48, 64],
    depths=[2, 2, 2, 2],
    num_heads=[1, 2, 2, 4],
    mlp_ratios=[4, 4, 4, 4],
    sr_ratios=[8, 4, 2, 1],
    c_ratios=[1.25, 1.25, 1.25, 1],
    window_sizes=[7, 7, 7, 7])


def arch_from_official(config):
    """Our arch dict from the official constructor's names."""
    keys = dict(window_sizes='wss')
    return {
        k: list(config[keys.get(k, k)])
        for k in ('embed_dims', 'depths', 'num_heads', 'mlp_ratios',
                  'sr_ratios', 'c_ratios', 'window_sizes')
    }


def official_state_dict(state_dict):
    """Our backbone keys -> the authors' (the inverse of the key map)."""
    out = {}
    for key, value in state_dict.items():
        key = key.replace('.projection.', '.proj.').replace(
            '.ffn.layers.0.0.', '.mlp.fc1.').replace('.ffn.layers.1.',
                                                     '.mlp.fc2.')
        if key.startswith('pos_block.'):
            key = key.replace('.proj.', '.proj.0.')
        out[key] = value
    return out
