"""The fast paths stay correct and fast: fused attention (no attention
matrix, one batched call per attention, the bias computed once) equal to
the explicit-matmul path with gradients, the no-grad in-place path equal to
the autograd path, mixed precision, torch.compile, and torch.export and the
ONNX exporter with dynamic input sizes."""
import pytest
import torch

from mmscalablevit.models import ScopeViT, reference_attention
from mmscalablevit.models.backbones.scope_vit import (GSDA, MSSA, RelPosMlp,
                                                      ScopeSubBlock)

from ..helpers.weights import randomize
from .fixtures import TINY_ARCH


@pytest.mark.parametrize('size', [(64, 96), (75, 130)])
def test_reference_attention_outputs_and_gradients(size):
    """The fused SDPA path and the explicit-matmul path (FLOP counting)
    agree in float64, aligned and padded, in training mode (rel-pos
    dropout and stochastic depth replayed by the seed)."""
    model = randomize(ScopeViT(TINY_ARCH, drop_path_rate=0.1)).double()
    x = torch.randn(2, 3, *size, dtype=torch.float64)
    results = []
    for ref in (False, True):
        model.zero_grad()
        torch.manual_seed(3)
        with reference_attention(ref):
            outs = model.train()(x)
        sum((o**2).mean() for o in outs).backward()
        results.append((outs, [p.grad.clone() for p in model.parameters()]))
    (outs_a, grads_a), (outs_b, grads_b) = results
    for a, b in zip(outs_a, outs_b):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10)
    for a, b in zip(grads_a, grads_b):
        torch.testing.assert_close(a, b, rtol=1e-7, atol=1e-10)
    with torch.no_grad():
        fused = model.eval()(x)
        with reference_attention():
            plain = model(x)
    for a, b in zip(fused, plain):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-10)


def test_attention_is_fused_and_bias_computed_once(monkeypatch):
    """Every MSSA and GSDA runs one scaled_dot_product_attention call over
    all its heads and groups (no query x key matrix is stored), and each
    GSDA evaluates its bias MLP once per forward."""
    import mmscalablevit.models.bricks.attention as attention
    calls, biases = [], []
    sdpa = attention.F.scaled_dot_product_attention

    def spy(q, k, v, attn_mask=None, **kwargs):
        calls.append((tuple(q.shape), tuple(k.shape),
                      None if attn_mask is None else tuple(attn_mask.shape)))
        return sdpa(q, k, v, attn_mask=attn_mask, **kwargs)

    monkeypatch.setattr(attention.F, 'scaled_dot_product_attention', spy)
    original = RelPosMlp.forward
    monkeypatch.setattr(RelPosMlp, 'forward',
                        lambda self: biases.append(1) or original(self))
    model = ScopeViT(TINY_ARCH).train()
    blocks = sum(TINY_ARCH['depths'])
    model(torch.randn(2, 3, 256, 256))
    assert len(calls) == 2 * blocks and len(biases) == blocks
    # stage 1: MSSA attends 64x64 queries to 17x17 keys; GSDA 64 groups of
    # 64 tokens, the bias broadcast over batch and groups
    assert calls[0] == ((2, 2, 4096, 8), (2, 2, 289, 8), None)
    # (masks of q's rank: the shapes PyTorch's CPU flash kernel takes)
    assert calls[1] == ((128, 2, 64, 8), (128, 2, 64, 8), (1, 2, 64, 64))
    calls.clear()
    model(torch.randn(2, 3, 200, 260))  # padded: one mask per group
    assert calls[1] == ((2, 7 * 9 * 2, 64, 8), (2, 7 * 9 * 2, 64, 8),
                        (1, 7 * 9 * 2, 64, 64))
    calls.clear()
    with torch.no_grad():  # inference: MSSA queries in chunks
        model.eval()(torch.randn(2, 3, 256, 256))
    assert calls[0] == ((2, 2, ScopeSubBlock.token_chunk, 8), (2, 2, 289, 8),
                        None)
    assert len(calls) == 2 * blocks + 4096 // ScopeSubBlock.token_chunk - 1


def test_export_with_dynamic_height_and_width():
    """One exported program serves every size from 33x33 up: the traced
    path always pads and masks (pad amounts computed from the symbolic
    sizes), so nothing depends on whether a size is a multiple of the
    dilation. ``backed_size_oblivious`` stops torch from specialising on
    sizes that are 1 for the traced input (stage 4's group count, ...);
    32x32 remains excluded because its stage-4 map is 1x1, which fixes the
    memory format torch picks for convolutions."""
    from torch.export import Dim
    from torch.fx.experimental import _config
    model = randomize(ScopeViT(TINY_ARCH)).eval()
    dims = {2: Dim('H', min=33, max=2048), 3: Dim('W', min=33, max=2048)}
    with _config.patch(backed_size_oblivious=True):
        program = torch.export.export(
            model, (torch.randn(1, 3, 300, 520), ), dynamic_shapes={'x': dims})
    exported = program.module()
    for size in ((203, 301), (256, 64)):
        x = torch.randn(1, 3, *size)
        with torch.no_grad():
            refs = model(x)
        outs = exported(x)
        for a, b in zip(outs, refs):
            assert a.shape == b.shape  # float32: 1e-5 of the largest value
            torch.testing.assert_close(
                a, b, rtol=0, atol=1e-5 * b.abs().max().item())


def test_onnx_export_with_dynamic_axes(tmp_path):
    """The TorchScript-based ONNX exporter traces the same always-padded
    path: with dynamic H and W axes the graph serves other sizes (here run
    by onnxruntime), aligned or not."""
    ort = pytest.importorskip('onnxruntime')
    model = randomize(ScopeViT(TINY_ARCH)).eval()
    path = str(tmp_path / 'scopevit.onnx')
    torch.onnx.export(
        model, (torch.randn(1, 3, 300, 520), ),
        path,
        dynamo=False,
        opset_version=17,
        input_names=['x'],
        dynamic_axes={'x': {
            2: 'H',
            3: 'W'
        }})
    session = ort.InferenceSession(path)
    for size in ((203, 301), (256, 64)):
        x = torch.randn(1, 3, *size)
        outs = session.run(None, {'x': x.numpy()})
        with torch.no_grad():
            refs = model(x)
        for a, b in zip(outs, refs):
            torch.testing.assert_close(
                torch.from_numpy(a), b, rtol=1e-5, atol=1e-4)


def test_attention_modules_reject_bad_configs():
    with pytest.raises(ValueError, match='not divisible'):
        GSDA(30, 4)
    with pytest.raises(ValueError, match='adding up to num_heads 4'):
        MSSA(32, 4, [2, 1, 0], 2)
