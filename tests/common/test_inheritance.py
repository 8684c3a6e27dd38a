"""Downstream projects inherit shipped configs with
`_base_ = ['mmscalablevit::scalablevit/<config>.py']`, from outside the
repository, after an editable and after a wheel install."""
import os
import os.path as osp
import shutil
import subprocess
import sys
import textwrap

import pytest

from ..helpers import ROOT

USER_DET = """
_base_ = ['mmscalablevit::scalablevit/mask_rcnn_scalablevit_s_3x_ms.py']
model = dict(
    backbone=dict(frozen_stages=1, init_cfg=None),
    roi_head=dict(
        bbox_head=dict(num_classes=3), mask_head=dict(num_classes=3)))
train_dataloader = dict(dataset=dict(data_root='my_data/'))
"""
USER_SEG = """
_base_ = ['mmscalablevit::scalablevit/upernet_scalablevit_s_160k_ade20k.py']
model = dict(
    backbone=dict(init_cfg=None),
    decode_head=dict(num_classes=5),
    auxiliary_head=dict(num_classes=5))
"""
# Run in the user's directory: read the config, check that no dict was given
# the plugin's scope, build the model and every pipeline.
CHECK = r"""
import json, sys
import mmscalablevit
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

def scopes(node, found):
    if isinstance(node, dict):
        # the plugin's scope is right only for the plugin's own modules
        if node.get('_scope_') == 'mmscalablevit' and not str(
                node.get('type')).startswith('mmscalablevit.'):
            found.append(node.get('type'))
        for v in node.values():
            scopes(v, found)
    elif isinstance(node, (list, tuple)):
        for v in node:
            scopes(v, found)
    return found

cfg = Config.fromfile(sys.argv[1])
init_default_scope(cfg.default_scope)
import importlib
registry = importlib.import_module(cfg.default_scope + '.registry')
model = registry.MODELS.build(cfg.model)
pipelines = [cfg.train_dataloader.dataset.pipeline,
             cfg.test_dataloader.dataset.pipeline]
if 'tta_pipeline' in cfg:
    pipelines.append(cfg.tta_pipeline)
for p in pipelines:
    Compose([registry.TRANSFORMS.build(t) for t in p])
print(json.dumps(dict(
    package=mmscalablevit.__file__,
    plugin_scoped=scopes(cfg.to_dict(), []),
    classes=getattr(model, 'roi_head', model).__class__.__name__,
    num_classes=(model.roi_head.bbox_head.num_classes
                 if hasattr(model, 'roi_head')
                 else model.decode_head.num_classes),
    frozen=not any(p.requires_grad
                   for p in model.backbone.patch_embeds[0].parameters()),
    data_root=cfg.train_dataloader.dataset.get('data_root'))))
"""


