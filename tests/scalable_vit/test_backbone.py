"""ScalableViT backbone: variants, shapes, dense-prediction options, errors."""
import pytest
import torch

import mmscalablevit  # noqa: F401
from mmscalablevit.models import ScalableViT
from mmscalablevit.models.backbones.scalable_vit import \
    convert_official_state_dict

from .fixtures import TINY_ARCH, arch_from_official
from .reference import reference_forward

# Backbone parameters of the released code (no final norm, no head).
RELEASED_BACKBONE_PARAMS = {'s': 25_793_008, 'b': 74_625_072, 'l': 100_983_200}


def n_params(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize('arch', ['s', 'b', 'l'])
def test_released_parameter_counts(arch):
    assert n_params(ScalableViT(arch=arch)) == RELEASED_BACKBONE_PARAMS[arch]


def test_long_names_and_case_select_the_same_variant():
    for short, long in (('s', 'small'), ('b', 'Base'), ('l', 'LARGE')):
        assert ScalableViT(arch=long).arch_settings == \
            ScalableViT(arch=short).arch_settings


def test_final_norm_adds_only_the_classifier_norm():
    plain, with_norm = ScalableViT('s'), ScalableViT('s', final_norm=True)
    assert n_params(with_norm) - n_params(plain) == 2 * 512


@pytest.mark.parametrize('size', [(157, 203), (65, 97), (40, 300)])
def test_unaligned_sizes_match_window_semantics(official, size):
    """Padding + masking must equal attention over each window's real
    tokens (computed by the plain reference), at sizes whose stage grids
    are not multiples of the window."""
    sd = {k: v.double() for k, v in official['state_dict'].items()}
    model = ScalableViT(arch_from_official(official['config'])).double()
    model.load_state_dict(convert_official_state_dict(sd))
    x = torch.randn(1, 3, *size, dtype=torch.float64)
    with torch.no_grad():
        outs = model.eval()(x)
    ref, _ = reference_forward(sd, official['config'], x)
    for out, r in zip(outs, ref):
        assert out.shape == r.shape
        torch.testing.assert_close(out, r, rtol=0, atol=1e-10)


def test_drop_path_schedule_is_linear_over_all_blocks():
    model = ScalableViT(TINY_ARCH, drop_path_rate=0.35)
    rates = [
        0. if isinstance(b.drop_path, torch.nn.Identity) else
        b.drop_path.drop_prob for s in model.stages for b in s
    ]
    # the released code's float32 values
    assert rates == torch.linspace(0, 0.35, 8).tolist()


def test_attention_types_alternate_from_iwsa():
    model = ScalableViT('s')
    names = [[type(b.attn).__name__ for b in s] for s in model.stages]
    assert names[0] == ['IWSA', 'SSA']
    assert names[2] == ['IWSA', 'SSA'] * 10
    arch = dict(TINY_ARCH, window_sizes=[7, 1, 7, 7])
    assert {type(b.attn).__name__ for b in ScalableViT(arch).stages[1]} == \
        {'SSA'}


def test_official_init_statistics():
    model = ScalableViT('s')
    model.init_weights()
    qkv = model.stages[0][0].attn.qkv
    assert abs(qkv.weight.std().item() - 0.02) < 0.002
    assert torch.all(qkv.bias == 0)
    lim = model.stages[0][0].attn.lim_func  # depthwise: fan_out = 3 * 3
    assert abs(lim.weight.std().item() - (2 / 9)**0.5) < 0.05
    assert torch.all(model.patch_embeds[0].norm.weight == 1)


# ------------------------------------------------------------ bad input
def test_scaled_context_must_split_into_heads():
    with pytest.raises(ValueError, match='multiple of num_heads'):
        ScalableViT(arch=dict(TINY_ARCH, c_ratios=[1.25, 1.1, 1.25, 1]))


@pytest.mark.parametrize('name,value', [('attn_drop_rate', -0.5),
                                        ('drop_rate', 1.0)])
def test_rates_out_of_range_are_refused(name, value):
    with pytest.raises(
            ValueError, match=rf'{name} must be a number in '
            r'\[0, 1\)'):
        ScalableViT(TINY_ARCH, **{name: value})


@pytest.mark.parametrize('key,values,what', [
    ('c_ratios', [1.25, 0, 1.25, 1], 'c_ratios'),
    ('sr_ratios', [8, 0, 2, 1], 'sr_ratios'),
    ('window_sizes', [7, 0, 7, 7], 'window_sizes'),
    ('window_sizes', [7, -3, 7, 7], 'window_sizes'),
    ('num_heads', [1, 2, 0, 4], 'num_heads'),
])
def test_arch_values_out_of_range_are_refused(key, values, what):
    with pytest.raises(ValueError, match=rf'Custom ScalableViT arch: {what}'):
        ScalableViT(arch=dict(TINY_ARCH, **{key: values}))


def test_loading_a_classifier_reports_the_keys_left_out(
        official, tmp_path, monkeypatch):
    """The authors' classifier file: every backbone key loads, and the
    log names the classifier's head and final norm as left out."""
    path = tmp_path / 'official.pth'
    torch.save({'model': official['state_dict']}, path)
    model = ScalableViT(
        arch_from_official(official['config']),
        init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    import mmengine.logging

    from mmscalablevit.checkpoint import load_pretrained
    logged = []
    monkeypatch.setattr(mmengine.logging, 'print_log',
                        lambda msg, **kwargs: logged.append(msg))
    ignored = load_pretrained(model, str(path))
    head = [k for k in official['state_dict'] if k.startswith('head.')]
    assert sorted(ignored["the classifier's head"]) == sorted(head)
    assert sorted(ignored[next(r for r in ignored if 'final norm' in r)]) \
        == ['norm.bias', 'norm.weight']
    out = '\n'.join(logged)
    n = len(model.state_dict())
    assert f'loaded {n}/{n} backbone keys' in out
    assert f"ignored {len(head)} keys (the classifier's head)" in out


def test_the_minimum_size_covers_the_ssa_reductions():
    """Stage 1 (stride 8) reducing by 8 needs ceil(H / 8) >= 8: 57 px."""
    model = ScalableViT(dict(TINY_ARCH, sr_ratios=[8, 8, 2, 1])).eval()
    assert model.min_input_size == 57
    with pytest.raises(ValueError, match='at least 57x57 pixels'):
        model(torch.randn(1, 3, 56, 64))
    with torch.no_grad():
        assert len(model(torch.randn(1, 3, 57, 64))) == 4
