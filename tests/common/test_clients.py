"""The ecosystem's own clients, run as users run them: mim, the toolkits'
own scripts (from their installed .mim/tools), mmpretrain's name-based
APIs, and the toolkits' FLOP counters."""
import json
import os
import os.path as osp
import re
import subprocess
import sys
import textwrap

import pytest

from ..helpers import ROOT
from ..helpers.runs import DET, det_options

SITE = osp.dirname(osp.dirname(osp.abspath(__import__('mmdet').__file__)))


def toolkit_tool(toolkit, *parts):
    return osp.join(SITE, toolkit, '.mim', 'tools', *parts)


def run(args, cwd=None, timeout=900, env=None):
    proc = subprocess.run(
        args,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ, PYTHONWARNINGS='ignore', **(env or {})))
    assert proc.returncode == 0, (args, proc.stdout[-2000:],
                                  proc.stderr[-3000:])
    return proc.stdout + proc.stderr


def mim(*args, **kwargs):
    return run([sys.executable, '-m', 'mim', *args], **kwargs)


def test_mim_lists_and_searches_the_plugin(tmp_path):
    assert re.search(r'^mmscalablevit\s+\S+', mim('list', cwd=tmp_path), re.M)
    found = mim('search', 'mmscalablevit', cwd=tmp_path)
    assert 'retinanet_scalablevit_s_1x' in found
    for model, name in (('retinanet', 'retinanet_scalablevit_s_1x'),
                        ('mask r-cnn', 'mask_rcnn_scalablevit_s_1x'),
                        ('upernet', 'upernet_scalablevit_s_160k_ade20k')):
        found = mim('search', 'mmscalablevit', '--model', model, cwd=tmp_path)
        assert name in found, (model, found[-500:])


def test_mim_train_and_test_the_plugin(tiny_data, tmp_path):
    """`mim train/test mmscalablevit CONFIG` run the plugin's own tools."""
    work = tmp_path / 'work'
    options = det_options(tiny_data)
    mim('train',
        'mmscalablevit',
        DET,
        '--gpus',
        '0',
        '--work-dir',
        str(work),
        '--cfg-options',
        *options,
        cwd=tmp_path)
    assert (work / 'epoch_1.pth').is_file()
    out = mim(
        'test',
        'mmscalablevit',
        DET,
        '--checkpoint',
        str(work / 'epoch_1.pth'),
        '--gpus',
        '0',
        '--work-dir',
        str(work),
        '--cfg-options',
        *options,
        cwd=tmp_path)
    assert 'coco/bbox_mAP' in out


USER_DET = """
_base_ = ['mmscalablevit::quickstart/mask_rcnn_scalablevit_tiny_shapes.py']
train_cfg = dict(max_epochs=1, val_interval=1)
"""


def test_toolkit_scripts_inherit_plugin_configs(tiny_data, tmp_path):
    """A user's config inheriting `mmscalablevit::` trains with mmdet's own
    tools/train.py and with `mim train mmdet`, which never import the
    plugin before they parse the config (the startup hook does)."""
    user = tmp_path / 'my_det.py'
    user.write_text(textwrap.dedent(USER_DET))
    options = det_options(tiny_data)
    run([
        sys.executable,
        toolkit_tool('mmdet', 'train.py'),
        str(user), '--work-dir',
        str(tmp_path / 'a'), '--cfg-options'
    ] + options,
        cwd=tmp_path)
    assert (tmp_path / 'a' / 'epoch_1.pth').is_file()
    mim('train',
        'mmdet',
        str(user),
        '--gpus',
        '0',
        '--work-dir',
        str(tmp_path / 'b'),
        '--cfg-options',
        *options,
        cwd=tmp_path)
    assert (tmp_path / 'b' / 'epoch_1.pth').is_file()


def readme_snippet(marker: str) -> str:
    """The python block of the README that follows ``marker``."""
    text = open(osp.join(ROOT, 'README.md')).read()
    blocks = re.findall(r'```python\n(.*?)```', text, re.S)
    return next(block for block in blocks if marker in block)


def test_readme_own_project_example_trains(tiny_data, tmp_path):
    """The README's own-project config, as written, trains a few
    iterations on the tiny set laid out where it says."""
    project = tmp_path / 'my_project'
    (project / 'configs').mkdir(parents=True)
    import torch

    from mmscalablevit.models import ScalableViT

    from ..scalable_vit.fixtures import official_state_dict
    snippet = readme_snippet('# my_project/configs/my_det.py')
    (project / 'configs' / 'my_det.py').write_text(snippet)
    os.symlink(osp.join(tiny_data, 'tiny_coco'), project / 'data')
    (project / 'checkpoints').mkdir()  # the authors' layout, random weights
    torch.save({'model': official_state_dict(ScalableViT('s').state_dict())},
               project / 'checkpoints' / 'scalablevit_s.pth')
    small = '(320, 224)'  # a short run: small images, one epoch
    out = run([
        sys.executable,
        osp.join(ROOT, 'tools', 'train.py'), 'configs/my_det.py', '--work-dir',
        'work', '--cfg-options', 'train_cfg.max_epochs=1',
        'train_cfg.val_interval=1', f'train_pipeline.2.scale={small}',
        f'train_dataloader.dataset.pipeline.2.scale={small}',
        f'val_dataloader.dataset.pipeline.1.scale={small}',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False'
    ],
              cwd=project)
    assert 'ScalableViT: loaded 484/484 backbone keys' in out
    assert (project / 'work' / 'epoch_1.pth').is_file()
    assert 'coco/bbox_mAP' in out


