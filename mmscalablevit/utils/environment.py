"""Import-time fixes that make the pinned stack work for this package.

* ``_base_ = ['mmscalablevit::scalablevit/<config>.py']``: mmengine 0.10.7
  only resolves ``pkg::`` for packages in ``MODULE2PACKAGE``, and for an
  editable install it looks for the package under site-packages. The scope is
  registered, and the installed-path lookup answers with this package's own
  directory (other packages are delegated unchanged).
* Resuming: on torch >= 2.6 ``torch.load`` defaults to ``weights_only=True``
  and mmengine's checkpoints hold a few plain classes (its log buffers, numpy
  scalars). Exactly those are allow-listed; ``weights_only`` stays on.
"""
import os.path as osp

import torch

PACKAGE = 'mmscalablevit'


def _package_dir() -> str:
    return osp.dirname(osp.dirname(osp.abspath(__file__)))


def register_config_scope() -> None:
    from mmengine.config import config as config_module
    from mmengine.config import utils as config_utils
    config_utils.MODULE2PACKAGE.setdefault(PACKAGE, PACKAGE)
    original = config_module.get_installed_path
    if getattr(original, '_mmscalablevit', False):
        return

    def get_installed_path(package: str) -> str:
        if package == PACKAGE:
            return _package_dir()
        return original(package)

    get_installed_path._mmscalablevit = True
    config_module.get_installed_path = get_installed_path


def allow_checkpoint_globals() -> None:
    from ..checkpoint import safe_globals
    torch.serialization.add_safe_globals(safe_globals())


def setup_environment() -> None:
    register_config_scope()
    allow_checkpoint_globals()
