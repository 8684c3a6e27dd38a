# The quick starts' Semantic FPN on the built-in tiny ADE20K-format shapes
# set (a few CPU minutes from scratch); each quick start adds its backbone
# and FPN inputs.
_base_ = [
    'mmseg::_base_/models/fpn_r50.py', 'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py', '../runtime/plugin.py'
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
model = dict(
    pretrained=None,  # the ResNet base sets one; the backbone's init_cfg rules
    # training crops padded to the crop size; test images the resize leaves
    # under 32 px a side (the total stride) padded to 32, then cropped back
    data_preprocessor=dict(size=crop_size, test_cfg=dict(size=(32, 32))),
    neck=dict(out_channels=256, num_outs=4),
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
optim_wrapper = dict(
    optimizer=dict(
        _delete_=True,
        type='AdamW',
        lr=1e-3,
        betas=(0.9, 0.999),
        weight_decay=0.01),
    clip_grad=None)
auto_scale_lr = dict(enable=False, base_batch_size=16)
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
