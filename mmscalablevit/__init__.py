"""mmscalablevit: hierarchical vision transformer backbones for the
OpenMMLab 3.x stack (ScalableViT, ScopeViT).

Importing the package registers the backbones and hooks, makes
``mmscalablevit::`` config inheritance and mmpretrain's name-based APIs
work, and registers the ``mmscalablevit://`` checkpoint scheme (the
package's safe reader; mmengine's own schemes are left as they are).
"""
from . import datasets, engine, models  # noqa: F401  (registers modules)
from .checkpoint import register_loaders
from .registry import MODELS  # noqa: F401
from .utils import toolkit_glue
from .version import __version__  # noqa: F401

toolkit_glue.install()
register_loaders()
