"""Loading the authors' checkpoints: on-the-fly conversion through init_cfg
and safe loading (the converter: tests/common/test_converters.py)."""
import argparse

import torch

from mmscalablevit.checkpoint import read_checkpoint as load_file
from mmscalablevit.checkpoint import unwrap_state_dict
from mmscalablevit.models import ScalableViT

from .fixtures import arch_from_official


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
