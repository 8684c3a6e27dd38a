"""Where mmscalablevit's modules meet the OpenMMLab registries.

``MODELS``, ``HOOKS``, ``TRANSFORMS``, ``DATASETS`` and ``VISUALIZERS`` are
children of mmengine's root registries with the scope ``mmscalablevit``:
configs may write ``type='mmscalablevit.ScalableViT'`` (or
``'mmscalablevit.ExactResumeHook'``, ``'mmscalablevit.CheckedCocoDataset'``),
which imports this package by itself under the mmdet, mmseg, mmpretrain and
mmpose scopes. :func:`register_model` also puts each class in the root
registry, so that the bare ``type='ScalableViT'`` builds under every toolkit
scope once the package is imported (``custom_imports``), as users write for
Swin.
"""
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import Registry

MODELS = Registry(
    'model',
    parent=MMENGINE_MODELS,
    scope='mmscalablevit',
    locations=['mmscalablevit.models'])
HOOKS = Registry(
    'hook',
    parent=MMENGINE_HOOKS,
    scope='mmscalablevit',
    locations=['mmscalablevit.engine'])
TRANSFORMS = Registry(
    'transform',
    parent=MMENGINE_TRANSFORMS,
    scope='mmscalablevit',
    locations=['mmscalablevit.datasets'])
# mmpose's dataset and visualizer, imported on first use only (they import
# mmpose)
DATASETS = Registry(
    'dataset',
    parent=MMENGINE_DATASETS,
    scope='mmscalablevit',
    locations=['mmscalablevit.datasets.body'])
VISUALIZERS = Registry(
    'visualizer',
    parent=MMENGINE_VISUALIZERS,
    scope='mmscalablevit',
    locations=['mmscalablevit.visualization'])


def register_model(cls):
    """Class decorator: register ``cls`` in the plugin and root registries."""
    MODELS.register_module(module=cls)
    MMENGINE_MODELS.register_module(module=cls)
    return cls
