#!/usr/bin/env python
"""Write the parity fixtures of this folder with the authors' released code.

    PYTHONPATH=<timm 1.0.31> python tests/data/make_fixtures.py \\
        --scalablevit ScalableViT/image_classification/models/scalablevit.py \\
        --scopevit ScopeViT/models/scopevit.py [--out tests/data]

The authors' files are not part of this repository: pass their paths
(Yangr116/ScalableViT @ 8011147, xuesongnie/ScopeViT @ 98198d0, whose model
file is that of 8518954). Each fixture holds a tiny model of the released
code on seeded random weights (``tests.helpers.weights.randomize``): its
config, its state dict (the authors' keys, float32), a seeded input, the
four stage outputs and the logits in float32 and float64 (the same weights
and input in double precision), and, for ScopeViT, intermediates of the
first block.
Nothing but tensors, numbers and strings is saved (``weights_only``).
"""
import argparse
import copy
import importlib.util
import os.path as osp
import sys

import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)
from tests.helpers.weights import randomize  # noqa: E402

SCALABLEVIT = dict(
    embed_dims=[32, 64, 96, 128],
    num_heads=[2, 2, 3, 4],
    mlp_ratios=[4, 4, 4, 4],
    depths=[2, 2, 2, 2],
    wss=[7, 7, 7, 7],
    sr_ratios=[8, 4, 2, 1],
    c_ratios=[1.25, 1.25, 1.25, 1],
    qkv_bias=True,
    num_classes=10)
SCOPEVIT_ARCH = dict(
    embed_dims=[16, 32, 48, 64],
    depths=[1, 2, 2, 1],
    num_heads=[2, 4, 8, 16],
    mssa_stride=[4, 2, 1, 1],
    mssa_split=[[1, 1, 0], [2, 1, 1], [4, 3, 1], [8, 6, 2]],
    gsda_dilation=[8, 8, 8, 8])
SCOPEVIT_CTOR = dict(
    num_classes=10,
    mlp_ratios=4.0,
    in_channels=3,
    drop_path_rate=0.0,
    patch_sizes=[3, 3, 3, 3],
    stem_norm_type='BN',
    conv_norm_type='BN',
    patchembed_types=['ConvEmbed', 'Conv', 'Conv', 'Conv'])
SEED = 0


