"""Top-down pose estimation with mmpose: the shipped configs hold the
ScopeViT authors' recipe (their mmpose 0.x files, resolved), build in mmpose
and run loss and flip-test prediction at their input sizes, the backbones
and the checked dataset are in mmpose's registries, the toolkit's own
scripts train and test on the tiny keypoints set, and bad input gets a clear
error or the documented handling."""
import copy
import inspect
import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate

from mmscalablevit.checkpoint import SCHEME

from ..helpers import ROOT
from ..helpers.backbones import BACKBONES
from ..helpers.builders import POSE_PARAMS, build_model, count, load_config
from ..helpers.runs import POSE, evaluate, pose_options, train

SIZES = ('256x192', '384x288')
CONFIGS = [
    f'topdown_scopevit_{v}_coco_{s}' for v in ('xt', 't', 's') for s in SIZES
] + ['topdown_scalablevit_s_coco_256x192']

# The authors' pose configs (mmpose 0.x), resolved through their _base_
# (the reference notes "Pose" section): per variant the backbone, its drop
# path and the head's input channels; per size image and heatmap (W, H).
AUTHORS_VARIANTS = {
    'xt': dict(arch='xt', drop_path_rate=0.1, in_channels=256),
    't': dict(arch='t', drop_path_rate=0.15, in_channels=256),
    's': dict(arch='s', drop_path_rate=0.2, in_channels=512),
}
AUTHORS_SIZES = {
    '256x192': dict(image_size=(192, 256), heatmap_size=(48, 64)),
    '384x288': dict(image_size=(288, 384), heatmap_size=(72, 96)),
}
RELEASED_T = ('https://github.com/xuesongnie/ScopeViT/releases/download/'
              'v1.0.0/scopevit_tiny.pth')


