"""Loading the authors' checkpoints: on-the-fly conversion through init_cfg
(paths and URLs, every wrapper of a training checkpoint; the converter:
tests/common/test_converters.py)."""
import argparse
import os.path as osp

import pytest
import torch

from mmscalablevit.checkpoint.download import cache_path
from mmscalablevit.models import ScopeViT

from .fixtures import arch_from_official

RELEASED_URL = ('https://github.com/xuesongnie/ScopeViT/releases/download/'
                'v1.0.0/scopevit_tiny.pth')


def released_file(state_dict, path, wrapper='timm', prefix=''):
    """A file shaped like the authors' release - a timm training checkpoint
    (state dict under 'state_dict', its EMA copy, optimizer state, an
    argparse.Namespace) - or the state dict bare or under one wrapper."""
    sd = {prefix + k: v for k, v in state_dict.items()}
    if wrapper == 'bare':
        ckpt = sd
    elif wrapper == 'timm':
        ckpt = {
            'epoch': 299,
            'arch': 'scopevit_tiny',
            'state_dict': sd,
            'optimizer': {
                'state': {},
                'param_groups': [{
                    'lr': 1e-5
                }]
            },
            'version': 2,
            'args': argparse.Namespace(model='scopevit_tiny', lr=1e-3),
            'state_dict_ema': {
                k: v.clone()
                for k, v in sd.items()
            },
            'metric': 81.1,
        }
    else:
        ckpt = {wrapper: sd, 'epoch': 299}
    torch.save(ckpt, path)
    return str(path)


def outputs(model, official):
    with torch.no_grad():
        return model.eval()(official['input'])


def assert_fixture_outputs(model, official):
    for out, ref in zip(outputs(model, official), official['stage_outputs']):
        assert (out - ref).abs().max() <= 1e-5 * ref.abs().max()


def test_released_url_is_documented():
    assert RELEASED_URL in ScopeViT.__doc__


@pytest.mark.parametrize('prefix', ['', 'module.'])
@pytest.mark.parametrize(
    'wrapper', ['timm', 'bare', 'state_dict', 'state_dict_ema', 'model'])
def test_init_cfg_loads_released_files_on_the_fly(official, tmp_path, wrapper,
                                                  prefix):
    path = released_file(official['state_dict'], tmp_path / 'scopevit.pth',
                         wrapper, prefix)
    model = ScopeViT(
        arch_from_official(official['config']),
        init_cfg=dict(type='Pretrained', checkpoint=path))
    model.init_weights()
    assert_fixture_outputs(model, official)


def test_init_cfg_downloads_a_url(official, tmp_path, file_server,
                                  monkeypatch):
    """A URL (as the released weights') is downloaded once into torch's hub
    cache (here a temporary directory, one file per URL), read with
    weights_only=True and converted on the fly."""
    root, address = file_server
    for var in ('http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY'):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv('no_proxy', '127.0.0.1')
    hub = tmp_path / 'hub'
    monkeypatch.setattr(torch.hub, '_hub_dir', str(hub))
    released_file(official['state_dict'], root / 'scopevit_tiny.pth')
    url = f'{address}/scopevit_tiny.pth'
    loads = []
    original = torch.load

    def spy(*args, **kwargs):
        loads.append(kwargs.get('weights_only'))
        return original(*args, **kwargs)

    monkeypatch.setattr(torch, 'load', spy)
    model = ScopeViT(
        arch_from_official(official['config']),
        init_cfg=dict(type='Pretrained', checkpoint=url))
    model.init_weights()
    assert loads == [True]
    cached = cache_path(url)
    assert osp.dirname(cached) == str(hub / 'checkpoints')
    assert osp.basename(cached).endswith('-scopevit_tiny.pth')
    assert osp.isfile(cached)
    assert_fixture_outputs(model, official)
