"""ScalableViT backbone: variants, shapes, dense-prediction options, errors."""
import pytest
import torch
from scalable_vit.fixtures import TINY_ARCH, arch_from_official
from scalable_vit.reference import reference_forward

import mmscalablevit  # noqa: F401
from mmscalablevit.models.backbones.scalable_vit import convert_official_state_dict
from mmscalablevit.models import ScalableViT

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


def test_s_output_shapes_at_detection_size():
    model = ScalableViT('s').eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 800 // 4, 1216 // 4))
    assert [tuple(o.shape)
            for o in outs] == [(1, 64, 50, 76), (1, 128, 25, 38),
                               (1, 256, 13, 19), (1, 512, 7, 10)]


@pytest.mark.parametrize('size', [(224, 224), (333, 517), (65, 97), (32, 32),
                                  (100, 37), (256, 200)])
def test_output_shapes_any_size(size):
    H, W = size
    model = ScalableViT(TINY_ARCH).eval()
    with torch.no_grad():
        outs = model(torch.randn(2, 3, H, W))
    expected = []
    h, w = -(-H // 4), -(-W // 4)
    for i, c in enumerate(TINY_ARCH['embed_dims']):
        if i:
            h, w = -(-h // 2), -(-w // 2)
        expected.append((2, c, h, w))
    assert [tuple(o.shape) for o in outs] == expected
    assert all(torch.isfinite(o).all() for o in outs)
    # plain NCHW memory: mmcv ops (RoIAlign) read raw memory
    assert all(o.is_contiguous() for o in outs)


def test_out_indices_select_stages():
    model = ScalableViT(TINY_ARCH, out_indices=(1, 3)).eval()
    outs = model(torch.randn(1, 3, 64, 64))
    assert [o.shape[1] for o in outs] == [32, 64]
    assert ScalableViT(TINY_ARCH, out_indices=(-1, )).out_indices == (3, )


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


def test_batch_items_are_independent():
    model = ScalableViT(TINY_ARCH).eval()
    x = torch.randn(3, 3, 75, 90)
    with torch.no_grad():
        batch = model(x)
        single = model(x[1:2])
    for b, s in zip(batch, single):
        torch.testing.assert_close(b[1:2], s, rtol=1e-5, atol=1e-5)


def test_frozen_stages():
    model = ScalableViT(TINY_ARCH, frozen_stages=2)
    model.train()
    frozen = [
        model.patch_embeds[0], model.patch_embeds[1], model.stages[0],
        model.stages[1], model.pos_block[0], model.pos_block[1]
    ]
    for module in frozen:
        assert not module.training
        assert all(not p.requires_grad for p in module.parameters())
    for module in (model.patch_embeds[2], model.stages[2], model.stages[3]):
        assert module.training
        assert all(p.requires_grad for p in module.parameters())
    sum(o.sum() for o in model(torch.randn(1, 3, 64, 64))).backward()
    assert all(p.grad is None for m in frozen for p in m.parameters())
    assert all(p.grad is not None for p in model.stages[3].parameters())


def test_frozen_stem_only():
    model = ScalableViT(TINY_ARCH, frozen_stages=0).train()
    assert all(not p.requires_grad for p in model.patch_embeds[0].parameters())
    assert all(p.requires_grad for p in model.stages[0].parameters())


def test_with_cp_matches_plain_forward_and_backward():
    plain = ScalableViT(TINY_ARCH, drop_path_rate=0.)
    ckpt = ScalableViT(TINY_ARCH, drop_path_rate=0., with_cp=True)
    ckpt.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 80, 96)
    outs_a, outs_b = plain(x), ckpt(x)
    for a, b in zip(outs_a, outs_b):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    sum((o * o).sum() for o in outs_a).backward()
    sum((o * o).sum() for o in outs_b).backward()
    for (name, pa), pb in zip(plain.named_parameters(), ckpt.parameters()):
        torch.testing.assert_close(
            pa.grad, pb.grad, rtol=1e-5, atol=1e-6, msg=name)


@pytest.mark.parametrize('with_cp', [False, True])
def test_gradients_have_their_parameters_strides(with_cp):
    """Every gradient is laid out like its parameter (DDP copies any other
    gradient into its bucket and warns), also after loading a state dict."""
    model = ScalableViT(TINY_ARCH, with_cp=with_cp).train()
    model.load_state_dict(ScalableViT(TINY_ARCH).state_dict())
    sum(o.sum() for o in model(torch.randn(2, 3, 75, 90))).backward()
    mismatched = [(name, p.stride(), p.grad.stride())
                  for name, p in model.named_parameters()
                  if p.grad.stride() != p.stride()]
    assert not mismatched


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
def test_custom_arch_inconsistent_lengths():
    with pytest.raises(ValueError, match='one value per stage'):
        ScalableViT(arch=dict(TINY_ARCH, depths=[2, 2, 2]))


def test_custom_arch_bad_head_split():
    with pytest.raises(ValueError, match='not divisible by num_heads'):
        ScalableViT(arch=dict(TINY_ARCH, num_heads=[3, 2, 2, 4]))
    with pytest.raises(ValueError, match='multiple of num_heads'):
        ScalableViT(arch=dict(TINY_ARCH, c_ratios=[1.25, 1.1, 1.25, 1]))


@pytest.mark.parametrize('size', [(31, 64), (64, 20), (8, 8)])
def test_too_small_inputs_are_refused(size):
    model = ScalableViT(TINY_ARCH)
    with pytest.raises(ValueError, match='at least 32x32'):
        model(torch.randn(1, 3, *size))


def test_bad_out_indices_and_frozen_stages():
    with pytest.raises(ValueError, match='out_indices'):
        ScalableViT(TINY_ARCH, out_indices=(0, 4))
    with pytest.raises(ValueError, match='frozen_stages'):
        ScalableViT(TINY_ARCH, frozen_stages=5)


def test_custom_arch_needs_a_block_per_stage():
    with pytest.raises(ValueError, match='at least one block'):
        ScalableViT(arch=dict(TINY_ARCH, depths=[2, 0, 2, 2]))


@pytest.mark.parametrize('name,value', [('drop_path_rate', -1),
                                        ('drop_path_rate', 1.5),
                                        ('attn_drop_rate', -0.5),
                                        ('drop_rate', 1.0),
                                        ('drop_path_rate', '0.1')])
def test_rates_out_of_range_are_refused(name, value):
    with pytest.raises(ValueError, match=rf'{name} must be a number in '
                       r'\[0, 1\)'):
        ScalableViT(TINY_ARCH, **{name: value})


@pytest.mark.parametrize('key,values,what', [
    ('c_ratios', [1.25, 0, 1.25, 1], 'c_ratios'),
    ('sr_ratios', [8, 0, 2, 1], 'sr_ratios'),
    ('window_sizes', [7, 0, 7, 7], 'window_sizes'),
    ('window_sizes', [7, -3, 7, 7], 'window_sizes'),
    ('num_heads', [1, 2, 0, 4], 'num_heads'),
    ('embed_dims', [16, 32, 48.5, 64], 'embed_dims'),
])
def test_arch_values_out_of_range_are_refused(key, values, what):
    with pytest.raises(ValueError, match=rf'Custom ScalableViT arch: {what}'):
        ScalableViT(arch=dict(TINY_ARCH, **{key: values}))


@pytest.mark.parametrize('shape,match', [((3, 64, 64), '4-D'),
                                         ((0, 3, 64, 64), 'empty batch'),
                                         ((1, 1, 64, 64), '3 input channels')])
def test_malformed_inputs_are_refused(shape, match):
    with pytest.raises(ValueError, match=match):
        ScalableViT(TINY_ARCH)(torch.randn(*shape))


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