def _effective(cfg_dict, cls):
    """A config dict with the defaults of the class it builds filled in."""
    defaults = {
        k: p.default
        for k, p in inspect.signature(cls.__init__).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    return {**defaults, **cfg_dict}


def _steps(pipeline):
    return {step['type']: step for step in pipeline}


@pytest.mark.parametrize('name', CONFIGS[:6])
def test_configs_hold_the_authors_recipe(name):
    from mmengine.optim import AmpOptimWrapper
    from mmpose.codecs import MSRAHeatmap
    from mmpose.datasets.transforms import (RandomBBoxTransform, RandomFlip,
                                            RandomHalfBody)
    from mmpose.evaluation import CocoMetric
    from mmpose.models.heads import HeatmapHead
    variant, size = name.split('_')[2], name.split('_')[-1]
    authors = {**AUTHORS_VARIANTS[variant], **AUTHORS_SIZES[size]}
    cfg = load_config(name, pretrained=True)
    model = cfg.model

    # model: TopDown -> TopdownPoseEstimator, the backbone's last stage
    assert cfg.default_scope == 'mmpose'
    assert model.type == 'TopdownPoseEstimator'
    backbone = model.backbone
    assert backbone.type == 'mmscalablevit.ScopeViT'
    assert backbone.arch == authors['arch']
    assert backbone.drop_path_rate == authors['drop_path_rate']
    assert tuple(backbone.out_indices) == (3, )
    # pretrained="" in their files: the released T weights, else a path
    assert backbone.init_cfg.type == 'Pretrained'
    assert (backbone.init_cfg.checkpoint == RELEASED_T) == (variant == 't')
    # TopdownHeatmapSimpleHead(in_index=3, 17 out, 3 deconvs of 256, k 4)
    head = _effective(model.head, HeatmapHead)
    assert head['type'] == 'HeatmapHead'
    assert head['in_channels'] == authors['in_channels']
    assert head['out_channels'] == 17
    assert tuple(head['deconv_out_channels']) == (256, 256, 256)
    assert tuple(head['deconv_kernel_sizes']) == (4, 4, 4)
    assert head['conv_out_channels'] is None
    assert head['final_layer'] == dict(kernel_size=1)
    assert head['loss'] == dict(type='KeypointMSELoss', use_target_weight=True)
    # flip_test, shift_heatmap; post_process 'default' (no DARK), kernel 11
    assert model.test_cfg == dict(
        flip_test=True, flip_mode='heatmap', shift_heatmap=True)
    codec = _effective(cfg.codec, MSRAHeatmap)
    assert codec['type'] == 'MSRAHeatmap'
    assert tuple(codec['input_size']) == authors['image_size']
    assert tuple(codec['heatmap_size']) == authors['heatmap_size']
    assert codec['sigma'] == 2 and codec['unbiased'] is False
    assert codec['blur_kernel_size'] == 11
    assert model.head.decoder == cfg.codec
    pre = model.data_preprocessor
    assert pre.mean == [123.675, 116.28, 103.53]
    assert pre.std == [58.395, 57.12, 57.375] and pre.bgr_to_rgb

    # data: center/scale (padding 1.25), shift .16 (p .3), flip .5, half
    # body (> 8 joints, p .3), scale .5 / rotation 40 (p .6), affine,
    # Gaussian targets; test: center/scale, affine
    assert cfg.train_pipeline == cfg.train_dataloader.dataset.pipeline
    assert cfg.val_pipeline == cfg.test_dataloader.dataset.pipeline
    train_steps = _steps(cfg.train_dataloader.dataset.pipeline)
    assert list(train_steps) == [
        'LoadImage', 'GetBBoxCenterScale', 'RandomFlip', 'RandomHalfBody',
        'RandomBBoxTransform', 'TopdownAffine', 'GenerateTarget',
        'PackPoseInputs'
    ]
    assert train_steps['GetBBoxCenterScale']['padding'] == 1.25
    flip = _effective(train_steps['RandomFlip'], RandomFlip)
    assert flip['prob'] == 0.5 and flip['direction'] == 'horizontal'
    half = _effective(train_steps['RandomHalfBody'], RandomHalfBody)
    assert half['min_total_keypoints'] == 9 and half['prob'] == 0.3
    bbox = _effective(train_steps['RandomBBoxTransform'], RandomBBoxTransform)
    assert (bbox['shift_factor'], bbox['shift_prob']) == (0.16, 0.3)
    assert tuple(bbox['scale_factor']) == (0.5, 1.5)  # 1 -+ 0.5
    assert bbox['scale_prob'] == 1.0
    assert (bbox['rotate_factor'], bbox['rotate_prob']) == (80., 0.6)
    assert train_steps['GenerateTarget']['encoder'] == cfg.codec
    val_steps = _steps(cfg.val_dataloader.dataset.pipeline)
    assert list(val_steps) == [
        'LoadImage', 'GetBBoxCenterScale', 'TopdownAffine', 'PackPoseInputs'
    ]
    for steps in (train_steps, val_steps):
        assert tuple(steps['TopdownAffine']['input_size']) == \
            authors['image_size']
        assert steps['TopdownAffine'].get('use_udp', False) is False

    # loaders: 32 images per GPU, 2 workers; detected person boxes
    # (use_gt_bbox False, det_bbox_thr 0) for val and test
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].batch_size == 32 and cfg[loader].num_workers == 2
        assert cfg[loader].dataset.type == 'mmscalablevit.CheckedCocoDataset'
        assert cfg[loader].dataset.data_mode == 'topdown'
    assert 'bbox_file' not in cfg.train_dataloader.dataset
    for loader in ('val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        assert dataset.bbox_file.endswith(
            'COCO_val2017_detections_AP_H_56_person.json')
        assert dataset.filter_cfg == dict(bbox_score_thr=0.)
    # oks_thr 0.9, vis_thr 0.2, OKS NMS (soft_nms False)
    metric = _effective(cfg.val_evaluator, CocoMetric)
    assert metric['type'] == 'CocoMetric'
    assert metric['nms_mode'] == 'oks_nms' and metric['nms_thr'] == 0.9
    assert metric['keypoint_score_thr'] == 0.2
    assert metric['score_mode'] == 'bbox_keypoint'

    # Adam lr 1e-3, no weight decay, no clipping; fp16 (dynamic loss
    # scale) for S 384x288 only
    optim = cfg.optim_wrapper
    assert optim.optimizer.type == 'Adam' and optim.optimizer.lr == 1e-3
    assert optim.optimizer.get('weight_decay', 0) == 0
    assert 'clip_grad' not in optim and 'paramwise_cfg' not in optim
    fp16 = name == 'topdown_scopevit_s_coco_384x288'
    assert (optim.get('type') == 'AmpOptimWrapper') == fp16
    if fp16:
        assert _effective(optim, AmpOptimWrapper)['loss_scale'] == 'dynamic'
    # warm-up 500 iterations from 0.001, steps at 170 and 200, 210 epochs
    warmup, steps = cfg.param_scheduler
    assert (warmup.type, warmup.start_factor, warmup.by_epoch) == \
        ('LinearLR', 0.001, False)
    assert (warmup.begin, warmup.end) == (0, 500)
    assert (steps.type, steps.milestones, steps.gamma) == \
        ('MultiStepLR', [170, 200], 0.1)
    assert steps.by_epoch and steps.end == 210
    assert cfg.train_cfg.max_epochs == 210
    # evaluation every 10 epochs, best AP kept; checkpoint every 10, log 50
    assert cfg.train_cfg.val_interval == 10
    checkpoint = cfg.default_hooks.checkpoint
    assert checkpoint.interval == 10
    assert (checkpoint.save_best, checkpoint.rule) == ('coco/AP', 'greater')
    assert cfg.default_hooks.logger.interval == 50
    assert cfg.env_cfg.mp_cfg == dict(
        mp_start_method='fork', opencv_num_threads=0)
    # the plugin's runtime, mmpose's own hooks kept
    assert cfg.custom_imports.imports == ['mmscalablevit']
    assert [h.type for h in cfg.custom_hooks
            ] == ['SyncBuffersHook', 'mmscalablevit.ExactResumeHook']


