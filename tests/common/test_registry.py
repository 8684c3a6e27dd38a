"""`type='ScalableViT'` and `type='mmscalablevit.ScalableViT'` build under the
mmdet, mmseg and mmpretrain scopes."""
import importlib

import pytest
from scalable_vit.fixtures import TINY_ARCH
from mmengine.registry import DefaultScope, init_default_scope

import mmscalablevit  # noqa: F401
from mmscalablevit.models import ScalableViT


@pytest.mark.parametrize('scope', ['mmdet', 'mmseg', 'mmpretrain'])
@pytest.mark.parametrize('name', ['ScalableViT', 'mmscalablevit.ScalableViT'])
def test_builds_in_every_toolkit_scope(scope, name):
    registry = importlib.import_module(f'{scope}.registry').MODELS
    with DefaultScope.overwrite_default_scope(scope):
        init_default_scope(scope)
        model = registry.build(dict(type=name, arch=TINY_ARCH))
    assert type(model) is ScalableViT


def test_unknown_name_is_a_registry_error():
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    with pytest.raises(KeyError, match='ScalabeViT'):
        MODELS.build(dict(type='mmscalablevit.ScalabeViT'))
