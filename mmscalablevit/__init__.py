"""mmscalablevit: the ScalableViT backbone for the OpenMMLab 3.x stack."""
from .version import __version__  # noqa: F401
from .registry import MODELS  # noqa: F401
from . import models  # noqa: F401  (registers the modules)
from .utils.environment import setup_environment

setup_environment()
