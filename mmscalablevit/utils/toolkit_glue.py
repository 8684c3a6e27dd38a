"""Where the toolkits look the package up by name: ``mmscalablevit::``
config inheritance (mmengine), name-based models (mmpretrain's
``ModelHub``) and mim's ``.mim`` folder.

* ``_base_ = ['mmscalablevit::<config>.py']`` (``scalablevit/`` or
  ``scopevit/`` in front optional): mmengine 0.10.7 resolves ``pkg::`` only
  for OpenMMLab's own packages (``MODULE2PACKAGE``), only in the shape
  ``pkg::dir/file.py`` and only from an installed ``.mim``, and has no
  public way to add a package. So ``Config._get_cfg_path``, the one lookup
  every ``_base_`` goes through, answers ``mmscalablevit::`` names from the
  package's configs (the source tree's ``configs/`` for an editable install
  or checkout, ``.mim/configs`` for a wheel) and hands every other name to
  mmengine. ``tests/common/test_inheritance.py`` fails when mmengine no
  longer calls it that way.
* ``mmpretrain.list_models('*scalablevit*')``, ``get_model(name)`` and
  ``ImageClassificationInferencer(name)``: the classification metafile is
  registered with ``ModelHub``.
* mim reads ``mmscalablevit/.mim/{configs,tools,model-index.yml}``, links
  that an editable install makes: in a source tree they are made again when
  missing (e.g. after ``git clean -xdf``).

The patches must be in place before the toolkit parses a config, also in
the toolkits' own scripts, which never import this package first. So they
run from a post-import hook (:func:`install`): right after
``mmengine.config.config`` / ``mmpretrain.apis.model`` is imported. A
startup file installed next to the package (``mmscalablevit-startup.pth``)
calls :func:`install` in every interpreter; importing the package does too.
This module imports nothing but the standard library at import time (it is
loaded at interpreter start, by path, without importing the package).
"""
import difflib
import os
import os.path as osp
import re
import sys

PACKAGE = 'mmscalablevit'
# optional first folder of ``mmscalablevit::`` names: the flat configs in
# the ``pkg::dir/file.py`` shape of OpenMMLab's own packages
CONFIG_ALIASES = ('scalablevit', 'scopevit')
MIM_ENTRIES = ('configs', 'tools', 'model-index.yml')
INSTALL_HINT = 'run tools/install.sh (or pip install -e .) in the checkout'


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


def source_tree(package=None):
    """The checkout the package runs from (editable install or
    ``PYTHONPATH``), or None for a wheel."""
    package = package or package_dir()
    source = osp.dirname(package)
    if osp.isfile(osp.join(source, 'setup.py')) and \
            osp.isdir(osp.join(source, 'configs')):
        return source
    return None


def resource_root(package=None):
    """The folder holding ``configs/`` and ``model-index.yml``: the source
    tree (always current) when the package runs from a checkout or an
    editable install, else the copy shipped in the wheel (``.mim``)."""
    package = package or package_dir()
    return source_tree(package) or osp.join(package, '.mim')


def config_root() -> str:
    return osp.join(resource_root(), 'configs')


def shipped_configs(root: str) -> list:
    """The flat configs and the quick-start ones, relative to ``root``."""
    names = [n for n in os.listdir(root) if n.endswith('.py')]
    quick = osp.join(root, 'quickstart')
    if osp.isdir(quick):
        names += [
            f'quickstart/{n}' for n in os.listdir(quick) if n.endswith('.py')
        ]
    return sorted(names)


def resolve_config(name: str) -> str:
    """Path of ``mmscalablevit::<name>``: a file under ``configs/``,
    ``scalablevit/`` or ``scopevit/`` in front optional."""
    parts = [
        p for p in name.replace('\\', '/').split('/') if p not in ('', '.')
    ]
    if parts and parts[0] in CONFIG_ALIASES:
        parts = parts[1:]
    if '..' in parts:
        raise ValueError(
            f'mmscalablevit::{name} points outside the package\'s configs '
            "('..'): name a config below configs/, e.g. "
            'mmscalablevit::retinanet_scopevit_t_1x.py.')
    root = config_root()
    path = osp.join(root, *parts)
    if parts and osp.isfile(path):
        return path
    configs = shipped_configs(root) if osp.isdir(root) else []
    close = difflib.get_close_matches('/'.join(parts), configs, n=3)
    raise FileNotFoundError(
        f'mmscalablevit has no config {name!r} (looked for {path}).' +
        (f' Did you mean {", ".join(close)}?' if close else '') +
        ' Its configs: ' + ', '.join(configs) +
        '; and the shared parts under _base_/, e.g. '
        'mmscalablevit::_base_/schedules/det_3x_ms.py.')