def test_scalablevit_config_is_the_recipe_with_scalablevit_s():
    ours = load_config('topdown_scalablevit_s_coco_256x192').to_dict()
    theirs = load_config('topdown_scopevit_t_coco_256x192').to_dict()
    backbone, head = ours['model'].pop('backbone'), ours['model']['head']
    theirs['model'].pop('backbone')
    assert backbone['type'] == 'mmscalablevit.ScalableViT'
    assert backbone['arch'] == 's' and tuple(backbone['out_indices']) == (3, )
    assert head.pop('in_channels') == 512
    theirs['model']['head'].pop('in_channels')
    assert ours == theirs


def _tiny_pose(data_root):
    return osp.join(data_root, 'tiny_pose') + '/'


def pose_dataset(cfg, tiny_root, split='train', **overrides):
    """The config's dataset (and pipeline) over the tiny keypoints set; val
    and test use its detector's boxes."""
    from mmpose.registry import DATASETS
    root = _tiny_pose(tiny_root)
    loader = 'train_dataloader' if split == 'train' else 'val_dataloader'
    dataset = copy.deepcopy(cfg[loader].dataset)
    dataset.update(
        data_root=root,
        ann_file=f'annotations/person_keypoints_{split}.json',
        data_prefix=dict(img=f'{split}/'))
    if split != 'train':
        dataset.bbox_file = \
            f'{root}person_detection_results/detections_{split}.json'
    dataset.update(overrides)
    return DATASETS.build(dataset)


def _tiny_backbone(cfg):
    """The config with a tiny backbone of its family and a narrow head: the
    input size, codec, head layout and pipelines are the config's."""
    family = cfg.model.backbone.type.split('.')[-1]
    arch = dict(BACKBONES[family].tiny)
    small = copy.deepcopy(cfg)
    small.model.backbone.arch = arch
    small.model.backbone.init_cfg = None
    small.model.head.in_channels = arch['embed_dims'][-1]
    small.model.head.deconv_out_channels = (16, 16, 16)
    return small


@pytest.mark.parametrize('name', CONFIGS)
def test_configs_build_in_mmpose(name):
    """Each config's model, as mmpose builds it: the zoo's parameter count
    and the SimpleBaseline head on the backbone's last stage."""
    from torch import nn
    cfg = load_config(name)
    model = build_model(cfg)
    assert count(model) == POSE_PARAMS[name]
    deconvs = [
        m for m in model.head.deconv_layers
        if isinstance(m, nn.ConvTranspose2d)
    ]
    assert [(d.in_channels, d.out_channels, d.kernel_size, d.stride)
            for d in deconvs] == [(cfg.model.head.in_channels, 256, (4, 4),
                                   (2, 2))] + [(256, 256, (4, 4), (2, 2))] * 2
    assert model.head.final_layer.out_channels == 17
    assert model.backbone.out_indices == (3, )


