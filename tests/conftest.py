import os.path as osp
import sys

import pytest
import torch

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(HERE)
sys.path.insert(0, HERE)

FIXTURE = osp.join(HERE, 'data', 'official_tiny_seed0.pth')

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


@pytest.fixture(scope='session')
def official():
    """The authors' model on random weights: config, state dict, input and
    outputs (float32 and float64)."""
    return torch.load(FIXTURE, map_location='cpu', weights_only=True)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(scope='session')
def tiny_data(tmp_path_factory):
    """Small generated COCO-, ADE20K- and folder-format sets."""
    import shutil

    from mmscalablevit.datasets import make_ade_shapes, make_coco_shapes
    root = tmp_path_factory.mktemp('data')
    make_coco_shapes(
        str(root / 'tiny_coco'), num_train=8, num_val=4, empty_every=4, seed=1)
    make_ade_shapes(
        str(root / 'tiny_ade'), num_train=8, num_val=4, empty_every=4, seed=1)
    for i, cls in enumerate(('a', 'b')):
        (root / 'tiny_cls' / cls).mkdir(parents=True)
        for j in range(2):
            shutil.copy(root / 'tiny_coco' / 'train' / f'{2 * i + j:05d}.jpg',
                        root / 'tiny_cls' / cls / f'{j}.jpg')
    return str(root)
