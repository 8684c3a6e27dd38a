"""Loading the authors' checkpoints: on-the-fly conversion through init_cfg
(paths and URLs, every wrapper of a training checkpoint), the converter
tool, and clear errors for files that do not fit."""
import argparse
import functools
import http.server
import os
import os.path as osp
import subprocess
import sys
import threading

import pytest
import torch
from helpers import ROOT
from scope_vit.fixtures import TINY_ARCH, arch_from_official, to_official

from mmscalablevit.checkpoint import CheckpointMismatchError
from mmscalablevit.checkpoint.download import cache_path
from mmscalablevit.models import ScopeViT

TOOL = osp.join(ROOT, 'tools', 'model_converters', 'scopevit2mm.py')
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


def run_tool(*args):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, TOOL, *map(str, args)],
                          capture_output=True,
                          text=True,
                          check=True,
                          env=env)


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


@pytest.fixture
def file_server(tmp_path):
    """An http server on 127.0.0.1 serving tmp_path/served."""
    root = tmp_path / 'served'
    root.mkdir()
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()
    server.server_close()
    thread.join()


def test_init_cfg_downloads_a_url(official, tmp_path, file_server,
                                  monkeypatch):
    """A URL (as the released weights') is downloaded once into torch's hub
    cache (here a temporary directory, one file per URL), read with weights_only=True and
    converted on the fly."""
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


def test_converter_tool_backbone_and_classifier(official, tmp_path):
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    src = released_file(official['state_dict'], tmp_path / 'released.pth')
    dst = tmp_path / 'backbone.pth'
    proc = run_tool(src, dst)
    assert 'backbone of a custom ScopeViT' in proc.stdout
    converted = torch.load(dst, weights_only=True)
    assert set(converted) == {'state_dict', 'meta'}
    assert converted['meta']['task'] == 'backbone'
    keys = set(converted['state_dict'])
    assert not any(k.startswith('head.') for k in keys)
    assert 'blocks1.0.mssa.ffn.layers.0.0.weight' in keys
    assert 'blocks1.0.gsda.attn.rel_pos.mlp.fc1.weight' in keys
    model = ScopeViT(
        arch_from_official(official['config']),
        init_cfg=dict(type='Pretrained', checkpoint=str(dst)))
    model.init_weights()
    assert_fixture_outputs(model, official)

    cls_dst = tmp_path / 'classifier.pth'
    proc = run_tool(src, cls_dst, '--task', 'classifier')
    assert 'classifier of a custom ScopeViT' in proc.stdout
    state_dict = torch.load(cls_dst, weights_only=True)['state_dict']
    assert {'head.fc.weight', 'head.fc.bias'} <= set(state_dict)
    assert 'backbone.blocks4.0.gsda.ffn.layers.1.weight' in state_dict
    init_default_scope('mmpretrain')
    classifier = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(
                type='ScopeViT',
                arch=arch_from_official(official['config']),
                out_indices=(3, )),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=10, in_channels=64)))
    classifier.load_state_dict(state_dict, strict=True)
    with torch.no_grad():
        logits = classifier.eval()(official['input'], mode='tensor')
    ref = official['logits']
    assert (logits - ref).abs().max() <= 1e-5 * ref.abs().max()


def test_converter_names_the_variant(tmp_path):
    """An authors'-layout XT file (made by inverting the key map) is
    recognised as ScopeViT-XT."""
    state_dict = to_official(ScopeViT('xt').state_dict())
    state_dict['head.weight'] = torch.zeros(1000, 256)
    state_dict['head.bias'] = torch.zeros(1000)
    src = released_file(state_dict, tmp_path / 'xt.pth')
    proc = run_tool(src, tmp_path / 'out.pth')
    assert 'ScopeViT-XT' in proc.stdout
    meta = torch.load(tmp_path / 'out.pth', weights_only=True)['meta']
    assert meta['arch'] == 'xt'


def test_converter_refuses_converted_files(official, tmp_path):
    src = tmp_path / 'ours.pth'
    torch.save({'state_dict': ScopeViT(TINY_ARCH).state_dict()}, src)
    with pytest.raises(subprocess.CalledProcessError) as err:
        run_tool(src, tmp_path / 'out.pth')
    assert 'nothing to convert' in err.value.stderr


def test_wrong_arch_is_refused_with_key_names(official, tmp_path):
    path = released_file(official['state_dict'], tmp_path / 'released.pth')
    model = ScopeViT(
        dict(TINY_ARCH, embed_dims=[32, 32, 48, 64]),
        init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(
            CheckpointMismatchError,
            match=r'shape mismatches.*blocks1\.0\.gsda\.attn\.qkv\.weight '
            r'\(48, 16\) vs \(96, 32\)') as err:
        model.init_weights()
    message = str(err.value)
    # TINY_ARCH has one block less in stage 2
    assert 'unexpected keys 52: blocks2.1.gsda.attn.proj.bias' in message
    assert 'arch matches the checkpoint (xt/t/s)' in message


def test_missing_and_unexpected_keys_are_named(official, tmp_path):
    sd = dict(official['state_dict'])
    sd.pop('blocks2.1.gsda.attn.qkv.weight')
    sd['blocks2.1.gsda.attn.extra.weight'] = torch.zeros(1)
    path = released_file(sd, tmp_path / 'broken.pth')
    model = ScopeViT(
        arch_from_official(official['config']),
        init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(CheckpointMismatchError) as err:
        model.init_weights()
    message = str(err.value)
    assert 'missing keys 1: blocks2.1.gsda.attn.qkv.weight' in message
    assert 'unexpected keys 1: blocks2.1.gsda.attn.extra.weight' in message
