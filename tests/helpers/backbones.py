"""The package's backbones as the shared tests see them: one
:class:`Backbone` entry each, so that a new backbone gets every test of
``tests/common`` by adding its entry."""
import functools
from typing import Callable, NamedTuple

import torch

from mmscalablevit.models import ScalableViT, ScopeViT

from ..scalable_vit import fixtures as scalable
from ..scope_vit import fixtures as scope


class Backbone(NamedTuple):
    """What the shared tests need to know of a backbone family."""
    cls: type
    #: a small arch dict: fast enough for behaviour tests on CPU
    tiny: dict
    #: tests/data file: the authors' model on random weights
    fixture: str
    #: the fixture's ``config`` -> our arch dict
    arch_from_official: Callable[[dict], dict]
    #: our backbone state dict -> the authors' key layout
    to_official: Callable[[dict], dict]
    #: its tools/model_converters script
    converter: str
    #: an arch key and a plausible wrong spelling of it
    arch_key: str
    wrong_key: str
    #: an arch name it does not have, and how the error lists the valid ones
    unknown_arch: str
    valid_archs: str


BACKBONES = {
    'ScalableViT':
    Backbone(
        cls=ScalableViT,
        tiny=scalable.TINY_ARCH,
        fixture=scalable.FIXTURE,
        arch_from_official=scalable.arch_from_official,
        to_official=scalable.official_state_dict,
        converter='scalablevit2mm.py',
        arch_key='window_sizes',
        wrong_key='wss',
        unknown_arch='xl',
        valid_archs="'b', 'base', 'l', 'large', 's', 'small'"),
    'ScopeViT':
    Backbone(
        cls=ScopeViT,
        tiny=scope.TINY_ARCH,
        fixture=scope.FIXTURE,
        arch_from_official=scope.arch_from_official,
        to_official=scope.to_official,
        converter='scopevit2mm.py',
        arch_key='gsda_dilation',
        wrong_key='dilation',
        unknown_arch='b',
        valid_archs="'s', 'small', 't', 'tiny', 'x-tiny', 'xt', 'xtiny'"),
}
NAMES = sorted(BACKBONES)


def tiny(name, **kwargs):
    """A tiny backbone of family ``name``."""
    backbone = BACKBONES[name]
    return backbone.cls(arch=dict(backbone.tiny), **kwargs)


@functools.lru_cache(maxsize=None)
def official(name) -> dict:
    """The family's fixture: config, the authors' state dict, input and
    outputs (see tests/data/README.md). Shared: do not modify."""
    return torch.load(BACKBONES[name].fixture, weights_only=True)


def from_official(name, **kwargs):
    """A backbone of the fixture's arch (random weights)."""
    backbone = BACKBONES[name]
    return backbone.cls(
        arch=backbone.arch_from_official(official(name)['config']), **kwargs)


def stage_shapes(batch, size, dims) -> list:
    """(B, C_i, H_i, W_i) of a pyramid of strides 4, 8, 16, ...: the convs'
    real output sizes, ``ceil(H / 4)`` then halved with ceil."""
    h, w = -(-size[0] // 4), -(-size[1] // 4)
    shapes = []
    for i, c in enumerate(dims):
        if i:
            h, w = -(-h // 2), -(-w // 2)
        shapes.append((batch, c, h, w))
    return shapes
