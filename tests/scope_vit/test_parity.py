"""The converter + backbone + classifier reproduce the authors' model
(fixture: the released code on random weights), in float64 to 1e-9 and in
float32 to 1e-5 of the largest output; the plain reference does too."""
import pytest
import torch
from mmengine.registry import init_default_scope

from mmscalablevit.models import ScopeViT
from mmscalablevit.models.backbones.scope_vit import \
    convert_official_state_dict

from .fixtures import arch_from_official
from .reference import reference_forward


def build_backbone(official, dtype, **kwargs):
    model = ScopeViT(arch_from_official(official['config']), **kwargs)
    model.load_state_dict(
        convert_official_state_dict(official['state_dict']), strict=True)
    return model.to(dtype).eval()


def build_classifier(arch, num_classes, in_channels):
    """The mmpretrain classifier of the released model: ScopeViT's last
    stage, global average pooling, one Linear."""
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    return MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='ScopeViT', arch=arch, out_indices=(3, )),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LinearClsHead',
                num_classes=num_classes,
                in_channels=in_channels)))


def max_error(outs, refs):
    return max((o - r).abs().max().item() for o, r in zip(outs, refs))


def test_stage_outputs_float64(official):
    model = build_backbone(official, torch.float64)
    with torch.no_grad():
        outs = model(official['input'].double())
    refs = official['stage_outputs_f64']
    assert [o.shape for o in outs] == [r.shape for r in refs]
    assert max_error(outs, refs) <= 1e-9


def test_stage_outputs_float32(official):
    model = build_backbone(official, torch.float32)
    with torch.no_grad():
        outs = model(official['input'])
    for out, ref in zip(outs, official['stage_outputs']):
        assert (out - ref).abs().max().item() <= \
            1e-5 * ref.abs().max().item()


def test_plain_path_equals_fixture(official):
    """Eval with autograd (the traced / exported path, which always pads
    and masks) gives the same outputs at the aligned fixture size."""
    model = build_backbone(official, torch.float64)
    outs = model(official['input'].double())
    assert max_error(outs, official['stage_outputs_f64']) <= 1e-9


@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
def test_classifier_logits(official, dtype):
    config = official['config']
    model = build_classifier(
        arch_from_official(config), config['ctor']['num_classes'],
        config['arch']['embed_dims'][-1])
    model.load_state_dict(
        convert_official_state_dict(official['state_dict'], 'classifier'),
        strict=True)
    model = model.to(dtype).eval()
    with torch.no_grad():
        logits = model(official['input'].to(dtype), mode='tensor')
    if dtype == torch.float64:
        assert (logits - official['logits_f64']).abs().max() <= 1e-9
    else:
        ref = official['logits']
        assert (logits - ref).abs().max() <= 1e-5 * ref.abs().max()


def test_first_block_intermediates(official):
    """The stem output, MSSA's key/value map, the MSSA sub-block output and
    the GSDA attention output of the first block (float32)."""
    model = build_backbone(official, torch.float32)
    block = model.blocks1[0]
    seen = {}  # copies: the inference path adds residuals in place
    hooks = [
        model.patch_embed1.register_forward_hook(
            lambda m, i, o: seen.__setitem__('patch_embed1', o[0].clone())),
        block.mssa.attn.mspe.register_forward_hook(
            lambda m, i, o: seen.__setitem__(
                'blocks1.0.mssa.attn.mspe.key_value_tokens', o[1][0].flatten(1)
                .T.clone())),
        block.mssa.register_forward_hook(lambda m, i, o: seen.__setitem__(
            'blocks1.0.mssa', o[0].flatten(0, 1).clone())),
        block.gsda.attn.register_forward_hook(lambda m, i, o: seen.__setitem__(
            'blocks1.0.gsda.attn', o[0].flatten(0, 1).clone())),
    ]
    with torch.no_grad():
        model(official['input'])
    for hook in hooks:
        hook.remove()
    assert set(seen) == set(official['debug'])
    for name, ref in official['debug'].items():
        assert seen[name].shape == ref.shape, name
        assert (seen[name] - ref).abs().max() <= \
            1e-5 * ref.abs().max(), name


def test_reference_reproduces_the_fixture(official):
    """The plain reference (the oracle of the unaligned-size tests) is the
    released model: outputs, logits and intermediates."""
    sd = {k: v.double() for k, v in official['state_dict'].items()}
    debug = {}
    outs, logits = reference_forward(sd,
                                     arch_from_official(official['config']),
                                     official['input'].double(), debug)
    assert max_error(outs, official['stage_outputs_f64']) <= 1e-9
    assert (logits - official['logits_f64']).abs().max() <= 1e-9
    for name, ref in official['debug'].items():
        assert (debug[name] - ref).abs().max() <= 1e-5 * ref.abs().max()


@pytest.mark.parametrize('arch,backbone,classifier',
                         [('xt', 5_030_490, 5_287_490),
                          ('t', 7_749_716, 8_006_716),
                          ('s', 17_649_010, 18_162_010)])
def test_released_parameter_counts(arch, backbone, classifier):

    def count(m):
        return sum(p.numel() for p in m.parameters())

    model = ScopeViT(arch)
    assert count(model) == backbone
    assert count(build_classifier(arch, 1000,
                                  model.embed_dims[-1])) == classifier


def test_flops_match_the_released_model():
    """ScopeViT-T classifier at 256x256 (1000 classes), counted as the
    authors' fvcore count: 1.979 GFLOPs, of which 0.382 G attention matmuls
    (XT 1.448 / 0.265, S 4.557 / 0.487 are matched too; not run here)."""
    from mmscalablevit.analysis import count_flops
    flops = count_flops(
        build_classifier('t', 1000, 256), 'mmpretrain', (256, 256))
    assert flops['total'] / 1e9 == pytest.approx(1.979, abs=5e-4)
    assert flops['attention'] / 1e9 == pytest.approx(0.382, abs=5e-4)
