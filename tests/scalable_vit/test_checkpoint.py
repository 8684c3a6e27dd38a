"""Loading the authors' checkpoints: on-the-fly conversion through init_cfg,
the converter tool, safe loading and clear errors."""
import argparse
import subprocess
import sys

import pytest
import torch
from helpers import ROOT
from scalable_vit.fixtures import (TINY_ARCH, arch_from_official,
                                   official_state_dict)

from mmscalablevit.checkpoint import (CheckpointMismatchError, read_checkpoint as load_file,
                                      unwrap_state_dict)
from mmscalablevit.models import ScalableViT


def deit_style_file(official, path, extra=None):
    """A file shaped like the authors' release: the state dict under
    'model', plus optimizer state and an argparse.Namespace."""
    ckpt = {
        'model': dict(official['state_dict']),
        'optimizer': {
            'state': {},
            'param_groups': []
        },
        'epoch': 299,
        'args': argparse.Namespace(model='scalable_vit_small', lr=1e-3),
    }
    ckpt['model'].update(extra or {})
    torch.save(ckpt, path)
    return str(path)


def outputs(model, official):
    with torch.no_grad():
        return model.eval()(official['input'])


def test_init_cfg_loads_official_file_on_the_fly(official, tmp_path):
    path = deit_style_file(official, tmp_path / 'official.pth')
    model = ScalableViT(
        arch_from_official(official['config']),
        init_cfg=dict(type='Pretrained', checkpoint=path))
    model.init_weights()
    for out, ref in zip(outputs(model, official), official['stage_outputs']):
        assert (out - ref).abs().max() <= 1e-5 * ref.abs().max()


def test_official_file_loads_with_weights_only(official, tmp_path,
                                               monkeypatch):
    """The authors' files hold an argparse.Namespace: it is allow-listed and
    the load stays weights_only (no pickled code runs)."""
    path = deit_style_file(official, tmp_path / 'official.pth')
    calls = []
    original = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get('weights_only'))
        return original(*args, **kwargs)

    monkeypatch.setattr(torch, 'load', spy)
    ckpt = load_file(path)
    assert calls == [True]
    assert isinstance(ckpt['args'], argparse.Namespace)
    assert len(unwrap_state_dict(ckpt)) == len(official['state_dict'])


def test_converter_tool_backbone_and_classifier(official, tmp_path):
    src = deit_style_file(official, tmp_path / 'official.pth')
    dst = tmp_path / 'converted.pth'
    tool = f'{ROOT}/tools/model_converters/scalablevit2mm.py'
    proc = subprocess.run(
        [sys.executable, tool, src, str(dst)],
        capture_output=True,
        text=True,
        check=True)
    assert 'backbone' in proc.stdout
    converted = torch.load(dst, weights_only=True)
    assert set(converted) == {'state_dict', 'meta'}
    assert not any(
        k.startswith(('head.', 'norm.')) for k in converted['state_dict'])
    model = ScalableViT(
        arch_from_official(official['config']),
        init_cfg=dict(type='Pretrained', checkpoint=str(dst)))
    model.init_weights()
    for out, ref in zip(outputs(model, official), official['stage_outputs']):
        assert (out - ref).abs().max() <= 1e-5 * ref.abs().max()

    cls_dst = tmp_path / 'classifier.pth'
    subprocess.run(
        [sys.executable, tool, src,
         str(cls_dst), '--task', 'classifier'],
        check=True,
        capture_output=True)
    keys = torch.load(cls_dst, weights_only=True)['state_dict'].keys()
    assert 'backbone.norm.weight' in keys
    assert 'head.layers.1.fc.weight' in keys
    assert 'backbone.patch_embeds.0.projection.weight' in keys


def test_converter_names_the_variant(tmp_path):
    src = tmp_path / 'official_s.pth'
    torch.save({'model': official_state_dict(ScalableViT('s'))}, src)
    proc = subprocess.run([
        sys.executable, f'{ROOT}/tools/model_converters/scalablevit2mm.py',
        str(src),
        str(tmp_path / 'out.pth')
    ],
                          capture_output=True,
                          text=True,
                          check=True)
    assert 'ScalableViT-S' in proc.stdout


def test_wrong_variant_is_refused_with_key_names(official, tmp_path):
    path = deit_style_file(official, tmp_path / 'official.pth')
    model = ScalableViT(
        TINY_ARCH, init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(
            CheckpointMismatchError,
            match=r'shape mismatches.*patch_embeds\.0\.'
            r'projection\.weight \(32, 3, 7, 7\) vs \(16, 3, 7, 7\)') as err:
        model.init_weights()
    assert 'arch matches the checkpoint' in str(err.value)


def test_missing_and_unexpected_keys_are_named(official, tmp_path):
    sd = dict(official['state_dict'])
    sd.pop('stages.1.1.attn.k.weight')
    sd['stages.1.1.attn.extra.weight'] = torch.zeros(1)
    path = tmp_path / 'broken.pth'
    torch.save({'model': sd}, path)
    model = ScalableViT(
        arch_from_official(official['config']),
        init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    with pytest.raises(CheckpointMismatchError) as err:
        model.init_weights()
    msg = str(err.value)
    assert 'missing keys 1: stages.1.1.attn.k.weight' in msg
    assert 'unexpected keys 1: stages.1.1.attn.extra.weight' in msg
