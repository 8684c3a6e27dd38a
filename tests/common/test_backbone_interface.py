"""What every backbone of the package offers alike, tested for each entry of
``helpers.backbones.BACKBONES``: the registries, arch names and dicts,
output shapes at any size, the dense-prediction options (out_indices,
frozen_stages, with_cp), the fast paths (in-place chunked inference,
torch.compile, mixed precision), Pretrained loading and clear errors for
bad arguments and inputs."""
import importlib

import pytest
import torch
from mmengine.registry import DefaultScope, init_default_scope

from mmscalablevit.models.bricks import PreNormBlock

from ..helpers.backbones import BACKBONES, NAMES, stage_shapes, tiny
from ..helpers.weights import randomize


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('scope', ['mmdet', 'mmseg', 'mmpretrain'])
@pytest.mark.parametrize('prefix', ['', 'mmscalablevit.'])
def test_builds_in_every_toolkit_scope(name, scope, prefix):
    backbone = BACKBONES[name]
    registry = importlib.import_module(f'{scope}.registry').MODELS
    with DefaultScope.overwrite_default_scope(scope):
        init_default_scope(scope)
        model = registry.build(dict(type=prefix + name, arch=backbone.tiny))
    assert type(model) is backbone.cls


def test_unknown_name_is_a_registry_error():
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    with pytest.raises(KeyError, match='ScalabeViT'):
        MODELS.build(dict(type='mmscalablevit.ScalabeViT'))


# ---------------------------------------------------------------- outputs
@pytest.mark.parametrize('name', NAMES)
def test_output_shapes_at_any_size(name):
    """Stage maps of the convs' real sizes (ceil), finite, and plain NCHW
    memory (mmcv ops such as RoIAlign read raw memory)."""
    model = tiny(name).eval()
    for size in ((32, 32), (65, 97), (100, 37), (203, 301), (224, 224)):
        with torch.no_grad():
            outs = model(torch.randn(2, 3, *size))
        assert [tuple(o.shape) for o in outs] == \
            stage_shapes(2, size, model.embed_dims), size
        assert all(torch.isfinite(o).all() for o in outs)
        assert all(o.is_contiguous() for o in outs)


@pytest.mark.parametrize('name', NAMES)
def test_out_indices_select_stages_and_skip_later_ones(name):
    model = randomize(tiny(name)).eval()
    x = torch.randn(1, 3, 64, 80)
    partial = tiny(name, out_indices=(1, -1))
    last = len(model.embed_dims) - 1
    assert partial.out_indices == (1, last)
    partial.load_state_dict(model.state_dict())
    with torch.no_grad():
        full = model(x)
        outs = partial.eval()(x)
    assert [o.shape[1]
            for o in outs] == [model.embed_dims[i] for i in (1, last)]
    for out, i in zip(outs, (1, last)):
        torch.testing.assert_close(out, full[i], rtol=0, atol=0)
    # stages after the last index are not run: no gradient reaches them
    first = tiny(name, out_indices=(0, )).train()
    first(torch.randn(2, 3, 64, 80))[0].sum().backward()
    assert all(
        p.grad is None for m in first._stage_modules(last)
        for p in m.parameters())


@pytest.mark.parametrize('name', NAMES)
def test_batch_items_are_independent(name):
    model = randomize(tiny(name)).eval()
    x = torch.randn(3, 3, 75, 90)
    with torch.no_grad():
        batch = model(x)
        single = model(x[1:2])
    for b, s in zip(batch, single):
        torch.testing.assert_close(b[1:2], s, rtol=1e-5, atol=1e-5)


# ------------------------------------------- frozen stages / checkpointing
def _stages(model, count):
    return [m for i in range(count) for m in model._stage_modules(i)]


@pytest.mark.parametrize('name', NAMES)
def test_frozen_stages_get_no_gradient_and_keep_statistics(name):
    model = randomize(tiny(name, frozen_stages=2)).train()
    frozen = _stages(model, 2)
    free = model._stage_modules(2) + model._stage_modules(3)
    for module in frozen:
        assert all(not m.training for m in module.modules())
        assert all(not p.requires_grad for p in module.parameters())
    assert all(m.training for m in free)
    stats = [
        b.clone() for m in frozen for n, b in m.named_buffers()
        if 'running' in n
    ]
    sum(o.sum() for o in model(torch.randn(2, 3, 64, 64))).backward()
    assert all(p.grad is None for m in frozen for p in m.parameters())
    assert all(p.grad is not None for m in free for p in m.parameters())
    after = [b for m in frozen for n, b in m.named_buffers() if 'running' in n]
    assert all(torch.equal(a, b) for a, b in zip(stats, after))


@pytest.mark.parametrize('name', NAMES)
def test_frozen_stem_only(name):
    model = tiny(name, frozen_stages=0).train()
    stem, *rest = model._stage_modules(0)
    assert not stem.training
    assert all(not p.requires_grad for p in stem.parameters())
    assert all(m.training for m in rest)
    assert all(p.requires_grad for m in rest for p in m.parameters())


