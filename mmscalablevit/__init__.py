"""mmscalablevit: hierarchical vision transformer backbones for the
OpenMMLab 3.x stack (ScalableViT, ScopeViT).

Importing the package registers the backbones and hooks, makes
``mmscalablevit::`` config inheritance work and routes mmengine's checkpoint
reading through the package's safe reader.
"""
from .version import __version__  # noqa: F401
from .registry import MODELS  # noqa: F401
from . import models  # noqa: F401  (registers the modules)
from .checkpoint import register_loaders
from .utils.config_scope import register_config_scope

register_config_scope()
register_loaders()