def load_module(path: str, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # timm's registry looks the module up
    spec.loader.exec_module(module)
    return module


def environment() -> str:
    import timm
    return f'torch {torch.__version__}, timm {timm.__version__}'


def seeded_input(shape):
    return torch.randn(shape, generator=torch.Generator().manual_seed(SEED))


def both_precisions(model, x, forward):
    """``forward(model, x)`` in float32 and in float64 (eval, no grad)."""
    with torch.no_grad():
        f32 = forward(model.eval(), x)
        f64 = forward(copy.deepcopy(model).double().eval(), x.double())
    return f32, f64


def scalablevit_stages(model, x):
    """The released classifier's stage outputs (B, C, H, W) and logits:
    its ``forward_features`` loop, keeping each stage's map."""
    stages = []
    for i in range(len(model.depths)):
        x, (H, W) = model.patch_embeds[i](x)
        x = model.pos_drops[i](x)
        for j, block in enumerate(model.stages[i]):
            x = block(x, H, W)
            if j == 0:
                x = model.pos_block[i](x, H, W)
        x = x.reshape(x.shape[0], H, W, -1).permute(0, 3, 1, 2).contiguous()
        stages.append(x)
    tokens = stages[-1].flatten(2).transpose(1, 2)
    logits = model.head(model.norm(tokens).mean(dim=1))
    return stages, logits


def make_scalablevit(path: str) -> dict:
    code = load_module(path, 'authors_scalablevit')
    model = randomize(code.ScalableViT(**SCALABLEVIT), SEED)
    x = seeded_input((2, 3, 224, 224))
    (outs, logits), (outs64,
                     logits64) = both_precisions(model, x, scalablevit_stages)
    return dict(
        config=dict(SCALABLEVIT, norm_eps=1e-6, head_hidden=4096),
        state_dict=model.state_dict(),
        input=x,
        stage_outputs=outs,
        logits=logits,
        stage_outputs_f64=outs64,
        logits_f64=logits64,
        source='Yangr116/ScalableViT image_classification/models/'
        f'scalablevit.py @ 8011147; {environment()}')


DEBUG_DOC = {
    'patch_embed1':
    'stem output of sample 0, C x H/4 x W/4 (after the '
    'second BN)',
    'blocks1.0.mssa.attn.mspe.key_value_tokens':
    'sample 0: the strided '
    'multi-scale depthwise-conv map (large|medium|small channel groups '
    'concatenated) flattened to tokens, N_kv x C (before the key_value '
    'Linear)',
    'blocks1.0.mssa':
    'sample 0: tokens (N x C, row-major h*W+w) after the '
    'whole MSSA sub-block (both residuals)',
    'blocks1.0.gsda.attn':
    'sample 0: GSDA attention output (after proj), '
    'tokens N x C in the original row-major order (before LayerScale / '
    'residual)',
}


def make_scopevit(path: str) -> dict:
    code = load_module(path, 'authors_scopevit')
    classifier = randomize(
        code.ScopeViT(arch=copy.deepcopy(SCOPEVIT_ARCH), **SCOPEVIT_CTOR),
        SEED)
    for name, buf in classifier.named_buffers():
        if name.endswith('num_batches_tracked'):
            buf.fill_(7)  # unused in eval
    ctor = {k: v for k, v in SCOPEVIT_CTOR.items() if k != 'num_classes'}
    backbone = code.ScopeViT(
        arch=copy.deepcopy(SCOPEVIT_ARCH), fork_feat=True, **ctor)
    backbone.load_state_dict({
        k: v
        for k, v in classifier.state_dict().items()
        if not k.startswith('head.')
    })
    x = seeded_input((1, 3, 256, 256))
    outs, outs64 = both_precisions(backbone, x, lambda m, t: m(t))
    logits, logits64 = both_precisions(classifier, x, lambda m, t: m(t))

    debug = {}
    taps = {
        'patch_embed1': lambda o: o[0][0],  # (map, size)
        'blocks1.0.mssa.attn.mspe': lambda o: o[1][0],
        'blocks1.0.mssa': lambda o: o[0],
        'blocks1.0.gsda.attn': lambda o: o[0],
    }
    modules = dict(classifier.named_modules())
    hooks = []
    for name, take in taps.items():
        key = name + '.key_value_tokens' if name.endswith('mspe') else name

        def hook(module, args, out, key=key, take=take):
            debug[key] = take(out).detach().clone()

        hooks.append(modules[name].register_forward_hook(hook))
    with torch.no_grad():
        classifier.eval()(x)
    for hook in hooks:
        hook.remove()
    return dict(
        config=dict(
            arch=SCOPEVIT_ARCH,
            ctor=SCOPEVIT_CTOR,
            input_shape=list(x.shape),
            seed=SEED,
            source='xuesongnie/ScopeViT models/scopevit.py @ 8518954 '
            f'(HEAD 98198d0); {environment()}',
            notes='classifier = ScopeViT(arch=arch, **ctor); backbone = '
            'ScopeViT(arch=arch, fork_feat=True, **ctor minus num_classes) '
            'loaded with state_dict minus head.*; eval mode; BN uses '
            'running stats; num_batches_tracked set to 7 (unused in eval).'),
        state_dict=classifier.state_dict(),
        input=x,
        stage_outputs=outs,
        logits=logits,
        stage_outputs_f64=outs64,
        logits_f64=logits64,
        debug=debug,
        debug_doc=DEBUG_DOC)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--scalablevit', help="the authors' scalablevit.py")
    parser.add_argument('--scopevit', help="the authors' scopevit.py")
    parser.add_argument('--out', default=osp.dirname(osp.abspath(__file__)))
    args = parser.parse_args(argv)
    torch.manual_seed(SEED)
    for name, path, make in (('scalablevit', args.scalablevit,
                              make_scalablevit), ('scopevit', args.scopevit,
                                                  make_scopevit)):
        if path:
            target = osp.join(args.out, f'{name}_tiny_seed0.pth')
            torch.save(make(path), target)
            print(f'wrote {target}')


if __name__ == '__main__':
    main()