@pytest.mark.parametrize('name', NAMES)
def test_with_cp_matches_plain_forward_and_backward(name):
    """Same outputs (stochastic depth and dropout replayed), gradients and
    BatchNorm statistics (updated once, not again in the recomputation)."""
    plain = randomize(tiny(name, drop_path_rate=0.2))
    ckpt = tiny(name, drop_path_rate=0.2, with_cp=True)
    ckpt.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 70, 96)
    outs = []
    for model in (plain, ckpt):
        torch.manual_seed(1)
        out = model.train()(x)
        sum((o * o).sum() for o in out).backward()
        outs.append(out)
    for a, b in zip(*outs):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    for (key, a), b in zip(plain.named_parameters(), ckpt.parameters()):
        torch.testing.assert_close(
            a.grad, b.grad, rtol=1e-5, atol=1e-6, msg=key)
    for (key, a), b in zip(plain.named_buffers(), ckpt.buffers()):
        assert torch.equal(a, b), key


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('with_cp', [False, True])
def test_gradients_have_their_parameters_strides(name, with_cp):
    """Every gradient is laid out like its parameter (DDP copies any other
    gradient into its bucket and warns), also after loading a state dict."""
    model = tiny(name, with_cp=with_cp).train()
    model.load_state_dict(tiny(name).state_dict())
    sum(o.sum() for o in model(torch.randn(2, 3, 75, 90))).backward()
    mismatched = [(key, p.stride(), p.grad.stride())
                  for key, p in model.named_parameters()
                  if p.grad.stride() != p.stride()]
    assert not mismatched


# ------------------------------------------------------------ fast paths
@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('token_chunk', [37, 2048])
def test_chunked_inplace_inference_equals_autograd_path(
        name, token_chunk, monkeypatch):
    """The no-grad path (residuals in place, wide intermediates in chunks of
    tokens, ragged last chunk included) computes what the autograd path
    does, and leaves the caller's input untouched."""
    monkeypatch.setattr(PreNormBlock, 'token_chunk', token_chunk)
    model = randomize(tiny(name)).eval()
    for size in ((83, 117), (128, 128)):
        x = torch.randn(2, 3, *size)
        x_copy = x.clone()
        with torch.no_grad():
            fast = model(x)
        slow = model(x)
        assert torch.equal(x, x_copy)
        for a, b in zip(fast, slow):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('mode', ['train', 'eval', 'inference'])
def test_compiles_without_graph_breaks(name, mode):
    """Training, eval with autograd and the in-place no-grad inference path
    each trace as one graph (padded windows / groups included)."""
    model = randomize(tiny(name, drop_path_rate=0.1)).train(mode == 'train')
    compiled = torch.compile(model, backend='eager', fullgraph=True)
    x = torch.randn(2, 3, 75, 90)
    with torch.set_grad_enabled(mode != 'inference'):
        outs = compiled(x)
        if mode == 'train':
            sum(o.sum() for o in outs).backward()
            assert all(p.grad is not None for p in model.parameters())
            return
        refs = model(x)
    for a, b in zip(outs, refs):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize('name', NAMES)
def test_bf16_autocast_forward_and_backward_are_finite(name):
    model = tiny(name)
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


