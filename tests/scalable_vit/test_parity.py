"""The converter + backbone + classifier reproduce the authors' model
(fixture: the released code on random weights)."""
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmscalablevit.models import ScalableViT
from mmscalablevit.models.backbones.scalable_vit import \
    convert_official_state_dict

from ..helpers import ROOT
from .fixtures import arch_from_official


def build_backbone(official, dtype):
    model = ScalableViT(arch_from_official(official['config']))
    model.load_state_dict(
        convert_official_state_dict(official['state_dict']), strict=True)
    return model.to(dtype).eval()


def build_classifier(official, dtype):
    """The shipped ImageNet config's classifier, sized like the fixture."""
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(f'{ROOT}/configs/scalablevit_s_in1k.py')
    init_default_scope('mmpretrain')
    cfg.model.backbone.arch = arch_from_official(official['config'])
    cfg.model.head.in_channels = official['config']['embed_dims'][-1]
    cfg.model.head.num_classes = official['config']['num_classes']
    model = MODELS.build(cfg.model)
    model.load_state_dict(
        convert_official_state_dict(official['state_dict'], 'classifier'),
        strict=True)
    return model.to(dtype).eval()


def test_stage_outputs_float64(official):
    model = build_backbone(official, torch.float64)
    with torch.no_grad():
        outs = model(official['input'].double())
    for out, ref in zip(outs, official['stage_outputs_f64']):
        assert out.shape == ref.shape
        assert (out - ref).abs().max().item() <= 1e-9


def test_stage_outputs_float32(official):
    model = build_backbone(official, torch.float32)
    with torch.no_grad():
        outs = model(official['input'])
    for out, ref in zip(outs, official['stage_outputs']):
        tol = 1e-5 * ref.abs().max().item()
        assert (out - ref).abs().max().item() <= tol


@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
def test_classifier_logits(official, dtype):
    model = build_classifier(official, dtype)
    x = official['input'].to(dtype)
    with torch.no_grad():
        logits = model(x, mode='tensor')
    ref = official['logits_f64' if dtype == torch.float64 else 'logits']
    if dtype == torch.float64:
        assert (logits - ref).abs().max().item() <= 1e-9
    else:
        assert (logits - ref).abs().max().item() <= \
            1e-5 * ref.abs().max().item()


def test_reference_attention_path_matches_fused(official):
    """The explicit-matmul path (used for FLOP counting) and the fused SDPA
    path give the same outputs."""
    from mmscalablevit.models import reference_attention
    model = build_backbone(official, torch.float64)
    x = torch.randn(1, 3, 150, 230, dtype=torch.float64)
    with torch.no_grad():
        fused = model(x)
        with reference_attention():
            plain = model(x)
    for a, b in zip(fused, plain):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10)
