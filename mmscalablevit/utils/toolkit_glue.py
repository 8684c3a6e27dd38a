"""Where the toolkits look the package up by name: ``mmscalablevit::``
config inheritance (mmengine) and name-based models (mmpretrain's
``ModelHub``).

* ``_base_ = ['mmscalablevit::scalablevit/<config>.py']``: mmengine 0.10.7
  only resolves ``pkg::`` for packages in ``MODULE2PACKAGE``, only paths
  shaped ``pkg::dir/file.py``, and looks configs up under the installed
  package's ``.mim``. The scope is registered and, for this package only,
  the lookups answer from its configs: the source tree's ``configs/`` for
  an editable install or checkout, ``.mim/configs`` for a wheel.
  ``scalablevit/`` is an alias of that folder, so the flat configs have the
  ``dir/file.py`` shape mmengine requires.
* ``mmpretrain.list_models('*scalablevit*')``, ``get_model(name)`` and
  ``ImageClassificationInferencer(name)``: the classification metafile is
  registered with ``ModelHub``.

Both patches must be in place before the toolkit parses a config, also in
the toolkits' own scripts, which never import this package first. So they
run from a post-import hook (:func:`install`): right after
``mmengine.config.config`` / ``mmpretrain.apis.model`` is imported. A
startup file installed next to the package (``mmscalablevit-startup.pth``)
calls :func:`install` in every interpreter; importing the package does too.
This module imports nothing but the standard library at import time (it is
loaded at interpreter start, by path, without importing the package).
"""
import os.path as osp
import sys

PACKAGE = 'mmscalablevit'
CONFIG_ALIAS = 'scalablevit'


def package_dir():
    """The package's folder, found without importing it (None if it is not
    installed any more)."""
    from importlib.util import find_spec
    try:
        spec = find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


def resource_root(package=None):
    """The folder holding ``configs/`` and ``model-index.yml``: the source
    tree (always current) when the package runs from a checkout or an
    editable install, else the copy shipped in the wheel (``.mim``)."""
    package = package or package_dir()
    source = osp.dirname(package)
    if osp.isfile(osp.join(source, 'setup.py')) and \
            osp.isdir(osp.join(source, 'configs')):
        return source
    return osp.join(package, '.mim')


def config_root() -> str:
    return osp.join(resource_root(), 'configs')


def resolve_config(name: str) -> str:
    """Path of ``mmscalablevit::<name>`` (``scalablevit/`` optional)."""
    parts = [p for p in name.replace('\\', '/').split('/') if p]
    if parts and parts[0] == CONFIG_ALIAS:
        parts = parts[1:]
    path = osp.join(config_root(), *parts)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'mmscalablevit has no config {name!r} (looked for {path}). '
            'Inherit e.g. mmscalablevit::scalablevit/'
            'retinanet_scalablevit_s_1x.py or mmscalablevit::scalablevit/'
            '_base_/schedules/det_3x_ms.py.')
    return path


def register_config_scope(config_module=None) -> None:
    """Patch mmengine's config lookups for ``mmscalablevit::`` (once)."""
    if config_module is None:
        from mmengine.config import config as config_module
    if getattr(config_module.get_installed_path, '_mmscalablevit', False):
        return
    here = package_dir()
    if here is None:
        return
    from mmengine.config import utils as config_utils
    config_utils.MODULE2PACKAGE.setdefault(PACKAGE, PACKAGE)
    installed_path = config_module.get_installed_path
    external_path = config_module._get_external_cfg_path
    external_base_path = config_module._get_external_cfg_base_path

    def get_installed_path(package: str) -> str:
        return here if package == PACKAGE else installed_path(package)

    def get_external_cfg_path(package_path: str, cfg_file: str) -> str:
        if package_path == here:
            return resolve_config(cfg_file)
        return external_path(package_path, cfg_file)

    def get_external_cfg_base_path(package_path: str, cfg_name: str) -> str:
        if package_path == here:
            return resolve_config(cfg_name)
        return external_base_path(package_path, cfg_name)

    get_installed_path._mmscalablevit = True
    config_module.get_installed_path = get_installed_path
    config_module._get_external_cfg_path = get_external_cfg_path
    config_module._get_external_cfg_base_path = get_external_cfg_base_path


def register_model_index(model_module=None) -> None:
    """Add the classification metafile to mmpretrain's ``ModelHub`` (once;
    only classifiers: ``get_model`` builds under the mmpretrain scope)."""
    if model_module is None:
        from mmpretrain.apis import model as model_module
    hub = model_module.ModelHub
    if getattr(hub, '_mmscalablevit_registered', False):
        return
    root = resource_root()
    hub.register_model_index(
        osp.join(root, 'configs', 'metafiles', 'classification.yml'),
        config_prefix=root)  # the metafile's Config paths start at root
    hub._mmscalablevit_registered = True


_HOOKS = {
    'mmengine.config.config': register_config_scope,
    'mmpretrain.apis.model': register_model_index,
}


def _run(name, module):
    try:
        _HOOKS[name](module)
    except Exception as error:  # never break the toolkit being imported
        import warnings
        warnings.warn(f'mmscalablevit: setting up {name} failed: {error!r}')


class _PostImportFinder:
    """First entry of ``sys.meta_path``: for the modules in ``_HOOKS`` it
    asks the other finders for the spec and runs the hook right after the
    module executed; any other import costs one dict lookup."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _HOOKS:
            return None
        for finder in sys.meta_path:
            if type(finder).__name__ == '_PostImportFinder' or not hasattr(
                    finder, 'find_spec'):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, 'exec_module'):
            return spec
        exec_module = loader.exec_module

        def exec_module_then_hook(module):
            exec_module(module)
            _run(fullname, module)

        loader.exec_module = exec_module_then_hook  # this module's loader
        return spec


def install() -> None:
    """Run the hooks of modules already imported; hook the others."""
    for name in _HOOKS:
        if name in sys.modules:
            _run(name, sys.modules[name])
    if not any(type(f).__name__ == '_PostImportFinder' for f in sys.meta_path):
        sys.meta_path.insert(0, _PostImportFinder())