def register_config_scope(config_module=None) -> None:
    """Answer ``mmscalablevit::`` names in mmengine's config lookup
    (once)."""
    if config_module is None:
        from mmengine.config import config as config_module
    config = config_module.Config
    lookup = config.__dict__['_get_cfg_path'].__func__
    if getattr(lookup, '_mmscalablevit', False) or package_dir() is None:
        return

    def _get_cfg_path(cfg_path: str, filename: str):
        package, sep, name = cfg_path.partition('::')
        if sep and package == PACKAGE:
            return resolve_config(name), PACKAGE  # (path, scope)
        return lookup(cfg_path, filename)

    _get_cfg_path._mmscalablevit = True
    config._get_cfg_path = staticmethod(_get_cfg_path)


def restore_mim_links(package=None) -> None:
    """In a source tree, link ``.mim/{configs,tools,model-index.yml}`` to
    the sources where a link is missing, as the editable install made
    them."""
    package = package or package_dir()
    source = package and source_tree(package)
    if not source:
        return
    mim = osp.join(package, '.mim')
    for entry in MIM_ENTRIES:
        link = osp.join(mim, entry)
        if osp.lexists(link):
            continue
        try:
            os.makedirs(mim, exist_ok=True)
            os.symlink(osp.relpath(osp.join(source, entry), mim), link)
        except FileExistsError:  # another process made it
            pass
        except OSError as error:
            import warnings
            warnings.warn(f'mmscalablevit: {link} is missing and cannot be '
                          f'made ({error}): {INSTALL_HINT}.')
            return


def register_model_index(model_module=None) -> None:
    """Add the classification metafile to mmpretrain's ``ModelHub`` and let
    its ``get_model`` load the authors' classifier files (once; only
    classifiers: ``get_model`` builds under the mmpretrain scope)."""
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
    model_module.get_model = _converting(model_module.get_model, hub, root)


def _converting(get_model, hub, root: str):
    """mmpretrain's ``get_model`` (behind the inferencers too), which also
    loads an authors' released classifier file into a model of this
    package: read with ``weights_only``, converted by the backbone's key
    map, every key checked. The metafile names the authors' files as
    ``Weights``, so ``get_model(name, pretrained=True)`` loads them. Other
    models and checkpoints are left to mmpretrain."""

    def ours(config) -> bool:  # a path or a Config read from one
        path = getattr(config, 'filename', config)
        return isinstance(path, str) and osp.realpath(path).startswith(
            osp.realpath(root) + os.sep)

    def load(model, pretrained=False, *args, **kwargs):
        checkpoint = pretrained if isinstance(pretrained, str) else None
        if isinstance(model, str) and not model.endswith('.py'):
            metainfo = hub.get(model)
            if not ours(metainfo.config):
                return get_model(model, pretrained, *args, **kwargs)
            if pretrained is True:
                checkpoint = metainfo.weights
        elif not ours(model):
            return get_model(model, pretrained, *args, **kwargs)
        if checkpoint is None:
            return get_model(model, pretrained, *args, **kwargs)
        if kwargs.get('url_mapping'):
            checkpoint = re.sub(*kwargs['url_mapping'], checkpoint)
        from mmscalablevit.checkpoint import (check_fits, read_checkpoint,
                                              unwrap_state_dict)
        source = f'Checkpoint {checkpoint!r}'
        state_dict = unwrap_state_dict(read_checkpoint(checkpoint), source)
        built = get_model(model, False, *args, **kwargs)
        key_map = getattr(built.backbone, 'key_map', None)
        if key_map is None or not key_map.is_official(state_dict):
            return get_model(model, pretrained, *args, **kwargs)
        state_dict = key_map.convert(state_dict, 'classifier')
        check_fits(built, state_dict, source)
        built.load_state_dict(state_dict, strict=True)
        return built

    load.__doc__ = get_model.__doc__
    load._mmscalablevit = True
    return load


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
    """Run the hooks of modules already imported; hook the others; restore
    missing ``.mim`` links."""
    try:
        restore_mim_links()
    except Exception:  # never break the interpreter's start
        pass
    for name in _HOOKS:
        if name in sys.modules:
            _run(name, sys.modules[name])
    if not any(type(f).__name__ == '_PostImportFinder' for f in sys.meta_path):
        sys.meta_path.insert(0, _PostImportFinder())
