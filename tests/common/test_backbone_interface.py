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


@pytest.mark.parametrize('backbone', NAMES)
def test_one_number_where_a_list_per_stage_belongs(backbone):
    cls, arch = BACKBONES[backbone][:2]
    with pytest.raises(
            ValueError,
            match=rf'Custom {backbone} arch: embed_dims must be a list with '
            'one value per stage, got 64'):
        cls(arch=dict(arch, embed_dims=64))


@pytest.mark.parametrize('backbone', NAMES)
def test_an_ffn_without_hidden_channels_is_refused(backbone):
    cls, arch = BACKBONES[backbone][:2]
    ratio = [0.01, 4, 4, 4] if cls.arch_spec['mlp_ratios'].per_stage \
        else 0.01
    with pytest.raises(ValueError, match='an FFN without hidden channels'):
        cls(arch=dict(arch, mlp_ratios=ratio))


def five_stages(arch):
    """``arch`` with its last stage repeated: a fifth stage, stride 64."""
    return {
        k: list(v) + [v[-1]] if isinstance(v, list) else v
        for k, v in arch.items()
    }


@pytest.mark.parametrize('backbone', NAMES)
def test_the_minimum_size_follows_the_number_of_stages(backbone):
    cls, arch = BACKBONES[backbone][:2]
    model = cls(arch=five_stages(arch), out_indices=(0, 1, 2, 3, 4)).eval()
    assert model.min_input_size == 64
    with pytest.raises(ValueError, match=r'at least 64x64 pixels'):
        model(torch.randn(1, 3, 63, 80))
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 64, 80))
    assert [o.shape[-2:] for o in outs] == [(16, 20), (8, 10), (4, 5),
                                            (2, 3), (1, 2)]


@pytest.mark.parametrize('backbone', NAMES)
def test_one_image_in_training_mode_at_the_minimum_size(backbone):
    """A 1x1 last stage in training mode: a model with BatchNorms refuses it
    with the way out named; norm_eval (or no BatchNorm at all) trains."""
    cls, arch = BACKBONES[backbone][:2]
    x = torch.randn(1, 3, 32, 32)
    model = cls(arch=dict(arch)).train()
    has_bn = any(
        isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
        for m in model.modules())
    if has_bn:
        with pytest.raises(ValueError, match='more than one value per '
                           'channel.*norm_eval=True'):
            model(x)
        model = cls(arch=dict(arch), norm_eval=True).train()
    sum(o.sum() for o in model(x)).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all()
               for p in model.parameters())
