"""Every shipped config loads, builds the model the paper describes (the
parameter count of the same model on the released backbone), runs its real
data pipeline, a training step in which every trainable parameter gets a
gradient, and an inference."""
import copy

import pytest
import torch
from mmengine.optim import build_optim_wrapper

from ..helpers.builders import (CONFIGS, PARAMS, batch, build_model, count,
                                dataset, load_config, loss_of)


@pytest.mark.parametrize('name', sorted(PARAMS))
def test_config_builds_trains_and_infers(name, tiny_data):
    cfg = load_config(name)
    assert cfg.custom_imports.imports == ['mmscalablevit']
    model = build_model(cfg)
    assert count(model) == PARAMS[name]
    model.init_weights()

    # one training step through the config's own optimizer settings
    optim_wrapper = build_optim_wrapper(model,
                                        copy.deepcopy(cfg.optim_wrapper))
    model.train()
    data = model.data_preprocessor(batch(cfg, tiny_data, 2, train=True), True)
    losses = model(**data, mode='loss')
    loss = loss_of(losses)
    assert torch.isfinite(loss)
    optim_wrapper.backward(loss)
    no_grad = [
        n for n, p in model.named_parameters()
        if p.requires_grad and p.grad is None
    ]
    assert not no_grad, f'parameters without gradient: {no_grad[:5]}'
    first = next(p for p in model.backbone.parameters() if p.requires_grad)
    before = first.detach().clone()
    optim_wrapper.step()
    assert not torch.equal(before, first)

    # inference on images whose sizes are not multiples of 32
    model.eval()
    # mmseg's whole-image inference takes one size per batch
    n = 1 if cfg.default_scope == 'mmseg' else 2
    with torch.no_grad():
        preds = model.test_step(batch(cfg, tiny_data, n, train=False))
    assert len(preds) == n
    if cfg.default_scope == 'mmdet':
        for p in preds:
            assert p.pred_instances.bboxes.shape[1] == 4
            assert p.ori_shape == p.img_shape or p.scale_factor
    elif cfg.default_scope == 'mmseg':
        for p in preds:
            assert tuple(p.pred_sem_seg.data.shape[-2:]) == p.ori_shape
    else:
        assert all(p.pred_score.shape == (1000, ) for p in preds)


@pytest.mark.parametrize('name', [
    'retinanet_scalablevit_s_3x_ms', 'mask_rcnn_scalablevit_s_3x_ms',
    'mask_rcnn_scalablevit_s_1x', 'semfpn_scalablevit_s_80k_ade20k',
    'upernet_scalablevit_s_160k_ade20k', 'scalablevit_s_in1k'
])
def test_real_pipelines_run(name, tiny_data):
    """The configs' own train and test pipelines (paper scales) compose and
    produce the sizes the paper describes."""
    cfg = load_config(name)
    scope = cfg.default_scope
    train = dataset(cfg, cfg.train_dataloader.dataset.pipeline, tiny_data)
    test = dataset(cfg, cfg.test_dataloader.dataset.pipeline, tiny_data, 'val')
    for _ in range(3):
        sample = train[0]
        h, w = sample['inputs'].shape[-2:]
        if scope == 'mmdet' and name.endswith('1x'):
            assert min(h, w) == 800 or max(h, w) == 1333
        elif scope == 'mmdet':  # 3x: short side from [480, 800] (or cropped)
            assert min(h, w) <= 800 and max(h, w) <= 1333
        elif scope == 'mmseg':  # cropped to <= 512, padded by the model
            assert h <= 512 and w <= 512
            assert tuple(cfg.model.data_preprocessor.size) == (512, 512)
        else:
            assert (h, w) == (224, 224)
    h, w = test[0]['inputs'].shape[-2:]
    if scope == 'mmdet':
        assert min(h, w) == 800 or max(h, w) == 1333
    elif scope == 'mmseg':
        assert min(h, w) == 512 or max(h, w) == 2048
    else:
        assert (h, w) == (224, 224)


