"""``_base_ = ['mmscalablevit::scalablevit/<config>.py']`` for this package.

mmengine 0.10.7 only resolves ``pkg::`` for packages in ``MODULE2PACKAGE``,
only paths shaped ``pkg::dir/file.py``, looks an editable install up under
site-packages and needs a model index. The scope is registered, and for this
package (only) the lookups answer from its configs: the source tree's
``configs/`` for an editable install or checkout, ``.mim/configs`` for a
wheel. ``scalablevit/`` is an alias of that folder, so the flat configs have
the ``dir/file.py`` shape mmengine requires.
"""
import os.path as osp

PACKAGE = 'mmscalablevit'


def _package_dir() -> str:
    return osp.dirname(osp.dirname(osp.abspath(__file__)))


CONFIG_ALIAS = 'scalablevit'


def config_root() -> str:
    """This package's config folder: the source tree's (always current) when
    the package runs from a checkout, else the copy shipped in the wheel."""
    package = _package_dir()
    source = osp.join(osp.dirname(package), 'configs')
    if osp.isfile(osp.join(osp.dirname(package), 'setup.py')) and \
            osp.isdir(source):
        return source
    return osp.join(package, '.mim', 'configs')


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


def register_config_scope() -> None:
    from mmengine.config import config as config_module
    from mmengine.config import utils as config_utils
    config_utils.MODULE2PACKAGE.setdefault(PACKAGE, PACKAGE)
    if getattr(config_module.get_installed_path, '_mmscalablevit', False):
        return
    installed_path = config_module.get_installed_path
    external_path = config_module._get_external_cfg_path
    external_base_path = config_module._get_external_cfg_base_path

    def get_installed_path(package: str) -> str:
        if package == PACKAGE:
            return _package_dir()
        return installed_path(package)

    def get_external_cfg_path(package_path: str, cfg_file: str) -> str:
        if package_path == _package_dir():
            return resolve_config(cfg_file)
        return external_path(package_path, cfg_file)

    def get_external_cfg_base_path(package_path: str, cfg_name: str) -> str:
        if package_path == _package_dir():
            return resolve_config(cfg_name)
        return external_base_path(package_path, cfg_name)

    get_installed_path._mmscalablevit = True
    config_module.get_installed_path = get_installed_path
    config_module._get_external_cfg_path = get_external_cfg_path
    config_module._get_external_cfg_base_path = get_external_cfg_base_path