# ------------------------------------------------------ Pretrained loading
@pytest.mark.parametrize('name', NAMES)
def test_downstream_checkpoint_with_backbone_prefix(name, tmp_path):
    """A detector/segmentor checkpoint trained with this backbone: the
    `backbone.` prefix is found and the rest of the model ignored."""
    src = randomize(tiny(name))
    sd = {'backbone.' + k: v for k, v in src.state_dict().items()}
    sd['neck.lateral_convs.0.conv.weight'] = torch.zeros(2)
    path = tmp_path / 'detector.pth'
    torch.save({'state_dict': sd, 'meta': {}}, path)
    model = tiny(name, init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    for (key, a), b in zip(model.state_dict().items(),
                           src.state_dict().values()):
        assert torch.equal(a, b), key


@pytest.mark.parametrize('name', NAMES)
def test_missing_file_explains_where_weights_come_from(name):
    model = tiny(
        name,
        init_cfg=dict(type='Pretrained', checkpoint='checkpoints/nowhere.pth'))
    with pytest.raises(FileNotFoundError, match=BACKBONES[name].converter):
        model.init_weights()


# -------------------------------------------------------- bad arguments
@pytest.mark.parametrize('name', NAMES)
def test_unknown_arch_lists_valid_ones(name):
    backbone = BACKBONES[name]
    with pytest.raises(
            ValueError,
            match=rf"Unknown {name} arch '{backbone.unknown_arch}'.*"
            f'{backbone.valid_archs}'):
        backbone.cls(arch=backbone.unknown_arch)


@pytest.mark.parametrize('name', NAMES)
def test_custom_arch_missing_and_unknown_keys(name):
    backbone = BACKBONES[name]
    arch = dict(backbone.tiny)
    arch[backbone.wrong_key] = arch.pop(backbone.arch_key)
    with pytest.raises(
            ValueError,
            match=rf"missing keys \['{backbone.arch_key}'\], unknown keys "
            rf"\['{backbone.wrong_key}'\]"):
        backbone.cls(arch=arch)


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('change,match', [
    (dict(embed_dims=64), 'embed_dims must be a list with one value per '
     'stage, got 64'),
    (dict(depths=[1, 1, 1]), r'every entry needs one value per stage; got '
     r"lengths \{.*'depths': 3"),
    (dict(depths=[1, 0, 1, 1]), r'depths must be integers >= 1 \(every stage '
     r'needs at least one block\)'),
    (dict(num_heads=[3, 4, 8, 16]), 'stage 0: embed_dims 16 is not '
     'divisible by num_heads 3'),
    (dict(embed_dims=[16, 32, 48.5, 64]), 'embed_dims must be integers'),
])
def test_bad_custom_archs_are_refused_by_name(name, change, match):
    backbone = BACKBONES[name]
    with pytest.raises(ValueError, match=rf'Custom {name} arch: {match}'):
        backbone.cls(arch=dict(backbone.tiny, **change))


@pytest.mark.parametrize('name', NAMES)
def test_an_ffn_without_hidden_channels_is_refused(name):
    backbone = BACKBONES[name]
    ratio = [0.01, 4, 4, 4] \
        if backbone.cls.arch_spec['mlp_ratios'].per_stage else 0.01
    with pytest.raises(ValueError, match='an FFN without hidden channels'):
        backbone.cls(arch=dict(backbone.tiny, mlp_ratios=ratio))


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('kwargs,match', [
    (dict(out_indices=(0, 4)), r'out_indices \(0, 4\) must be in \[0, 3\]'),
    (dict(out_indices=()), 'out_indices is empty'),
    (dict(frozen_stages=5), r'frozen_stages must be an int in \[-1, 4\]'),
    (dict(drop_path_rate=1.0), r'drop_path_rate must be a number in \[0, '),
    (dict(drop_path_rate=-0.1), r'drop_path_rate must be a number in \[0, '),
    (dict(drop_path_rate='0.1'), r'drop_path_rate must be a number in \['),
    (dict(drop_path_rate=True), r'drop_path_rate must be a number in \[0, '),
    (dict(in_channels=0), 'in_channels must be an integer >= 1'),
])
def test_bad_arguments_are_refused_by_name(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        tiny(name, **kwargs)


@pytest.mark.parametrize('name', NAMES)
@pytest.mark.parametrize('shape,match', [
    ((1, 3, 31, 64), 'at least 32x32'),
    ((1, 3, 64, 20), 'at least 32x32'),
    ((1, 3, 8, 8), 'at least 32x32'),
    ((3, 64, 64), '4-D'),
    ((0, 3, 64, 64), 'empty batch'),
    ((1, 4, 64, 64), '3 input channels'),
])
def test_malformed_inputs_are_refused(name, shape, match):
    with pytest.raises(ValueError, match=match):
        tiny(name)(torch.randn(shape))


def five_stages(arch):
    """``arch`` with its last stage repeated: a fifth stage, stride 64."""
    return {
        k: list(v) + [v[-1]] if isinstance(v, list) else v
        for k, v in arch.items()
    }


@pytest.mark.parametrize('name', NAMES)
def test_the_minimum_size_follows_the_number_of_stages(name):
    backbone = BACKBONES[name]
    model = backbone.cls(
        arch=five_stages(backbone.tiny), out_indices=(0, 1, 2, 3, 4)).eval()
    assert model.min_input_size == 64
    with pytest.raises(ValueError, match=r'at least 64x64 pixels'):
        model(torch.randn(1, 3, 63, 80))
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 64, 80))
    assert [o.shape[-2:] for o in outs] == [(16, 20), (8, 10), (4, 5), (2, 3),
                                            (1, 2)]


@pytest.mark.parametrize('name', NAMES)
def test_one_image_in_training_mode_at_the_minimum_size(name):
    """A 1x1 last stage in training mode: a model with BatchNorms refuses it
    with the way out named; norm_eval (or no BatchNorm at all) trains."""
    x = torch.randn(1, 3, 32, 32)
    model = tiny(name).train()
    has_bn = any(
        isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
        for m in model.modules())
    if has_bn:
        with pytest.raises(
                ValueError,
                match='more than one value per '
                'channel.*norm_eval=True'):
            model(x)
        model = tiny(name, norm_eval=True).train()
    sum(o.sum() for o in model(x)).backward()
    assert all(
        p.grad is not None and torch.isfinite(p.grad).all()
        for p in model.parameters())
