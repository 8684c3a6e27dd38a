"""model-index.yml and the metafiles list every shipped config once, in
mim's format, and their figures agree with the configs."""
import glob
import os.path as osp

import pytest
import yaml
from helpers.builders import build_model, count, load_config
from helpers import ROOT
from common.test_configs import PARAMS
from common.test_pose import POSE_PARAMS

ALL_PARAMS = {**PARAMS, **POSE_PARAMS}


def metafile_models():
    index = yaml.safe_load(open(osp.join(ROOT, 'model-index.yml')))
    models = []
    for path in index['Import']:
        meta = yaml.safe_load(open(osp.join(ROOT, path)))
        assert meta['Collections'] and meta['Models']
        names = {c['Name'] for c in meta['Collections']}
        for model in meta['Models']:
            assert model['In Collection'] in names
            models.append(model)
    return models


def test_every_config_listed_once():
    listed = [m['Config'] for m in metafile_models()]
    shipped = sorted(
        osp.relpath(p, ROOT)
        for p in glob.glob(osp.join(ROOT, 'configs', '*.py')))
    assert sorted(listed) == shipped
    assert [m['Name'] for m in metafile_models()
            ] == [osp.splitext(osp.basename(c))[0] for c in listed]


@pytest.mark.parametrize('model', metafile_models(), ids=lambda m: m['Name'])
def test_metafile_entry_is_consistent(model):
    for key in ('Name', 'Config', 'Metadata', 'In Collection'):
        assert key in model
    meta = model['Metadata']
    assert meta['Parameters'] == pytest.approx(
        ALL_PARAMS[model['Name']], rel=2e-4)
    assert meta['FLOPs'] > 0 and meta['Batch Size'] in (16, 32, 256, 1024)
    # the metafile names the backbone the config builds
    cfg_backbone = load_config(model['Name']).model.backbone.type.split('.')[-1]
    assert cfg_backbone in meta['Architecture']
    # published results exist for ScalableViT (not for pose) and for
    # ScopeViT-T only
    assert ('Results' in model) == (
        'scalablevit' in model['Name'] and 'topdown' not in model['Name']
        or model['Name'] == 'scopevit_t_in1k')
    for result in model.get('Results', []):
        assert result['Dataset'] in ('COCO', 'ADE20K', 'ImageNet-1k')
        assert all(0 < v < 100 for v in result['Metrics'].values())
    cfg = load_config(model['Name'])
    assert osp.isfile(osp.join(ROOT, model['Config']))
    if 'Epochs' in meta and cfg.default_scope in ('mmdet', 'mmpose'):
        assert cfg.train_cfg.max_epochs == meta['Epochs']
    if 'Iterations' in meta:
        assert cfg.train_cfg.max_iters == meta['Iterations']


def test_a_metafile_model_builds():
    cfg = load_config('retinanet_scalablevit_s_3x_ms')
    assert count(build_model(cfg)) == PARAMS['retinanet_scalablevit_s_3x_ms']