def test_upernet_tta_inference(tiny_data):
    """UperNet's multi-scale + flip TTA: the config's pipeline is ratios x
    (2048, 512) with both flips, and SegTTAModel merges the views (run here
    with the scales divided by 4 to keep CPU time low)."""
    from mmseg.registry import MODELS
    cfg = load_config('upernet_scalablevit_s_160k_ade20k')
    resizes, flips = cfg.tta_pipeline[1].transforms[:2]
    assert [r.scale
            for r in resizes] == [(int(2048 * r), int(512 * r))
                                  for r in (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)]
    assert sorted(f.prob for f in flips) == [0., 1.]
    pipeline = copy.deepcopy(cfg.tta_pipeline)
    for r in pipeline[1].transforms[0]:
        r.scale = (r.scale[0] // 4, r.scale[1] // 4)
    data = batch(cfg, tiny_data, 1, train=False, pipeline=pipeline)
    tta = MODELS.build(dict(cfg.tta_model, module=cfg.model))
    tta.eval()
    with torch.no_grad():
        preds = tta.test_step(data)
    assert len(data['inputs']) == 12  # 6 scales x 2 flips
    assert tuple(preds[0].pred_sem_seg.data.shape[-2:]) == preds[0].ori_shape


def released_scopevit_runs(h: int, w: int) -> bool:
    """Whether the authors' ScopeViT accepts an (h, w) input: every stage
    map a multiple of its dilation 8, i.e. sides in {256k-3, ..., 256k}."""
    return all(side % 256 == 0 or side % 256 >= 253 for side in (h, w))


@pytest.mark.parametrize('name,size', [
    ('retinanet_scopevit_t_1x', (800, 1216)),
    ('mask_rcnn_scopevit_t_1x', (800, 1216)),
    ('semfpn_scopevit_t_80k_ade20k', (512, 683)),
])
def test_scopevit_configs_at_sizes_the_released_code_rejects(name, size):
    """A training step and an inference at a COCO / ADE20K size on which the
    authors' backbone raises."""
    assert not released_scopevit_runs(*size)
    cfg = load_config(name)
    model = build_model(cfg).train()
    h, w = size
    image = torch.rand(3, h, w) * 255
    if cfg.default_scope == 'mmdet':
        from mmdet.structures import DetDataSample
        from mmengine.structures import InstanceData
        sample = DetDataSample(
            metainfo=dict(
                img_shape=size,
                ori_shape=size,
                scale_factor=(1, 1),
                pad_shape=size,
                batch_input_shape=size))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor([[100., 120., 400., 500.]]),
            labels=torch.tensor([3]))
        if 'mask' in name:
            from mmdet.structures.mask import BitmapMasks
            mask = torch.zeros(1, h, w, dtype=torch.uint8)
            mask[:, 120:500, 100:400] = 1
            sample.gt_instances.masks = BitmapMasks(mask.numpy(), h, w)
    else:
        from mmengine.structures import PixelData
        from mmseg.structures import SegDataSample
        sample = SegDataSample(
            metainfo=dict(img_shape=size, ori_shape=size, pad_shape=size))
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 150, (1, h, w)))
    data = model.data_preprocessor(
        dict(inputs=[image], data_samples=[sample]), True)
    assert tuple(data['inputs'].shape[-2:]) == tuple(
        -(-s // 32) * 32 for s in size) or cfg.default_scope == 'mmseg'
    loss = loss_of(model(**data, mode='loss'))
    assert torch.isfinite(loss)
    loss.backward()
    model.eval()
    with torch.no_grad():
        preds = model.test_step(dict(inputs=[image], data_samples=[sample]))
    assert len(preds) == 1


def test_scopevit_no_decay_keys_have_the_authors_effect():
    """The authors' custom_keys ('layer_scale', 'scale', 'norm') match only
    names containing 'norm': LayerScale, stem and CPE BatchNorms and biases
    keep weight decay, as in their runs."""
    cfg = load_config('retinanet_scopevit_t_1x')
    model = build_model(cfg)
    wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    names = {id(p): n for n, p in model.named_parameters()}
    undecayed = {
        names[id(p)]
        for group in wrapper.optimizer.param_groups
        if group['weight_decay'] == 0 for p in group['params']
    }
    assert undecayed == {n for n in names.values() if 'norm' in n}
    assert 'backbone.blocks1.0.mssa.ls1.gamma' not in undecayed
    assert 'backbone.patch_embed1.projection.1.weight' not in undecayed
    assert 'backbone.norm1.weight' in undecayed


def _toolkit_keys():
    """Top-level keys the toolkits' own configs have."""
    import tempfile

    from mmengine.config import Config
    keys = set()
    for base in ('mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py',
                 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py',
                 'mmseg::sem_fpn/fpn_r50_4xb4-160k_ade20k-512x512.py',
                 'mmseg::upernet/upernet_r50_4xb4-160k_ade20k-512x512.py',
                 'mmseg::swin/swin-tiny-patch4-window7-in1k-pre_upernet_'
                 '8xb2-160k_ade20k-512x512.py',
                 'mmpretrain::swin_transformer/swin-tiny_16xb64_in1k.py',
                 'mmpose::body_2d_keypoint/topdown_heatmap/coco/td-hm_swin-t-'
                 'p4-w7_8xb32-210e_coco-256x192.py'):
        with tempfile.TemporaryDirectory() as tmp:
            path = f'{tmp}/cfg.py'
            with open(path, 'w') as f:
                f.write(f"_base_ = ['{base}']\n")
            keys |= set(Config.fromfile(path).keys())
    return keys


def test_dumped_configs_hold_no_helper_variables():
    """Every shipped config's top-level keys are the toolkits' own, plus the
    plugin's imports and hooks: no helper variable of the config files
    (shared pieces are popped from `_base_`, locals are `__` names)."""
    import glob

    from mmengine.config import Config
    allowed = _toolkit_keys() | {'custom_imports', 'custom_hooks'}
    leaked = {}
    for path in sorted(
            glob.glob(f'{CONFIGS}/*.py') +
            glob.glob(f'{CONFIGS}/quickstart/*.py')):
        extra = set(Config.fromfile(path).keys()) - allowed
        if extra:
            leaked[path] = sorted(extra)
    assert not leaked


def test_segmentation_evaluates_images_the_resize_leaves_under_32_px(
        tiny_data):
    """A 10 x 300 image becomes 15 x 448 in the quick start's test resize:
    it is padded to the total stride, predicted, and cropped back to its
    own size."""
    import numpy as np
    from mmengine.dataset import Compose
    from mmseg.registry import TRANSFORMS
    cfg = load_config('quickstart/semfpn_scalablevit_tiny_shapes')
    model = build_model(cfg).eval()
    pipeline = [
        t for t in cfg.test_dataloader.dataset.pipeline
        if 'Load' not in t['type']
    ]
    transform = Compose([TRANSFORMS.build(t) for t in pipeline])
    img = (np.random.rand(10, 300, 3) * 255).astype(np.uint8)
    data = transform(
        dict(
            img=img,
            img_shape=img.shape[:2],
            ori_shape=img.shape[:2],
            img_path='tiny.jpg',
            seg_map_path=None,
            reduce_zero_label=True,
            seg_fields=[]))
    assert min(data['inputs'].shape[-2:]) < 32
    with torch.no_grad():
        (pred, ) = model.test_step(
            dict(inputs=[data['inputs']], data_samples=[data['data_samples']]))
    assert tuple(pred.pred_sem_seg.data.shape[-2:]) == (10, 300)
