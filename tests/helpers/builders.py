"""Helpers that build models and real data batches from the shipped configs
(data comes from the generated tiny sets, run through real pipelines)."""
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from . import ROOT

CONFIGS = osp.join(ROOT, 'configs')
# Parameter counts of the same models on the released backbone (mmdet 3.3 /
# mmseg 1.2 standard heads, mmpretrain classifier).
PARAMS = {
    'retinanet_scalablevit_s_1x': 36_026_596,
    'retinanet_scalablevit_b_1x': 85_563_172,
    'retinanet_scalablevit_l_1x': 112_625_812,
    'retinanet_scalablevit_s_3x_ms': 36_026_596,
    'retinanet_scalablevit_b_3x_ms': 85_563_172,
    'mask_rcnn_scalablevit_s_1x': 45_944_032,
    'mask_rcnn_scalablevit_b_1x': 94_898_976,
    'mask_rcnn_scalablevit_l_1x': 121_379_984,
    'mask_rcnn_scalablevit_s_3x_ms': 45_944_032,
    'mask_rcnn_scalablevit_b_3x_ms': 94_898_976,
    'semfpn_scalablevit_s_80k_ade20k': 30_043_270,
    'semfpn_scalablevit_b_80k_ade20k': 78_998_214,
    'semfpn_scalablevit_l_80k_ade20k': 105_479_222,
    'upernet_scalablevit_s_160k_ade20k': 56_100_636,
    'upernet_scalablevit_b_160k_ade20k': 107_046_236,
    'upernet_scalablevit_l_160k_ade20k': 135_517_900,
    'scalablevit_s_in1k': 32_000_472,
    'scalablevit_b_in1k': 81_881_624,
    'scalablevit_l_in1k': 109_288_840,
    'mask_rcnn_scopevit_s_1x': 37_800_034,
    'mask_rcnn_scopevit_t_1x': 27_777_860,
    'mask_rcnn_scopevit_xt_1x': 25_058_634,
    'retinanet_scopevit_s_1x': 27_882_598,
    'retinanet_scopevit_t_1x': 17_278_792,
    'retinanet_scopevit_xt_1x': 14_559_566,
    'scopevit_s_in1k': 18_162_010,
    'scopevit_t_in1k': 8_006_716,
    'scopevit_xt_in1k': 5_287_490,
    'semfpn_scopevit_s_80k_ade20k': 21_899_272,
    'semfpn_scopevit_t_80k_ade20k': 11_877_098,
    'semfpn_scopevit_xt_80k_ade20k': 9_157_872,
    'upernet_scopevit_s_160k_ade20k': 47_956_638,
    'upernet_scopevit_t_160k_ade20k': 35_943_808,
    'upernet_scopevit_xt_160k_ade20k': 33_224_582,
}
# The top-down heatmap models (SimpleBaseline head; tests/common/test_pose.py)
POSE_PARAMS = {
    'topdown_scopevit_xt_coco_256x192': 8_182_123,
    'topdown_scopevit_xt_coco_384x288': 8_182_123,
    'topdown_scopevit_t_coco_256x192': 10_901_349,
    'topdown_scopevit_t_coco_384x288': 10_901_349,
    'topdown_scopevit_s_coco_256x192': 21_849_219,
    'topdown_scopevit_s_coco_384x288': 21_849_219,
    'topdown_scalablevit_s_coco_256x192': 29_993_217,
}
SHAPES_META = dict(classes=('square', 'circle', 'triangle'))


def load_config(name: str, pretrained: bool = False) -> Config:
    cfg = Config.fromfile(osp.join(CONFIGS, name + '.py'))
    if not pretrained:
        cfg.model.backbone.init_cfg = None
    init_default_scope(cfg.default_scope)
    return cfg


def build_model(cfg: Config):
    """The config's model as the runner builds it (the package's helper);
    the backbone keeps whatever ``init_cfg`` :func:`load_config` left."""
    from mmscalablevit.engine import build_model as build
    return build(cfg, pretrained=True)


def dataset(cfg: Config, pipeline, data_root: str, split: str = 'train'):
    """A dataset of the config's toolkit over the tiny generated sets."""
    scope = cfg.default_scope
    if scope == 'mmdet':
        from mmdet.datasets import CocoDataset
        return CocoDataset(
            data_root=osp.join(data_root, 'tiny_coco'),
            ann_file=f'annotations/instances_{split}.json',
            data_prefix=dict(img=f'{split}/'),
            metainfo=SHAPES_META,
            filter_cfg=dict(filter_empty_gt=True),
            pipeline=pipeline)
    if scope == 'mmseg':
        from mmseg.datasets import ADE20KDataset
        folder = 'training' if split == 'train' else 'validation'
        return ADE20KDataset(
            data_root=osp.join(data_root, 'tiny_ade'),
            data_prefix=dict(
                img_path=f'images/{folder}',
                seg_map_path=f'annotations/{folder}'),
            pipeline=pipeline)
    from mmpretrain.datasets import CustomDataset
    return CustomDataset(
        data_root=osp.join(data_root, 'tiny_cls'), pipeline=pipeline)


def small_pipeline(cfg: Config, train: bool):
    """The config's pipeline with the image scale cut down for CPU steps."""
    scope = cfg.default_scope
    if scope == 'mmdet':
        with_mask = 'mask_head' in cfg.model.get('roi_head', {})
        return [
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations', with_bbox=True, with_mask=with_mask),
            dict(type='Resize', scale=(300, 200), keep_ratio=True),
            dict(type='RandomFlip', prob=0.5 if train else 0.),
            dict(type='PackDetInputs')
        ]
    if scope == 'mmseg':
        steps = [
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations', reduce_zero_label=True)
        ]
        if train:
            steps.append(dict(type='RandomCrop', crop_size=(160, 160)))
        return steps + [dict(type='PackSegInputs')]
    return [
        dict(type='LoadImageFromFile'),
        dict(type='ResizeEdge', scale=128, edge='short'),
        dict(type='CenterCrop', crop_size=112),
        dict(type='PackInputs')
    ]


def batch(cfg: Config,
          data_root: str,
          n: int = 2,
          train: bool = True,
          pipeline=None):
    ds = dataset(cfg, pipeline or small_pipeline(cfg, train), data_root,
                 'train' if train else 'val')
    return pseudo_collate([ds[i] for i in range(n)])


def count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def loss_of(losses: dict) -> torch.Tensor:
    total = 0
    for name, value in losses.items():
        if 'loss' not in name:
            continue
        total = total + (sum(value) if isinstance(value, list) else value)
    return total