# One config per backbone family and input size (the variants of a family
# differ in the backbone only, see test_configs_hold_the_authors_recipe);
# S 384x288 is the mixed-precision one.
@pytest.mark.parametrize('name', [
    'topdown_scopevit_t_coco_256x192', 'topdown_scopevit_s_coco_384x288',
    'topdown_scalablevit_s_coco_256x192'
])
def test_configs_train_and_flip_test_at_their_input_sizes(name, tiny_data):
    """With a tiny backbone of its family in place, a config trains a step
    on samples of its own train pipeline (inputs and heatmap targets at its
    sizes: 64x48 or 96x72) through its optimizer wrapper, and predicts with
    flip test on the detector's boxes, keypoints in image coordinates."""
    from mmengine.optim import build_optim_wrapper
    cfg = load_config(name)
    small = _tiny_backbone(cfg)
    model = build_model(small)
    model.init_weights()
    (w, h), (hw, hh) = cfg.codec.input_size, cfg.codec.heatmap_size
    assert (w, h) == (4 * hw, 4 * hh)
    train_set = pose_dataset(cfg, tiny_data)
    data = pseudo_collate([train_set[i] for i in range(2)])
    assert [tuple(x.shape) for x in data['inputs']] == [(3, h, w)] * 2
    assert [tuple(s.gt_fields.heatmaps.shape)
            for s in data['data_samples']] == [(17, hh, hw)] * 2
    if small.optim_wrapper.get('type') == 'AmpOptimWrapper' and \
            not torch.cuda.is_available():
        with pytest.raises(AssertionError, match='gpu'):
            build_optim_wrapper(model, copy.deepcopy(small.optim_wrapper))
        small.optim_wrapper.type = 'OptimWrapper'  # the documented CPU run
    optim_wrapper = build_optim_wrapper(model,
                                        copy.deepcopy(small.optim_wrapper))
    model.train()
    inputs = model.data_preprocessor(data, True)
    with optim_wrapper.optim_context(model):
        heatmaps = model.head(model.extract_feat(inputs['inputs']))
        losses = model(**inputs, mode='loss')
    assert tuple(heatmaps.shape) == (2, 17, hh, hw)
    assert torch.isfinite(losses['loss_kpt'])
    first = next(model.backbone.parameters())
    before = first.detach().clone()
    optim_wrapper.update_params(losses['loss_kpt'])
    assert not torch.equal(before, first)

    model.eval()
    val_set = pose_dataset(cfg, tiny_data, 'val')
    sample = val_set[0]
    assert model.test_cfg.flip_test
    with torch.no_grad():
        (pred, ) = model.test_step(pseudo_collate([sample]))
    keypoints = pred.pred_instances.keypoints
    assert keypoints.shape == (1, 17, 2)
    assert pred.pred_instances.keypoint_scores.shape == (1, 17)
    # decoded into the image: around the detected box
    x0, y0, x1, y1 = sample['data_samples'].gt_instances.bboxes[0]
    pad = max(x1 - x0, y1 - y0)
    assert np.all(keypoints >= [x0 - pad, y0 - pad])
    assert np.all(keypoints <= [x1 + pad, y1 + pad])


