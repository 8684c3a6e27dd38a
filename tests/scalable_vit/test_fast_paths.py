"""The fast paths stay correct: torch.compile without graph breaks, mixed
precision without overflow, and the fused attention equal to the
straightforward one."""
import pytest
import torch

from mmscalablevit.models import ScalableViT, reference_attention
from mmscalablevit.models.bricks import multi_head_attention

from .fixtures import TINY_ARCH


@pytest.mark.parametrize('shapes', [
    ((2, 2, 100, 32), (2, 2, 20, 32), (2, 2, 20, 32)),
    ((2, 2, 100, 40), (2, 2, 20, 40), (2, 2, 20, 32)),
    ((2, 2, 100, 8), (2, 2, 20, 8), (2, 2, 20, 32)),
])
def test_fused_attention_equals_reference_with_gradients(shapes):
    q, k, v = (
        torch.randn(s, dtype=torch.float64, requires_grad=True)
        for s in shapes)
    mask = torch.zeros(2, 1, 1, 20, dtype=torch.float64)
    mask[1, ..., 13:] = float('-inf')
    results = []
    for ref in (False, True):
        with reference_attention(ref):
            out = multi_head_attention(q, k, v, 0.3, attn_mask=mask)
        grads = torch.autograd.grad((out * out).sum(), (q, k, v))
        results.append((out, ) + grads)
    for fused, plain in zip(*results):
        torch.testing.assert_close(fused, plain, rtol=0, atol=1e-10)


@pytest.mark.parametrize('size', [(80, 100), (130, 36), (36, 130)])
def test_training_gradients_match_reference_path(size):
    """Includes maps narrower than one window along a side while padded
    along the other."""
    model = ScalableViT(TINY_ARCH).double()
    x = torch.randn(2, 3, *size, dtype=torch.float64)
    grads = []
    for ref in (False, True):
        model.zero_grad()
        with reference_attention(ref):
            loss = sum((o**2).mean() for o in model(x))
        loss.backward()
        grads.append([p.grad.clone() for p in model.parameters()])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize('act', ['GELU', 'ReLU'])
def test_recomputed_ffn_gradients_equal_mmcv_ffn(act):
    """The FFN that recomputes its activation in backward (fused GELU path,
    checkpointed fallback for other activations) gives mmcv FFN's output and
    gradients, in float64 to the last bits."""
    from mmcv.cnn.bricks.transformer import FFN

    from mmscalablevit.models.bricks import RecomputedActFFN
    kwargs = dict(
        embed_dims=8,
        feedforward_channels=32,
        act_cfg=dict(type=act),
        add_identity=False)
    ours = RecomputedActFFN(**kwargs).double()
    assert ours._fused_tail == (act == 'GELU')
    plain = FFN(**kwargs).double()
    plain.load_state_dict(ours.state_dict())
    x = torch.randn(2, 5, 7, 8, dtype=torch.float64, requires_grad=True)
    outs, grads = [], []
    for model in (ours, plain):
        out = model(x)
        outs.append(out)
        grads.append(
            torch.autograd.grad((out * out.detach().cos()).sum(),
                                [x, *model.parameters()]))
    torch.testing.assert_close(outs[0], outs[1], rtol=0, atol=1e-12)
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)
    if act == 'GELU':
        assert torch.autograd.gradcheck(
            lambda t: ours(t), (x[:1, :2, :3], ), eps=1e-6, atol=1e-8)


def test_recomputed_ffn_under_bf16_autocast():
    """Under autocast fc2 runs in bf16; the gradients come back in each
    parameter's own dtype and close to float32's."""
    from mmscalablevit.models.bricks import RecomputedActFFN
    ffn = RecomputedActFFN(
        embed_dims=16,
        feedforward_channels=64,
        act_cfg=dict(type='GELU'),
        add_identity=False)
    x = torch.randn(4, 10, 16, requires_grad=True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = ffn(x)
    assert out.dtype == torch.bfloat16
    out.float().sum().backward()
    bf16 = [p.grad.clone() for p in ffn.parameters()] + [x.grad.clone()]
    assert all(g.dtype == torch.float32 for g in bf16)
    ffn.zero_grad()
    x.grad = None
    ffn(x).sum().backward()
    fp32 = [p.grad for p in ffn.parameters()] + [x.grad]
    for a, b in zip(bf16, fp32):
        assert (a - b).abs().max() <= 0.05 * b.abs().max()
