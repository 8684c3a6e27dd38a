"""What every backbone of the package offers alike, tested for each: the
registries, arch names and dicts, mixed precision, and Pretrained loading
of downstream checkpoints and missing files."""
import importlib

import pytest
import torch
from helpers.backbones import BACKBONES, tiny
from mmengine.registry import DefaultScope, init_default_scope

import mmscalablevit  # noqa: F401

NAMES = sorted(BACKBONES)


@pytest.mark.parametrize('backbone', NAMES)
@pytest.mark.parametrize('scope', ['mmdet', 'mmseg', 'mmpretrain'])
@pytest.mark.parametrize('prefix', ['', 'mmscalablevit.'])
def test_builds_in_every_toolkit_scope(backbone, scope, prefix):
    cls, arch = BACKBONES[backbone][:2]
    registry = importlib.import_module(f'{scope}.registry').MODELS
    with DefaultScope.overwrite_default_scope(scope):
        init_default_scope(scope)
        model = registry.build(dict(type=prefix + backbone, arch=arch))
    assert type(model) is cls


def test_unknown_name_is_a_registry_error():
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    with pytest.raises(KeyError, match='ScalabeViT'):
        MODELS.build(dict(type='mmscalablevit.ScalabeViT'))


@pytest.mark.parametrize('backbone', NAMES)
def test_unknown_arch_lists_valid_ones(backbone):
    cls, _, _, _, unknown, valid = BACKBONES[backbone]
    with pytest.raises(
            ValueError, match=rf"Unknown {backbone} arch '{unknown}'.*{valid}"):
        cls(arch=unknown)


@pytest.mark.parametrize('backbone', NAMES)
def test_custom_arch_missing_and_unknown_keys(backbone):
    cls, arch, _, (key, wrong), _, _ = BACKBONES[backbone]
    arch = dict(arch)
    arch[wrong] = arch.pop(key)
    with pytest.raises(
            ValueError,
            match=rf"missing keys \['{key}'\], unknown keys \['{wrong}'\]"):
        cls(arch=arch)


@pytest.mark.parametrize('backbone', NAMES)
def test_bf16_autocast_forward_and_backward_are_finite(backbone):
    model = tiny(backbone)
    x = torch.randn(2, 3, 96, 130)
    with torch.no_grad():
        ref = model.eval()(x)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            outs = model(x)
    for out, r in zip(outs, ref):
        assert (out.float() - r).norm() / r.norm() < 0.05
    model.train()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        outs = model(x)
        loss = sum((o.float()**2).mean() for o in outs)
    loss.backward()
    assert torch.isfinite(loss)
    assert all(
        torch.isfinite(p.grad).all() for p in model.parameters()
        if p.grad is not None)


@pytest.mark.parametrize('backbone', NAMES)
def test_downstream_checkpoint_with_backbone_prefix(backbone, tmp_path):
    """A detector/segmentor checkpoint trained with this backbone: the
    `backbone.` prefix is found and the rest of the model ignored."""
    src = tiny(backbone)
    sd = {'backbone.' + k: v for k, v in src.state_dict().items()}
    sd['neck.lateral_convs.0.conv.weight'] = torch.zeros(2)
    path = tmp_path / 'detector.pth'
    torch.save({'state_dict': sd, 'meta': {}}, path)
    model = tiny(
        backbone, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    for (k, a), b in zip(model.state_dict().items(),
                         src.state_dict().values()):
        assert torch.equal(a, b), k


@pytest.mark.parametrize('backbone', NAMES)
def test_missing_file_explains_where_weights_come_from(backbone):
    model = tiny(
        backbone,
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/nowhere.pth'))
    with pytest.raises(FileNotFoundError, match=BACKBONES[backbone][2]):
        model.init_weights()