@pytest.mark.parametrize('name', [
    'topdown_scopevit_t_coco_256x192',
    pytest.param('topdown_scopevit_xt_coco_384x288', marks=pytest.mark.slow)
])
def test_released_sizes_run_with_the_real_backbones(name, tiny_data):
    """The real backbones at the authors' input sizes, on which their code
    raised: a training step (one image) in which every parameter gets a
    gradient (the last stage 8x6 / 12x9) and a flip-test prediction."""
    from .test_configs import released_scopevit_runs
    cfg = load_config(name)
    w, h = cfg.codec.input_size
    assert not released_scopevit_runs(h, w)
    model = build_model(cfg)
    model.init_weights()
    train_set = pose_dataset(cfg, tiny_data)
    inputs = model.data_preprocessor(pseudo_collate([train_set[0]]), True)
    model.train()
    feats = model.extract_feat(inputs['inputs'])
    assert tuple(feats[-1].shape) == (1, cfg.model.head.in_channels, h // 32,
                                      w // 32)
    losses = model(**inputs, mode='loss')
    losses['loss_kpt'].backward()
    assert not [n for n, p in model.named_parameters() if p.grad is None]
    model.eval()
    val_set = pose_dataset(cfg, tiny_data, 'val')
    with torch.no_grad():
        (pred, ) = model.test_step(pseudo_collate([val_set[0]]))
    assert pred.pred_instances.keypoints.shape == (1, 17, 2)


def test_registries():
    """`type='ScopeViT'` / `'ScalableViT'` under default_scope mmpose, with
    or without the plugin's scope; the checked dataset is a CocoDataset."""
    from mmengine.registry import init_default_scope
    from mmpose.datasets import CocoDataset
    from mmpose.registry import DATASETS, MODELS
    init_default_scope('mmpose')
    for name, backbone in BACKBONES.items():
        for key in (name, f'mmscalablevit.{name}'):
            built = MODELS.build(dict(type=key, arch=dict(backbone.tiny)))
            assert type(built) is backbone.cls
    assert issubclass(
        DATASETS.get('mmscalablevit.CheckedCocoDataset'), CocoDataset)


QUICKSTART_CFG = 'quickstart/topdown_scopevit_tiny_people'


@pytest.fixture(scope='module')
def trained(tiny_data, tmp_path_factory):
    """One epoch of the quick-start model on the tiny set, through
    tools/train.py (mmpose's own script): the work dir and the runner."""
    work = tmp_path_factory.mktemp('pose')
    return work, train(POSE, work, pose_options(tiny_data))


def test_train_then_test_through_mmposes_scripts(trained, tiny_data, tmp_path):
    """The test tool reloads the checkpoint and reproduces the validation
    at the end of training; --dump keeps one prediction per detected box;
    --show-dir draws each box's keypoints on its image."""
    import cv2
    import mmengine
    work, runner = trained
    train_set = pose_dataset(load_config(QUICKSTART_CFG), tiny_data)
    assert runner.iter == -(-len(train_set) // 4)  # 1 epoch, batch 4
    validated = runner.message_hub.get_scalar('val/coco/AP').current()
    shown, dump = tmp_path / 'shown', tmp_path / 'predictions.pkl'
    # --dump makes the test evaluator a list (CocoMetric, DumpResults)
    options = [
        o.replace('test_evaluator.', 'test_evaluator.0.')
        for o in pose_options(tiny_data)
    ] + ['default_hooks.visualization.kpt_thr=0.']  # draw every keypoint
    metrics = evaluate(POSE, work / 'epoch_1.pth', work, options, '--show-dir',
                       str(shown), '--dump', str(dump))
    assert metrics['coco/AP'] == validated
    assert {'coco/AP .5', 'coco/AR'} <= set(metrics)
    root = _tiny_pose(tiny_data)
    with open(f'{root}person_detection_results/detections_val.json') as f:
        boxes = json.load(f)
    predictions = mmengine.load(str(dump))
    assert len(predictions) == len(boxes)
    assert sorted(p['img_id'] for p in predictions) == sorted(b['image_id']
                                                              for b in boxes)
    # one drawing per box: <image>_<k>.jpg, k counting that image's boxes
    drawn, seen = 0, {}
    for pred in predictions:
        stem = osp.splitext(osp.basename(pred['img_path']))[0]
        k = seen[stem] = seen.get(stem, -1) + 1
        image = cv2.imread(pred['img_path']).astype(int)
        painted = cv2.imread(str(shown / f'{stem}_{k}.jpg')).astype(int)
        h, w = image.shape[:2]
        for x, y in np.round(pred['pred_instances']['keypoints'][0]):
            if 2 <= x < w - 2 and 2 <= y < h - 2:
                x, y = int(x), int(y)
                patch = np.abs(painted - image)[y - 1:y + 2, x - 1:x + 2]
                drawn += patch.mean() > 40
    assert drawn > 0.8 * sum(1 for p in predictions
                             for x, y in p['pred_instances']['keypoints'][0]
                             if 0 <= x and 0 <= y)


def test_mmpose_inferencer(trained, tiny_data, tmp_path, monkeypatch):
    """MMPoseInferencer(pose2d=<config>, pose2d_weights=<checkpoint>, read
    by the package's reader through its prefix) on an image: the config's
    dataset (COCO body keypoints) gives it mmpose's person detector (a
    stand-in that returns two boxes here, the real one is downloaded), one
    pose per box, drawn into vis_out_dir."""
    import mmpose.apis.inferencers.base_mmpose_inferencer as base
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    from mmpose.apis import MMPoseInferencer
    work, _ = trained
    boxes = torch.tensor([[20., 30., 110., 200.], [100., 40., 180., 190.]])

    class StandInDetector:
        requested = {}

        def __init__(self, model, weights, **kwargs):
            StandInDetector.requested = dict(model=model, weights=weights)

        def __call__(self, inputs, **kwargs):
            sample = DetDataSample()
            sample.pred_instances = InstanceData(
                bboxes=boxes,
                scores=torch.ones(2),
                labels=torch.zeros(2, dtype=torch.long))
            return dict(predictions=[sample])

    monkeypatch.setattr(base, 'DetInferencer', StandInDetector)
    inferencer = MMPoseInferencer(
        pose2d=POSE,
        pose2d_weights=SCHEME + str(work / 'epoch_1.pth'),
        device='cpu')
    assert StandInDetector.requested['model'].endswith(
        'rtmdet_m_640-8xb32_coco-person.py')
    image = osp.join(_tiny_pose(tiny_data), 'val', '00000.jpg')
    (result, ) = list(inferencer(image, vis_out_dir=str(tmp_path / 'vis')))
    (people, ) = result['predictions']
    assert len(people) == 2
    for person in people:
        assert np.array(person['keypoints']).shape == (17, 2)
        assert len(person['keypoint_scores']) == 17
    assert sorted(p['bbox'][0] for p in people) == sorted(boxes.tolist())
    assert (tmp_path / 'vis' / '00000.jpg').is_file()


def test_get_flops_counts_pose_models_at_their_input_size(capsys):
    """get_flops.py takes a pose config's input size from its codec and
    counts the backbone and the head: the deconvolutions and the final conv
    (their multiply-adds written out here), and the head's BatchNorms."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'get_flops', osp.join(ROOT, 'tools', 'analysis_tools', 'get_flops.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    result = tool.main(
        [osp.join(ROOT, 'configs', 'topdown_scopevit_xt_coco_256x192.py')])
    assert 'Input shape: 3 x 256 x 192' in capsys.readouterr().out
    # 4x4 transposed convs on 8x6, 16x12, 32x24 maps; 1x1 conv to 17
    convs = 16 * 256 * 256 * (8 * 6 + 16 * 12 + 32 * 24) + 256 * 17 * 64 * 48
    head = result['total'] - result['backbone']
    assert convs < head < convs * 1.002


def _rewrite(tiny_data, tmp_path, split, edit):
    """The tiny set's keypoint file of ``split`` after ``edit(json)``."""
    with open(f'{_tiny_pose(tiny_data)}annotations/'
              f'person_keypoints_{split}.json') as f:
        data = json.load(f)
    edit(data)
    path = tmp_path / f'edited_{split}.json'
    path.write_text(json.dumps(data))
    return str(path)


def _drop_keypoints(data):
    for ann in data['annotations']:
        del ann['keypoints'], ann['num_keypoints']


def test_keypoint_file_without_keypoints(tiny_data, tmp_path):
    """A json without keypoints (a detection file) is refused by name when
    the dataset is built, for training and for testing on detected boxes
    (an image list without annotations is a test set); mmpose's own dataset
    fails inside numpy."""
    from mmpose.registry import DATASETS
    cfg = load_config(QUICKSTART_CFG)
    for split in ('train', 'val'):
        path = _rewrite(tiny_data, tmp_path, split, _drop_keypoints)
        with pytest.raises(
                ValueError, match='no annotation with "keypoints"') as error:
            pose_dataset(cfg, tiny_data, split, ann_file=path)
        assert path in str(error.value) and 'person_keypoints' in str(
            error.value)
    # an image list (as COCO test-dev's) with detected boxes: accepted
    images_only = _rewrite(tiny_data, tmp_path, 'val',
                           lambda data: data.pop('annotations'))
    assert len(pose_dataset(cfg, tiny_data, 'val', ann_file=images_only)) > 0
    train = copy.deepcopy(cfg.train_dataloader.dataset)
    train.update(
        type='CocoDataset',
        ann_file=_rewrite(tiny_data, tmp_path, 'train', _drop_keypoints),
        data_root=None)
    with pytest.raises(ValueError, match='concatenate'):
        DATASETS.build(train)


def test_wrong_keypoint_count(tiny_data, tmp_path):
    """An annotation with 14 keypoints where the dataset has 17 is refused
    with its id and both counts (mmpose would read 14 keypoints and fail
    later in a flip or the loss)."""

    def cut(data):
        data['annotations'][2]['keypoints'] = \
            data['annotations'][2]['keypoints'][:42]

    cfg = load_config(QUICKSTART_CFG)
    for split in ('train', 'val'):
        path = _rewrite(tiny_data, tmp_path, split, cut)
        with pytest.raises(
                ValueError, match='annotation 3 has 42 numbers') as error:
            pose_dataset(cfg, tiny_data, split, ann_file=path)
        assert 'coco has 17 keypoints, i.e. 51 numbers' in str(error.value)


def test_boxes_outside_the_image(tiny_data, tmp_path):
    """A ground-truth box outside its image is skipped (mmpose clips boxes
    to the image); a detected box outside is cropped from zero padding: the
    model predicts in it and the metric scores the set."""
    from mmpose.registry import METRICS
    cfg = load_config(QUICKSTART_CFG)
    train_set = pose_dataset(cfg, tiny_data)

    def move_out(data):
        width = data['images'][0]['width']
        data['annotations'][0]['bbox'][0] = width + 10.

    moved = pose_dataset(
        cfg,
        tiny_data,
        ann_file=_rewrite(tiny_data, tmp_path, 'train', move_out))
    assert len(moved) == len(train_set) - 1

    root = _tiny_pose(tiny_data)
    with open(f'{root}person_detection_results/detections_val.json') as f:
        boxes = json.load(f)
    boxes.append(
        dict(
            image_id=1,
            category_id=1,
            bbox=[-400., -300., 60., 120.],
            score=0.9))
    bbox_file = tmp_path / 'detections.json'
    bbox_file.write_text(json.dumps(boxes))
    val_set = pose_dataset(cfg, tiny_data, 'val', bbox_file=str(bbox_file))
    assert len(val_set) == len(boxes)
    outside = val_set[len(boxes) - 1]
    assert not outside['inputs'].any()  # all padding
    model = build_model(_tiny_backbone(cfg)).eval()
    metric = METRICS.build(
        dict(
            cfg.val_evaluator,
            ann_file=f'{root}annotations/person_keypoints_val.json'))
    metric.dataset_meta = val_set.metainfo
    with torch.no_grad():  # the box outside and one inside
        preds = model.test_step(pseudo_collate([outside, val_set[0]]))
    metric.process([], [p.to_dict() for p in preds])
    keypoints = preds[0].pred_instances.keypoints[0]
    assert np.all((keypoints > [-400 - 60, -300 - 120])
                  & (keypoints < [-400 + 2 * 60, -300 + 2 * 120]))
    assert 0 <= metric.evaluate(2)['coco/AP'] <= 1


def test_images_smaller_than_the_backbone_minimum(tiny_data, tmp_path):
    """Top-down models see crops resized to their input size: a 20x14
    image, under the backbone's 32-pixel minimum, is predicted like any
    other; an input under the minimum given to the backbone itself (e.g. a
    codec input_size below it) gets its error naming the size."""
    import cv2
    cfg = load_config(QUICKSTART_CFG)
    image = tmp_path / 'small.jpg'
    cv2.imwrite(str(image), np.full((20, 14, 3), 128, np.uint8))
    box = [2., 1., 10., 18.]
    keypoints = np.c_[np.linspace(3, 11, 17),
                      np.linspace(2, 18, 17),
                      np.full(17, 2)]
    data = dict(
        images=[dict(id=1, file_name='small.jpg', width=14, height=20)],
        annotations=[
            dict(
                id=1,
                image_id=1,
                category_id=1,
                bbox=box,
                area=80.,
                iscrowd=0,
                num_keypoints=17,
                keypoints=keypoints.reshape(-1).tolist())
        ],
        categories=[dict(id=1, name='person')])
    ann_file = tmp_path / 'small.json'
    ann_file.write_text(json.dumps(data))
    dataset = pose_dataset(
        cfg,
        tiny_data,
        'test',
        bbox_file=None,
        data_root=str(tmp_path),
        ann_file=str(ann_file),
        data_prefix=dict(img=''))
    sample = dataset[0]
    w, h = cfg.codec.input_size
    assert tuple(sample['inputs'].shape) == (3, h, w)
    model = build_model(_tiny_backbone(cfg)).eval()
    with torch.no_grad():
        (pred, ) = model.test_step(pseudo_collate([sample]))
    predicted = pred.pred_instances.keypoints[0]
    assert np.all((predicted > -10) & (predicted < 30))
    with pytest.raises(ValueError, match='at least 32x32 pixels.*20x14'):
        model.backbone(torch.zeros(1, 3, 20, 14))


@pytest.mark.slow
def test_mmposes_own_scripts_and_mim_train_plugin_configs(tiny_data, tmp_path):
    """mmpose's own tools/train.py and tools/test.py (from its wheel) and
    `mim train mmpose` run the plugin's pose config in fresh processes that
    import the plugin only through the config's `mmscalablevit.` types."""
    from .test_clients import mim, run, toolkit_tool
    options = pose_options(tiny_data)
    run([
        sys.executable,
        toolkit_tool('mmpose', 'train.py'), POSE, '--work-dir',
        str(tmp_path / 'a'), '--cfg-options'
    ] + options,
        cwd=tmp_path)
    assert (tmp_path / 'a' / 'epoch_1.pth').is_file()
    out = run(
        [
            sys.executable,
            toolkit_tool('mmpose', 'test.py'), POSE,
            str(tmp_path / 'a' / 'epoch_1.pth'), '--work-dir',
            str(tmp_path / 'a'), '--cfg-options'
        ] + options,
        cwd=tmp_path)
    assert 'coco/AP' in out
    mim('train',
        'mmpose',
        POSE,
        '--gpus',
        '0',
        '--work-dir',
        str(tmp_path / 'b'),
        '--cfg-options',
        *options,
        cwd=tmp_path)
    assert (tmp_path / 'b' / 'epoch_1.pth').is_file()


def test_quickstart_tasks():
    """tools/quickstart.sh takes --task det|seg|pose|all and refuses others
    before installing anything."""
    proc = subprocess.run(
        ['bash',
         osp.join(ROOT, 'tools', 'quickstart.sh'), '--task', 'jump'],
        capture_output=True,
        text=True,
        timeout=60)
    assert proc.returncode == 2
    assert "unknown task 'jump': det, seg, pose or all" in proc.stderr


@pytest.mark.slow
def test_quickstart_pose_learns(tmp_path):
    """The pose quick start as tools/quickstart.sh runs it (full tiny set,
    full schedule) ends far above the mean pose placed in each box."""
    import importlib.util

    from mmscalablevit.datasets import make_coco_people
    make_coco_people(str(tmp_path / 'tiny_pose'))
    spec = importlib.util.spec_from_file_location(
        'pose_baseline', osp.join(ROOT, 'tools', 'misc', 'pose_baseline.py'))
    baseline = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(baseline)
    root = _tiny_pose(str(tmp_path))
    options = [
        f'{split}_dataloader.dataset.data_root={root}'
        for split in ('train', 'val', 'test')
    ] + [
        f'{split}_dataloader.dataset.bbox_file={root}person_detection_'
        'results/detections_val.json' for split in ('val', 'test')
    ] + [
        f'{split}_evaluator.ann_file={root}annotations/'
        'person_keypoints_val.json' for split in ('val', 'test')
    ]
    epochs = load_config(QUICKSTART_CFG).train_cfg.max_epochs
    work = tmp_path / 'work'
    train(POSE, work, options)
    learned = evaluate(POSE, work / f'epoch_{epochs}.pth', work, options)
    mean_pose = baseline.main([POSE, '--cfg-options', *options])
    # docs/pose.md: 0.435 against 0.038
    assert mean_pose['coco/AP'] < 0.06
    assert learned['coco/AP'] > 0.35


def test_inherited_through_the_plugin_scope(tmp_path):
    """A user's config inheriting a pose config through `mmscalablevit::`
    gets mmpose's pieces and ours: the checked dataset class, the fixed
    visualizer and COCO's evaluator (no dict left in the plugin's scope:
    test_inheritance.py, for every shipped config)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS, METRICS, VISUALIZERS
    user = tmp_path / 'my_pose.py'
    user.write_text("_base_ = ['mmscalablevit::scopevit/"
                    "topdown_scopevit_s_coco_384x288.py']\n")
    cfg = Config.fromfile(str(user))
    init_default_scope(cfg.default_scope)
    assert DATASETS.get(cfg.dataset_type).__name__ == 'CheckedCocoDataset'
    assert type(VISUALIZERS.build(
        dict(cfg.visualizer, name='user'))).__module__ == \
        'mmscalablevit.visualization'
    assert METRICS.get(cfg.test_evaluator.type).__name__ == 'CocoMetric'
