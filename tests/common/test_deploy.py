"""Whole models exported through mmdeploy run in onnxruntime and agree with
PyTorch's predict on the same input: detectors with NMS (and masks),
segmentors, classifiers and top-down pose estimators, at the config's test
size and, for dynamic files, at an unaligned size; bad input ends in one
line and exit status 2, a disagreement in exit status 1.

Models are small and carry seeded random weights (``randomize``), which
give many detections of varied scores and boxes; trained quick-start Mask
R-CNNs are checked by a slow test.
"""
import importlib.util
import json
import os.path as osp

import numpy as np
import onnx
import pytest
import torch
from mmengine.config import Config

from mmscalablevit.deployment import whole_model

from ..helpers import ROOT
from ..helpers.runs import DET, QUICKSTART, SEG
from ..helpers.weights import randomize
from ..scalable_vit.fixtures import TINY_ARCH as SCALABLE_ARCH
from ..scope_vit.fixtures import TINY_ARCH as SCOPE_ARCH

CONFIGS = osp.join(ROOT, 'configs')
TOOL = osp.join(ROOT, 'tools', 'deployment', 'deploy.py')
ARCHS = dict(scalablevit=SCALABLE_ARCH, scopevit=SCOPE_ARCH)
CHANNELS = [16, 32, 48, 64]  # both tiny archs
# Detection inputs at the quick starts' scale
SMALL_DET_PIPELINE = """[
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(320, 224), keep_ratio=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor'))
]"""


def tiny_config(tmp_path, kind: str, backbone: str) -> str:
    """A config file over a shipped one with the tiny arch of
    ``backbone``."""
    arch = dict(_delete_=True, **ARCHS[backbone])
    size = 's' if backbone == 'scalablevit' else 't'
    cls = 'ScalableViT' if backbone == 'scalablevit' else 'ScopeViT'
    text = {
        'retinanet':
        f"""_base_ = ['{CONFIGS}/retinanet_{backbone}_{size}_1x.py']
model = dict(
    backbone=dict(arch={arch!r}, init_cfg=None),
    neck=dict(in_channels={CHANNELS}, out_channels=32),
    bbox_head=dict(num_classes=3, in_channels=32, feat_channels=32))
test_pipeline = {SMALL_DET_PIPELINE}
""",
        'upernet':
        f"""_base_ = ['{CONFIGS}/upernet_{backbone}_{size}_160k_ade20k.py']
model = dict(
    backbone=dict(arch={arch!r}, init_cfg=None),
    decode_head=dict(in_channels={CHANNELS}, channels=32, num_classes=4),
    auxiliary_head=dict(in_channels=48, channels=16, num_classes=4))
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(448, 256), keep_ratio=True),
    dict(type='PackSegInputs')
]
""",
        'classifier':
        f"""_base_ = ['{CONFIGS}/{backbone}_{size}_in1k.py']
model = dict(
    backbone=dict(arch={arch!r}, init_cfg=None),
    head=dict(in_channels=64, num_classes=10))
""",
        'pose':
        f"""default_scope = 'mmpose'
custom_imports = dict(imports=['mmscalablevit'], allow_failed_imports=False)
codec = dict(type='MSRAHeatmap', input_size=(192, 256),
             heatmap_size=(48, 64), sigma=2)
model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(type='mmscalablevit.{cls}', arch={ARCHS[backbone]!r},
                  out_indices=(3, )),
    head=dict(type='HeatmapHead', in_channels=64, out_channels=17,
              deconv_out_channels=(32, 32, 32), decoder=codec,
              loss=dict(type='KeypointMSELoss', use_target_weight=True)),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True))
test_dataloader = dict(dataset=dict(
    type='CocoDataset', data_mode='topdown', data_root='', ann_file='',
    pipeline=[dict(type='LoadImage'), dict(type='GetBBoxCenterScale'),
              dict(type='TopdownAffine', input_size=codec['input_size']),
              dict(type='PackPoseInputs')]))
""",
    }[kind]
    path = tmp_path / f'{kind}_{backbone}.py'
    path.write_text(text)
    return str(path)