def run_user_project(tmp_path, env=None):
    import json
    project = tmp_path / 'my_project'
    project.mkdir()
    (project / 'my_det.py').write_text(textwrap.dedent(USER_DET))
    (project / 'my_seg.py').write_text(textwrap.dedent(USER_SEG))
    (project / 'check.py').write_text(CHECK)
    results = {}
    for name in ('my_det', 'my_seg'):
        proc = subprocess.run([sys.executable, 'check.py', f'{name}.py'],
                              cwd=project,
                              env=env,
                              capture_output=True,
                              text=True,
                              timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        results[name] = json.loads(proc.stdout.strip().splitlines()[-1])
    det, seg = results['my_det'], results['my_seg']
    assert det['plugin_scoped'] == [] and seg['plugin_scoped'] == []
    assert det['num_classes'] == 3 and det['frozen']
    assert det['data_root'] == 'my_data/'
    assert seg['num_classes'] == 5
    return det['package']


def test_editable_install(tmp_path):
    package = run_user_project(tmp_path)
    assert osp.realpath(package).startswith(osp.realpath(ROOT))


def test_wheel_install(tmp_path):
    """Build a wheel from a copy of the sources, install it into its own
    directory and inherit from there."""
    src = tmp_path / 'src'
    ignore = shutil.ignore_patterns('.git', 'work_dirs', 'data', '.mim',
                                    '__pycache__', '*.egg-info', 'build',
                                    'tests')
    shutil.copytree(ROOT, src, ignore=ignore)
    wheels = tmp_path / 'wheels'
    subprocess.run([
        sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps',
        '--no-build-isolation', '-w',
        str(wheels),
        str(src)
    ],
                   check=True,
                   capture_output=True,
                   timeout=600)
    (wheel, ) = wheels.glob('mmscalablevit-*.whl')
    site = tmp_path / 'site'
    subprocess.run([
        sys.executable, '-m', 'pip', 'install', '-q', '--no-deps', '--target',
        str(site),
        str(wheel)
    ],
                   check=True,
                   capture_output=True,
                   timeout=600)
    mim = site / 'mmscalablevit' / '.mim'
    for shipped in ('configs/_base_/schedules/det_3x_ms.py',
                    'configs/retinanet_scalablevit_s_1x.py',
                    'configs/metafiles/detection.yml', 'model-index.yml',
                    'tools/train.py', 'tools/dist_train.sh'):
        assert (mim / shipped).is_file(), shipped
    env = dict(os.environ, PYTHONPATH=str(site))
    package = run_user_project(tmp_path, env)
    assert osp.realpath(package).startswith(osp.realpath(site))


def shipped_configs():
    import glob
    root = osp.join(ROOT, 'configs')
    return sorted(
        osp.relpath(p, root)
        for p in glob.glob(osp.join(root, '**', '*.py'), recursive=True)
        if not osp.relpath(p, root).startswith(('_base_', 'metafiles',
                                                'deploy')))


def test_deploy_configs_inherit_through_the_plugin_scope(tmp_path):
    """mmdeploy's configs (not models) load through `mmscalablevit::`
    with their three parts and keep the settings of their bases."""
    import glob

    from mmengine.config import Config
    root = osp.join(ROOT, 'configs', 'deploy')
    names = sorted(osp.basename(p) for p in glob.glob(osp.join(root, '*.py')))
    assert len(names) == 10
    for name in names:
        user = tmp_path / name
        user.write_text(f"_base_ = ['mmscalablevit::deploy/{name}']\n")
        cfg = Config.fromfile(str(user))
        assert cfg.backend_config.type == 'onnxruntime'
        assert cfg.onnx_config.input_names == ['input']
        assert cfg.codebase_config.type in ('mmdet', 'mmseg', 'mmpretrain',
                                            'mmpose')
        dynamic = 'dynamic_axes' in cfg.onnx_config
        assert dynamic == name.endswith('_dynamic.py'), name


@pytest.mark.parametrize('rel', shipped_configs())
def test_every_shipped_config_inherits_cleanly(rel, tmp_path):
    """Through `mmscalablevit::`, no dict is left with the plugin's scope
    (it would be built in the wrong registry), the model builds and the
    pipelines compose."""
    import importlib

    from mmengine.config import Config
    from mmengine.dataset import Compose
    from mmengine.registry import init_default_scope
    user = tmp_path / 'user.py'
    user.write_text(f"_base_ = ['mmscalablevit::scalablevit/{rel}']\n")
    cfg = Config.fromfile(str(user))
    scoped = []

    def walk(node):
        if isinstance(node, dict):
            if node.get('_scope_') == 'mmscalablevit' and not str(
                    node.get('type')).startswith('mmscalablevit.'):
                scoped.append(node.get('type'))
            for v in node.values():
                walk(v)
        elif isinstance(node, (list, tuple)):
            for v in node:
                walk(v)

    walk(cfg.to_dict())
    assert scoped == []
    init_default_scope(cfg.default_scope)
    registry = importlib.import_module(cfg.default_scope + '.registry')
    cfg.model.backbone.init_cfg = None
    if cfg.get('data_preprocessor') and 'data_preprocessor' not in cfg.model:
        cfg.model.data_preprocessor = cfg.data_preprocessor
    registry.MODELS.build(cfg.model)
    pipelines = [
        cfg.train_dataloader.dataset.pipeline,
        cfg.test_dataloader.dataset.pipeline
    ] + ([cfg.tta_pipeline] if 'tta_pipeline' in cfg else [])
    for pipeline in pipelines:
        Compose([registry.TRANSFORMS.build(t) for t in pipeline])


def _load(tmp_path, base):
    from mmengine.config import Config
    user = tmp_path / 'user.py'
    user.write_text(f'_base_ = [{base!r}]\n')
    return Config.fromfile(str(user))


def test_the_names_users_guess_are_the_same_config(tmp_path):
    """`scalablevit/`, `scopevit/` or no folder in front: one file."""
    import mmscalablevit  # noqa: F401
    from mmscalablevit.utils.toolkit_glue import resolve_config
    for name in ('retinanet_scopevit_t_1x.py', 'quickstart/'
                 'semfpn_scalablevit_tiny_shapes.py',
                 '_base_/schedules/det_3x_ms.py'):
        paths = {
            resolve_config(prefix + name)
            for prefix in ('', 'scalablevit/', 'scopevit/')
        }
        assert paths == {osp.join(ROOT, 'configs', name)}
    cfg = _load(tmp_path, 'mmscalablevit::retinanet_scopevit_t_1x.py')
    assert cfg.model.backbone.type == 'mmscalablevit.ScopeViT'


def test_a_wrong_name_lists_the_configs_of_both_backbones(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        _load(tmp_path, 'mmscalablevit::scopevit/retinanet_scopvit_t_1x.py')
    message = str(err.value)
    assert 'Did you mean retinanet_scopevit_t_1x.py' in message
    for name in ('mask_rcnn_scalablevit_s_1x.py', 'scopevit_t_in1k.py',
                 'quickstart/semfpn_scopevit_tiny_shapes.py'):
        assert name in message


@pytest.mark.parametrize('name', ['../setup.py', 'scalablevit/../../x.py'])
def test_names_outside_the_configs_are_refused(name, tmp_path):
    with pytest.raises(
            ValueError, match="points outside the package's "
            r"configs \('..'\)"):
        _load(tmp_path, f'mmscalablevit::{name}')


def test_mmengine_still_looks_bases_up_where_the_package_answers():
    """``mmscalablevit::`` relies on mmengine resolving every ``_base_``
    through ``Config._get_cfg_path(cfg_path, filename)`` (mmengine 0.10.7):
    if that changes, this fails, not the users' configs."""
    import inspect

    from mmengine.config import Config

    import mmscalablevit  # noqa: F401
    lookup = Config.__dict__['_get_cfg_path']
    assert isinstance(lookup, staticmethod)
    assert getattr(lookup.__func__, '_mmscalablevit', False)
    assert list(inspect.signature(
        lookup.__func__).parameters) == ['cfg_path', 'filename']
    assert 'Config._get_cfg_path(' in inspect.getsource(Config._file2dict)
    # and it still answers mmengine's own packages
    path, scope = Config._get_cfg_path(
        'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py', __file__)
    assert scope == 'mmdet' and osp.isfile(path)


def test_missing_mim_links_are_made_again(tmp_path, monkeypatch):
    """After `git clean -xdf` a source tree has no .mim links; they are made
    again (mim reads them), or the message says how to restore them."""
    from mmscalablevit.utils import toolkit_glue
    source = tmp_path / 'checkout'
    (source / 'configs').mkdir(parents=True)
    (source / 'tools').mkdir()
    (source / 'model-index.yml').write_text('Import: []\n')
    (source / 'setup.py').write_text('')
    package = source / 'mmscalablevit'
    package.mkdir()
    toolkit_glue.restore_mim_links(str(package))
    for entry in ('configs', 'tools', 'model-index.yml'):
        link = package / '.mim' / entry
        assert link.is_symlink() and link.resolve() == source / entry
    (package / '.mim' / 'tools').unlink()

    def read_only(*args):
        raise PermissionError(13, 'Permission denied')

    monkeypatch.setattr(toolkit_glue.os, 'symlink', read_only)
    with pytest.warns(
            UserWarning,
            match='tools.* is missing and cannot be '
            r'made .*Permission denied.*: run tools/install.sh'):
        toolkit_glue.restore_mim_links(str(package))
