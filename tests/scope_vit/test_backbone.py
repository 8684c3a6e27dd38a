"""ScopeViT backbone: variants, shapes at any size, the unaligned-size
semantics against the plain reference, dense-prediction options,
initialisation and errors."""
import pytest
import torch

import mmscalablevit  # noqa: F401
from mmscalablevit.models import ScopeViT
from mmscalablevit.models.backbones.scope_vit import \
    convert_official_state_dict

from ..helpers.weights import randomize
from .fixtures import GENERAL_ARCH, TINY_ARCH, arch_from_official, to_official
from .reference import reference_forward


# --------------------------------------------------------------- variants
def test_arch_names_and_case():
    for names in (('xt', 'x-tiny', 'XTiny'), ('t', 'Tiny'), ('s', 'SMALL')):
        settings = [ScopeViT.parse_arch(n) for n in names]
        assert all(s == settings[0] for s in settings)
    assert ScopeViT().arch_settings == ScopeViT.parse_arch('t')


def test_state_dict_keys_are_the_authors(official):
    """After conversion the key set equals the released backbone's (no
    persistent buffer of ours, none of theirs missing)."""
    model = ScopeViT(arch_from_official(official['config']))
    released = {k for k in official['state_dict'] if not k.startswith('head.')}
    assert set(to_official(model.state_dict())) == released
    rel_pos = model.blocks1[0].gsda.attn.rel_pos
    assert {name for name, _ in rel_pos.named_buffers()} == \
        {'rel_coords_log', 'relative_position_index'}


# ---------------------------------------------------- unaligned semantics
@pytest.mark.parametrize('size', [(203, 301), (97, 45), (40, 300)])
def test_unaligned_sizes_match_group_semantics(official, size):
    """Padding + masking must equal attention over each dilated group's
    real tokens (the plain per-group reference), at sizes whose stage maps
    are not multiples of the dilation - where the released code raises."""
    sd = {k: v.double() for k, v in official['state_dict'].items()}
    arch = arch_from_official(official['config'])
    model = ScopeViT(arch).double().eval()
    model.load_state_dict(convert_official_state_dict(sd))
    x = torch.randn(1, 3, *size, dtype=torch.float64)
    refs, _ = reference_forward(sd, arch, x)
    with torch.no_grad():
        fast = model(x)
    plain = model(x)  # the path of traces and exports
    for out in (fast, plain):
        for o, r in zip(out, refs):
            assert o.shape == r.shape
            torch.testing.assert_close(o, r, rtol=0, atol=1e-10)


@pytest.mark.parametrize('size', [(64, 64), (75, 130)])
def test_general_splits_and_dilations_match_reference(size):
    """Splits the released code cannot build ((a, 0, c), (0, b, c),
    (0, 0, heads)), its (heads, 0, 0), stride 3, rectangular and small
    dilations and another FFN ratio follow the same rules."""
    model = randomize(ScopeViT(GENERAL_ARCH).double()).eval()
    embeds = model.blocks1[0].mssa.attn.mspe
    assert hasattr(embeds, 'large_embed') and hasattr(embeds, 'small_embed')
    assert not hasattr(embeds, 'medium_embed')
    x = torch.randn(2, 3, *size, dtype=torch.float64)
    refs, _ = reference_forward(
        to_official(model.state_dict()), GENERAL_ARCH, x)
    with torch.no_grad():
        outs = model(x)
    for o, r in zip(outs, refs):
        torch.testing.assert_close(o, r, rtol=0, atol=1e-10)


def test_mssa_key_value_padding_is_timms_static_padding():
    """Stride 4: padding ((4 - 1) + (k - 1)) // 2 = 4 / 3 / 2, so a 64x64
    map gives a 17x17 key/value map (k // 2 would give 16x16)."""
    model = ScopeViT('t')
    mspe = model.blocks1[0].mssa.attn.mspe
    assert mspe.large_embed.padding == (4, 4)
    assert mspe.medium_embed.padding == (3, 3)
    _, kv = mspe(torch.randn(1, 32, 64, 64))
    assert kv.shape == (1, 32, 17, 17)