MODELHUB = """
import json, sys
import mmpretrain
names = mmpretrain.list_models('*scalablevit*')
model = mmpretrain.get_model(names[0], pretrained=False)
from mmpretrain import ImageClassificationInferencer
inferencer = ImageClassificationInferencer(names[0], pretrained=False)
result = inferencer(sys.argv[1])[0]
print(json.dumps(dict(names=names, model=type(model.backbone).__name__,
                      params=sum(p.numel() for p in model.parameters()),
                      keys=sorted(result))))
"""


def test_mmpretrain_name_based_apis(tiny_data, tmp_path):
    """list_models / get_model / ImageClassificationInferencer by the
    metafile's names, in a fresh process that never imports the plugin
    itself."""
    script = tmp_path / 'hub.py'
    script.write_text(MODELHUB)
    image = osp.join(tiny_data, 'tiny_cls', 'a', '0.jpg')
    out = run([sys.executable, str(script), image], cwd=tmp_path)
    result = json.loads(out.strip().splitlines()[-1])
    assert set(result['names']) >= {
        'scalablevit_s_in1k', 'scalablevit_b_in1k', 'scalablevit_l_in1k'
    }
    assert result['model'] in ('ScalableViT', 'ScopeViT')
    assert {'pred_label', 'pred_score', 'pred_class'} <= set(result['keys'])


def _flops_of_our_tool(config, *shape):
    out = run([
        sys.executable,
        osp.join(ROOT, 'tools', 'analysis_tools', 'get_flops.py'), config,
        '--shape', *map(str, shape)
    ])
    return float(
        re.search(r'without attention matmuls.*?: ([\d.]+) G', out).group(1))


def test_mmpretrain_get_flops_agrees(tmp_path):
    """mmpretrain's own get_flops.py (jit-based, attention matmuls not
    counted) gives the package's paper-convention figure."""
    config = osp.join(ROOT, 'configs', 'scalablevit_s_in1k.py')
    out = run([
        sys.executable,
        toolkit_tool('mmpretrain', 'analysis_tools', 'get_flops.py'), config,
        '--shape', '224'
    ])
    theirs = float(re.search(r'Flops: ([\d.]+)G', out).group(1))
    assert theirs == pytest.approx(_flops_of_our_tool(config, 224), abs=0.01)


def test_mmdet_get_flops_agrees(tiny_data, tmp_path):
    """mmdet's own get_flops.py on the first val image (resized and padded
    by the config's pipeline) gives the package's figure at that size."""
    config = osp.join(ROOT, 'configs', 'retinanet_scalablevit_s_1x.py')
    coco = osp.join(tiny_data, 'tiny_coco') + '/'
    out = run([
        sys.executable,
        toolkit_tool('mmdet', 'analysis_tools',
                     'get_flops.py'), config, '--num-images', '1',
        '--cfg-options', f'val_dataloader.dataset.data_root={coco}',
        'val_dataloader.dataset.ann_file=annotations/instances_val.json',
        'val_dataloader.dataset.data_prefix.img=val/',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
        'model.backbone.init_cfg=None'
    ])
    h, w = map(int, re.search(r'Input shape: \((\d+), (\d+)\)', out).groups())
    theirs = float(re.search(r'Flops: ([\d.]+)T', out).group(1)) * 1000
    assert theirs == pytest.approx(_flops_of_our_tool(config, h, w), rel=0.005)


RELEASED_SCOPEVIT_T = ('https://github.com/xuesongnie/ScopeViT/releases/'
                       'download/v1.0.0/scopevit_tiny.pth')


def test_get_model_pretrained_loads_the_authors_weights_converted(
        file_server, tmp_path, monkeypatch):
    """`get_model('scopevit_t_in1k', pretrained=True)` downloads the
    metafile's Weights (the authors' release; here a file in their layout
    served locally) and loads it converted: every weight of the classifier,
    head included."""
    import torch
    from mmpretrain import get_model
    from mmpretrain.apis.model import ModelHub

    from ..helpers.weights import randomize
    from ..scope_vit.fixtures import to_official
    assert ModelHub.get('scopevit_t_in1k').weights == RELEASED_SCOPEVIT_T
    root, address = file_server
    for var in ('http_proxy', 'HTTP_PROXY', 'all_proxy', 'ALL_PROXY'):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv('no_proxy', '127.0.0.1')
    monkeypatch.setattr(torch.hub, '_hub_dir', str(tmp_path / 'hub'))

    released = randomize(get_model('scopevit_t_in1k')).state_dict()
    authors = to_official({
        k[len('backbone.'):]: v
        for k, v in released.items() if k.startswith('backbone.')
    })
    authors.update({
        k.replace('head.fc.', 'head.'): v
        for k, v in released.items() if k.startswith('head.')
    })
    torch.save({
        'state_dict': authors,
        'epoch': 299
    }, root / 'scopevit_tiny.pth')
    model = get_model(
        'scopevit_t_in1k',
        pretrained=True,
        url_mapping=(r'https://github.com/.*/', address + '/'))
    loaded = model.state_dict()
    assert list(loaded) == list(released)
    assert all(torch.equal(loaded[k], v) for k, v in released.items())
    # cached once, under the URL's hash and the file name
    cached = (tmp_path / 'hub' / 'checkpoints').iterdir()
    assert [p.name.split('-', 1)[1] for p in cached] == ['scopevit_tiny.pth']
