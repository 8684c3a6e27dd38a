"""The models tools/analysis_tools/benchmark.py can time: name -> builder.

A builder takes ``with_cp`` and returns a backbone (B, 3, H, W) -> outputs.
A backbone joins with one line. Every backbone is built without stochastic
depth (the stack's Swin-T defaults to a drop-path rate of 0.1), so that a
training step does the same kind of work in each. ``*-reference`` runs the
package's backbone through its explicit-matmul attention path (what the
released code computes, N x N' matrices in memory).
"""
import importlib.util
import sys

import torch.nn as nn

# the released code of a backbone, for `*-authors` models: family -> file
# (given on the command line, e.g. --authors-file scopevit=PATH; never
# shipped with the package)
AUTHORS_FILES = {}


class Reference(nn.Module):
    """Runs a backbone of the package through the explicit-matmul attention
    path."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        from mmscalablevit.models import reference_attention
        with reference_attention():
            return self.model(x)


def plugin(name: str, arch: str, with_cp: bool = False, reference=False):
    import mmscalablevit.models as models
    model = getattr(models, name)(
        arch=arch, drop_path_rate=0., with_cp=with_cp)
    return Reference(model) if reference else model


def mmdet_swin_t(with_cp=False):
    from mmdet.models.backbones import SwinTransformer
    return SwinTransformer(
        embed_dims=96,
        depths=[2, 2, 6, 2],
        num_heads=[3, 6, 12, 24],
        window_size=7,
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.,
        with_cp=with_cp)


def mmpretrain_model(cls_name: str, with_cp=False, **kwargs):
    import mmpretrain.models as models
    if with_cp and cls_name == 'SVT':
        raise ValueError('twins-svt-s has no activation checkpointing')
    if with_cp:
        kwargs['with_cp'] = True
    return getattr(models, cls_name)(
        out_indices=(0, 1, 2, 3), drop_path_rate=0., **kwargs)


def authors_scopevit(arch: str, with_cp=False):
    """The released ScopeViT (its ``models/scopevit.py``, which needs timm
    and einops) as a dense backbone (``fork_feat=True``)."""
    if with_cp:
        raise ValueError("the authors' ScopeViT has no with_cp")
    path = AUTHORS_FILES.get('scopevit')
    if path is None:
        raise ValueError("scopevit-*-authors needs the authors' file: "
                         '--authors-file scopevit=PATH/models/scopevit.py')
    name = '_authors_scopevit'
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # timm's registry looks it up
        spec.loader.exec_module(module)
    return sys.modules[name].ScopeViT(
        arch=arch, fork_feat=True, drop_path_rate=0.)


MODELS = {
    'scalablevit-s':
    lambda cp=False: plugin('ScalableViT', 's', cp),
    'scalablevit-b':
    lambda cp=False: plugin('ScalableViT', 'b', cp),
    'scalablevit-l':
    lambda cp=False: plugin('ScalableViT', 'l', cp),
    'scalablevit-s-reference':
    lambda cp=False: plugin('ScalableViT', 's', cp, reference=True),
    'swin-t':
    mmdet_swin_t,
    'swin-t-mmpretrain':
    lambda cp=False: mmpretrain_model('SwinTransformer', cp, arch='tiny'),
    'twins-svt-s':
    lambda cp=False: mmpretrain_model('SVT', cp, arch='small'),
    'scopevit-xt':
    lambda cp=False: plugin('ScopeViT', 'xt', cp),
    'scopevit-t':
    lambda cp=False: plugin('ScopeViT', 't', cp),
    'scopevit-s':
    lambda cp=False: plugin('ScopeViT', 's', cp),
    'scopevit-t-reference':
    lambda cp=False: plugin('ScopeViT', 't', cp, reference=True),
    'scopevit-t-authors':
    lambda cp=False: authors_scopevit('tiny', cp),
    'convnext-v2-pico':
    lambda cp=False: mmpretrain_model(
        'ConvNeXt', cp, arch='pico', use_grn=True, layer_scale_init_value=0.),
}
