# Quick start: Semantic FPN with a small ScalableViT, trained from scratch on
# the built-in tiny ADE20K-format shapes set in a few CPU minutes. It is the
# paper config (../semfpn_scalablevit_s_80k_ade20k.py) with the data, the
# schedule and the backbone size swapped; everything else is inherited.
_base_ = [
    '../semfpn_scalablevit_s_80k_ade20k.py',
    '../_base_/models/scalablevit_tiny.py'
]

# The tiny ADE20K-format set written by tools/misc/make_tiny_datasets.py:
# label 0 = unlabelled (reduce_zero_label), then background and 3 shapes;
# images of 200-300 px, 200 train / 50 val.
data_root = 'data/tiny_ade'
__metainfo = dict(
    classes=('background', 'square', 'circle', 'triangle'),
    palette=[[120, 120, 120], [230, 25, 75], [60, 180, 75], [0, 130, 200]])
crop_size = (224, 224)
__img_scale = (448, 256)
__tiny = _base_.pop('scalablevit_tiny')
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=__tiny.backbone,
    neck=dict(in_channels=__tiny.channels),
    decode_head=dict(num_classes=4))

# Items written here carry `_scope_` so that configs inheriting this one
# through `mmscalablevit::` still build them in the toolkit's registry.
train_pipeline = [
    dict(_scope_='mmseg', type='LoadImageFromFile'),
    dict(_scope_='mmseg', type='LoadAnnotations', reduce_zero_label=True),
    dict(
        _scope_='mmseg',
        type='RandomResize',
        scale=__img_scale,
        ratio_range=(0.75, 1.25),
        keep_ratio=True),
    dict(
        _scope_='mmseg',
        type='RandomCrop',
        crop_size=crop_size,
        cat_max_ratio=0.75),
    dict(_scope_='mmseg', type='RandomFlip', prob=0.5),
    dict(_scope_='mmseg', type='PhotoMetricDistortion'),
    dict(_scope_='mmseg', type='PackSegInputs')
]
test_pipeline = [
    dict(_scope_='mmseg', type='LoadImageFromFile'),
    dict(_scope_='mmseg', type='Resize', scale=__img_scale, keep_ratio=True),
    dict(_scope_='mmseg', type='LoadAnnotations', reduce_zero_label=True),
    dict(_scope_='mmseg', type='PackSegInputs')
]
__dataset = dict(
    _scope_='mmseg',
    type='BaseSegDataset',
    data_root=data_root,
    metainfo=__metainfo,
    img_suffix='.jpg',
    seg_map_suffix='.png',
    reduce_zero_label=True)
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    dataset=dict(
        __dataset,
        data_prefix=dict(
            img_path='images/training', seg_map_path='annotations/training'),
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=1,
    dataset=dict(
        __dataset,
        data_prefix=dict(
            img_path='images/validation',
            seg_map_path='annotations/validation'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# Schedule: 400 iterations from scratch, AdamW lr 1e-3, poly decay.
__iters = 400
# validated every 100 iterations: points of the training curve
train_cfg = dict(max_iters=__iters, val_interval=100)
optim_wrapper = dict(optimizer=dict(lr=1e-3, weight_decay=0.01))
param_scheduler = [
    dict(
        _scope_='mmseg',
        type='LinearLR',
        start_factor=0.01,
        by_epoch=False,
        begin=0,
        end=50),
    dict(
        _scope_='mmseg',
        type='PolyLR',
        power=0.9,
        eta_min=1e-6,
        begin=50,
        end=__iters,
        by_epoch=False)
]
# A fixed seed: the run prints the README's figures.
randomness = dict(seed=0)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=__iters, max_keep_ckpts=1),
    # --show-dir draws every test image (mmseg's default: every 50th)
    visualization=dict(interval=1))
