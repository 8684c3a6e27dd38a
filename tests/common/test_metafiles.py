"""model-index.yml and the metafiles list every shipped config once, in
mim's format; their figures are the counters' (tests/common/test_flops.py
counts a sample, ``tools/misc/model_zoo.py --check`` all) and the docs
tables are rendered from them."""
import glob
import importlib.util
import os.path as osp

import pytest
import yaml

from ..helpers import ROOT
from ..helpers.builders import PARAMS, POSE_PARAMS, load_config


def metafile_models():
    index = yaml.safe_load(open(osp.join(ROOT, 'model-index.yml')))
    models = []
    for path in index['Import']:
        meta = yaml.safe_load(open(osp.join(ROOT, path)))
        names = {c['Name'] for c in meta['Collections']}
        for model in meta['Models']:
            assert model['In Collection'] in names
            models.append(model)
    return models


def model_zoo_tool():
    spec = importlib.util.spec_from_file_location(
        'model_zoo', osp.join(ROOT, 'tools', 'misc', 'model_zoo.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_config_listed_once():
    listed = [m['Config'] for m in metafile_models()]
    shipped = sorted(
        osp.relpath(p, ROOT)
        for p in glob.glob(osp.join(ROOT, 'configs', '*.py')))
    assert sorted(listed) == shipped
    assert [m['Name'] for m in metafile_models()
            ] == [osp.splitext(osp.basename(c))[0] for c in listed]


@pytest.mark.parametrize('model', metafile_models(), ids=lambda m: m['Name'])
def test_metafile_entry_agrees_with_its_config(model):
    meta = model['Metadata']
    assert meta['Parameters'] == {**PARAMS, **POSE_PARAMS}[model['Name']]
    assert meta['FLOPs'] < meta['FLOPs with attention matmuls']
    cfg = load_config(model['Name'])
    # the metafile names the backbone the config builds
    assert cfg.model.backbone.type.split('.')[-1] in meta['Architecture']
    # published results exist for ScalableViT (not for pose) and for
    # ScopeViT-T only
    assert ('Results' in model) == ('scalablevit' in model['Name']
                                    and cfg.default_scope != 'mmpose'
                                    or model['Name'] == 'scopevit_t_in1k')
    if 'Epochs' in meta and cfg.default_scope in ('mmdet', 'mmpose'):
        assert cfg.train_cfg.max_epochs == meta['Epochs']
    if 'Iterations' in meta:
        assert cfg.train_cfg.max_iters == meta['Iterations']


def test_docs_tables_are_the_metafiles():
    """Every model-zoo table of docs/ is what tools/misc/model_zoo.py
    renders from the metafiles (run it with --render after editing one)."""
    tool = model_zoo_tool()
    pages = tool.render_docs(metafile_models())
    assert len(pages) >= 2
    for page, text in pages.items():
        assert text == open(page).read(), \
            f'{page}: run tools/misc/model_zoo.py --render'