def random_checkpoint(config: str, path, seed: int = 0) -> str:
    """The config's model with ``randomize``'s weights, saved as a training
    checkpoint. Box regression layers (``*_reg``) are scaled by 0.3: at
    full scale random deltas make slivers whose IoU no two float
    computations agree on; much smaller ones keep boxes on the anchor
    lattice, whose IoUs sit at NMS thresholds (0.5, 0.7) where rounding
    decides. Trained models have neither."""
    model = whole_model.build_model(Config.fromfile(config))
    randomize(model, seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.split('.')[-2].endswith('_reg'):
                param.mul_(0.3)
    torch.save(
        dict(state_dict=model.state_dict(), meta=dict(seed=seed)), str(path))
    return str(path)


def run_deploy(config, tmp_path, dynamic, seed=0, **kwargs) -> dict:
    checkpoint = random_checkpoint(config, tmp_path / 'model.pth', seed)
    return whole_model.deploy(
        config, checkpoint, str(tmp_path / 'work'), dynamic=dynamic, **kwargs)


def load_tool():
    spec = importlib.util.spec_from_file_location('deploy_tool', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def graph(path):
    model = onnx.load(path)
    dims = [
        d.dim_param or d.dim_value
        for d in model.graph.input[0].type.tensor_type.shape.dim
    ]
    return model, {node.op_type for node in model.graph.node}, dims


def assert_detections_agree(report, with_masks=False):
    assert report['ok'], whole_model.format_report(report)
    for check in report['checks']:
        # random weights: the per-image maximum of 100 detections
        assert check['num_pytorch'] == check['num_onnx'] == 100
        assert check['matched'] == 100
        assert check['max_score_diff'] <= 1e-4
        assert check['min_box_iou'] > 0.99
        outputs = check['outputs']
        assert outputs['dets'] == [1, 100, 5] and outputs['labels'] == [1, 100]
        if with_masks:
            assert outputs['masks'] == [1, 100, 28, 28]
            assert check['mean_mask_iou'] >= 0.99


# --------------------------------------------------------------- detection
def test_retinanet_exports_with_nms_and_agrees(tmp_path):
    """Box decoding and NMS are in the graph, in plain ONNX ops; the
    dynamic file agrees with PyTorch at the test size (224x320 after
    padding) and at 375x500."""
    report = run_deploy(
        tiny_config(tmp_path, 'retinanet', 'scalablevit'), tmp_path, True)
    assert [c['input_shape'] for c in report['checks']] == [[1, 3, 224, 320],
                                                            [1, 3, 375, 500]]
    assert_detections_agree(report)
    model, ops, dims = graph(report['onnx'])
    assert 'NonMaxSuppression' in ops and report['custom_ops'] == []
    assert dims == ['batch', 3, 'height', 'width']
    assert [o.name for o in model.graph.output] == ['dets', 'labels']


def test_mask_rcnn_command_writes_file_and_report(tmp_path, capsys):
    """tools/deployment/deploy.py on the ScopeViT quick-start Mask R-CNN:
    masks come out, RoIAlign is onnxruntime's own (opset 16), and the report
    records the agreement."""
    config = osp.join(QUICKSTART, 'mask_rcnn_scopevit_tiny_shapes.py')
    checkpoint = random_checkpoint(config, tmp_path / 'model.pth')
    work = tmp_path / 'work'
    code = load_tool().main(
        [config, checkpoint, '--work-dir',
         str(work), '--dynamic'])
    printed = capsys.readouterr().out
    assert code == 0, printed
    report = json.loads((work / 'report.json').read_text())
    assert (work / 'report.txt').read_text().strip() == printed.strip()
    assert_detections_agree(report, with_masks=True)
    _, ops, _ = graph(str(work / 'end2end.onnx'))
    assert {'RoiAlign', 'NonMaxSuppression'} <= ops
    assert report['opset'] == 16 and report['custom_ops'] == []
    assert 'OK: onnxruntime agrees with PyTorch' in printed


# ------------------------------------------------------------ segmentation
def test_semantic_fpn_agrees_on_every_pixel(tmp_path):
    """The class map of the dynamic file at the test size and at 375x500
    (unaligned: the head's x2 upsampling must follow the input)."""
    report = run_deploy(SEG, tmp_path, True)
    assert report['ok'], whole_model.format_report(report)
    for check, size in zip(report['checks'], ([256, 341], [375, 500])):
        assert check['outputs'] == dict(output=[1, 1, *size])
        assert check['pixel_agreement'] >= 0.999
    _, _, dims = graph(report['onnx'])
    assert dims == ['batch', 3, 'height', 'width']


# ---------------------------------------------------------- classification
def test_classifier_static_top5(tmp_path):
    report = run_deploy(
        tiny_config(tmp_path, 'classifier', 'scopevit'), tmp_path, False)
    assert report['ok'], whole_model.format_report(report)
    (check, ) = report['checks']
    assert check['outputs'] == dict(output=[1, 10])
    assert check['input_shape'] == [1, 3, 256, 256]
    assert check['pytorch_top'] == check['onnx_top']
    assert check['max_score_diff'] <= 1e-5
    _, _, dims = graph(report['onnx'])
    assert dims == [1, 3, 256, 256]


# -------------------------------------------------------------------- pose
def test_pose_heatmaps_decode_to_pytorchs_keypoints(tmp_path):
    """Heatmaps out; the head's codec decodes them to PyTorch's keypoints
    (no flip test on either side)."""
    report = run_deploy(
        tiny_config(tmp_path, 'pose', 'scalablevit'), tmp_path, True)
    assert report['ok'], whole_model.format_report(report)
    first, second = report['checks']
    assert first['outputs'] == dict(output=[1, 17, 64, 48])
    assert second['outputs'] == dict(output=[1, 17, 96, 128])
    for check in report['checks']:
        assert check['num_keypoints'] == 17
        assert check['max_distance'] <= 0.01
        assert check['max_score_diff'] <= 1e-4


# ----------------------------------------------------------- failures
def test_a_disagreement_exits_with_1(tmp_path, capsys, monkeypatch):
    config = tiny_config(tmp_path, 'classifier', 'scalablevit')
    checkpoint = random_checkpoint(config, tmp_path / 'model.pth')
    real = whole_model.run_onnx

    def shifted(session, inputs):
        outputs = real(session, inputs)
        return dict(output=outputs['output'] + np.float32(0.01))

    monkeypatch.setattr(whole_model, 'run_onnx', shifted)
    code = load_tool().main(
        [config, checkpoint, '--work-dir',
         str(tmp_path / 'work')])
    printed = capsys.readouterr().out
    assert code == 1
    assert 'EXCEEDS TOLERANCE' in printed and 'FAILED' in printed


def bad_input(argv, capsys):
    code = load_tool().main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    return err


def test_a_model_mmdeploy_cannot_export(tmp_path, capsys):
    """Sliding-window segmentation (mmdeploy exports whole-image inference
    only) and a config of no toolkit."""
    slide = tmp_path / 'slide.py'
    slide.write_text(f"_base_ = ['{SEG}']\nmodel = dict(test_cfg=dict("
                     "mode='slide', crop_size=(224, 224), stride=(160, "
                     '160)))\n')
    err = bad_input([str(slide), 'x.pth', '--work-dir', str(tmp_path)], capsys)
    assert "mode is 'slide'" in err and 'model.test_cfg.mode=whole' in err
    plain = tmp_path / 'plain.py'
    plain.write_text("model = dict(type='ResNet', depth=18)\n")
    err = bad_input([str(plain), 'x.pth', '--work-dir', str(tmp_path)], capsys)
    assert 'default_scope None has no mmdeploy export' in err


def test_a_checkpoint_that_does_not_fit(tmp_path, capsys):
    """The ScalableViT quick-start Mask R-CNN's weights for the ScopeViT
    one."""
    checkpoint = random_checkpoint(DET, tmp_path / 'scalablevit.pth')
    config = osp.join(QUICKSTART, 'mask_rcnn_scopevit_tiny_shapes.py')
    err = bad_input([config, checkpoint, '--work-dir', str(tmp_path)], capsys)
    assert 'does not fit the model of this config (MaskRCNN)' in err
    assert 'missing keys' in err and 'unexpected keys' in err
    err = bad_input(
        [config,
         str(tmp_path / 'none.pth'), '--work-dir',
         str(tmp_path)], capsys)
    assert 'does not exist' in err


def test_a_size_under_the_backbones_minimum(tmp_path, capsys):
    config = tiny_config(tmp_path, 'classifier', 'scopevit')
    checkpoint = random_checkpoint(config, tmp_path / 'model.pth')
    err = bad_input([
        config, checkpoint, '--work-dir',
        str(tmp_path), '--dynamic', '--shape', '24', '300'
    ], capsys)
    assert "Input 24x300 is under ScopeViT's minimum of 32x32" in err
    assert not (tmp_path / 'end2end.onnx').exists()


# ------------------------------------------------------ slow: the matrix
@pytest.mark.slow
@pytest.mark.parametrize('backbone', ['scalablevit', 'scopevit'])
@pytest.mark.parametrize('dynamic', [False, True], ids=['static', 'dynamic'])
@pytest.mark.parametrize('kind', ['retinanet', 'mask_rcnn'])
def test_detectors_of_both_backbones(kind, dynamic, backbone, tmp_path):
    config = tiny_config(tmp_path, kind, backbone) if kind == 'retinanet' \
        else osp.join(QUICKSTART, f'mask_rcnn_{backbone}_tiny_shapes.py')
    report = run_deploy(config, tmp_path, dynamic, seed=1)
    assert len(report['checks']) == 1 + dynamic
    assert_detections_agree(report, with_masks=kind == 'mask_rcnn')


@pytest.mark.slow
@pytest.mark.parametrize('backbone', ['scalablevit', 'scopevit'])
@pytest.mark.parametrize('kind', ['semfpn', 'upernet', 'classifier', 'pose'])
def test_other_tasks_of_both_backbones(kind, backbone, tmp_path):
    config = osp.join(QUICKSTART, f'semfpn_{backbone}_tiny_shapes.py') \
        if kind == 'semfpn' else tiny_config(tmp_path, kind, backbone)
    report = run_deploy(config, tmp_path, True, seed=1)
    assert report['ok'], whole_model.format_report(report)


@pytest.mark.slow
@pytest.mark.parametrize('backbone', ['scalablevit', 'scopevit'])
def test_trained_mask_rcnn_agrees(backbone, tiny_data, tmp_path):
    """The quick-start Mask R-CNN after one epoch on the tiny set, checked
    on a validation image: detections exist and agree."""
    from ..helpers.runs import det_options, train
    config = osp.join(QUICKSTART, f'mask_rcnn_{backbone}_tiny_shapes.py')
    train(config, tmp_path / 'train', det_options(tiny_data, epochs=1))
    report = whole_model.deploy(
        config,
        str(tmp_path / 'train' / 'epoch_1.pth'),
        str(tmp_path / 'work'),
        dynamic=True,
        image=osp.join(tiny_data, 'tiny_coco', 'val', '00000.jpg'))
    assert report['ok'], whole_model.format_report(report)
    assert all(check['matched'] >= 1 for check in report['checks'])


# -------------------------------------------------------------- benchmark
def test_benchmark_times_pytorch_and_onnxruntime(tmp_path, monkeypatch):
    """tools/analysis_tools/benchmark.py --deploy: both runtimes on the same
    input in one interleaved run, the ratio in the onnxruntime row. (No
    speed is asserted: timings on a shared CPU are noise.)"""
    monkeypatch.syspath_prepend(osp.join(ROOT, 'tools', 'analysis_tools'))
    import benchmark
    config = tiny_config(tmp_path, 'classifier', 'scalablevit')
    out = tmp_path / 'bench'
    threads = torch.get_num_threads()
    results = benchmark.main([
        '--models', '--deploy', config, '--shapes', '64x96:1', '--rounds', '2',
        '--repeats', '1', '--warmup', '1', '--threads', '1', '--out-dir',
        str(out)
    ])
    rows = {row['model']: row for row in results['rows']}
    eager = rows[f'deploy:{config} (pytorch)']
    ort = rows[f'deploy:{config} (onnxruntime)']
    assert eager['shape'] == ort['shape'] == '64x96'
    assert ort['onnxruntime_speedup'] == pytest.approx(eager['latency_ms'] /
                                                       ort['latency_ms'])
    assert 'onnxruntime_speedup' not in eager
    assert results['device'] == 'cpu (1 threads)'
    # --threads holds for the run only
    assert torch.get_num_threads() == threads
    assert (out / 'classifier_scalablevit_64x96.onnx').is_file()
    assert 'onnxruntime x eager |' in (out / 'benchmark.md').read_text()