# ------------------------------------------------------------- norm_eval
def test_norm_eval_keeps_batchnorm_statistics():
    model = ScopeViT(TINY_ARCH, norm_eval=True).train()
    norms = [
        m for m in model.modules()
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
    ]
    # stem (2), patch embeddings (3), stage norms (4), CPE (3 per block)
    assert len(norms) == 2 + 3 + 4 + 3 * sum(TINY_ARCH['depths'])
    assert all(not m.training for m in norms)
    assert model.blocks1[0].mssa.norm1.training  # LayerNorms train
    before = [(m.running_mean.clone(), m.running_var.clone()) for m in norms]
    sum(o.sum() for o in model(torch.randn(2, 3, 64, 64))).backward()
    for m, (mean, var) in zip(norms, before):
        assert torch.equal(m.running_mean, mean)
        assert torch.equal(m.running_var, var)
    # without norm_eval the statistics move
    plain = ScopeViT(TINY_ARCH).train()
    plain(torch.randn(2, 3, 64, 64))
    assert not torch.equal(plain.norm1.running_mean,
                           torch.zeros_like(plain.norm1.running_mean))


def test_drop_path_schedule_is_linear_over_blocks_and_shared():
    model = ScopeViT(TINY_ARCH, drop_path_rate=0.3)
    rates = []
    for i in range(4):
        for block in getattr(model, f'blocks{i + 1}'):
            pair = [
                0. if isinstance(sub.drop_path, torch.nn.Identity) else
                sub.drop_path.drop_prob for sub in (block.mssa, block.gsda)
            ]
            assert pair[0] == pair[1]
            rates.append(pair[0])
    assert rates == torch.linspace(0, 0.3, 5).tolist()  # released float32


def test_released_initialisation():
    model = ScopeViT('t')
    model.init_weights()
    block = model.blocks3[0]
    qkv = block.gsda.attn.qkv
    assert abs(qkv.weight.std().item() - 0.02) < 0.002
    assert qkv.weight.abs().max() <= 2
    proj = block.mssa.attn.proj
    assert torch.all(proj.bias == 0)
    dw = block.mssa.attn.mspe.large_embed  # depthwise: fan_out = 7 * 7
    assert abs(dw.weight.std().item() - (2 / 49)**0.5) < 0.02
    pw = block.mssa.attn.mspe.cpe.conv_pw  # fan_out = 4C
    assert abs(pw.weight.std().item() - (2 / 512)**0.5) < 0.005
    assert torch.all(model.patch_embed1.projection[0].bias == 0)
    for norm in (model.norm2, block.mssa.norm1, block.mssa.attn.mspe.cpe.bn3):
        assert torch.all(norm.weight == 1) and torch.all(norm.bias == 0)
    assert torch.all(block.gsda.ls2.gamma == 1e-6)
    fc1 = block.gsda.attn.rel_pos.mlp.fc1
    assert abs(fc1.weight.std().item() - 0.02) < 0.003


# -------------------------------------------------------------- bad input
@pytest.mark.parametrize('last,match', [
    ([8, 6, 1], r'mssa_split\[3\] = \[8, 6, 1\] adds up to 15 heads, but '
     r'stage 3 has num_heads 16: the split must add up to the heads'),
    ([8, 8], 'three non-negative integers'),
    ([9, -1, 8], 'three non-negative integers'),
    ([8, 6, 2.0], 'three non-negative integers'),
    (None, 'one value per stage'),
])
def test_bad_splits_are_refused(last, match):
    split = TINY_ARCH['mssa_split'][:3] + ([last] if last else [])
    with pytest.raises(ValueError, match=match):
        ScopeViT(arch=dict(TINY_ARCH, mssa_split=split))


@pytest.mark.parametrize('key,value,match', [
    ('embed_dims', [16, 0, 48, 64], 'embed_dims must be integers >= 1'),
    ('embed_dims', [1, 32, 48, 64], 'at least 2'),
    ('num_heads', [2, 4, 0, 16], 'num_heads must be integers >= 1'),
    ('mssa_stride', [4, 2, 0, 1], 'mssa_stride must be integers >= 1'),
    ('gsda_dilation', [8, 8, 0, 8], 'gsda_dilation must be positive integers'),
    ('gsda_dilation', [8, 8, (8, 8, 8), 8
                       ], 'gsda_dilation must be positive integers'),
    ('mlp_ratios', [4, 4, 4, 4], 'one positive number'),
    ('mlp_ratios', 0, 'one positive number'),
])
def test_bad_arch_values_are_refused(key, value, match):
    with pytest.raises(ValueError, match=match):
        ScopeViT(arch=dict(TINY_ARCH, **{key: value}))
