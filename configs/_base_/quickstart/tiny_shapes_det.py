# The quick starts' Mask R-CNN on the built-in tiny shapes set (a few CPU
# minutes from scratch); each quick start adds its backbone and FPN inputs.
_base_ = [
    'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py', '../runtime/plugin.py'
]

# The tiny COCO-format set written by tools/misc/make_tiny_datasets.py:
# 3 classes, images of 180-260 px (empty ones included), 200 train / 50 val.
data_root = 'data/tiny_coco/'
__metainfo = dict(
    classes=('square', 'circle', 'triangle'),
    palette=[(230, 25, 75), (60, 180, 75), (0, 130, 200)])
__num_classes = 3
__img_scale = (320, 224)
# CPU economy for small images with few objects: 128-channel FPN and heads,
# fixed RoIAlign sampling (mmcv's CPU RoIAlign is single-threaded) and 128
# RoIs per image instead of 512.
__channels = 128
__roi_layer = dict(sampling_ratio=2)
model = dict(
    neck=dict(out_channels=__channels),
    rpn_head=dict(in_channels=__channels, feat_channels=__channels),
    roi_head=dict(
        bbox_roi_extractor=dict(
            out_channels=__channels, roi_layer=__roi_layer),
        bbox_head=dict(
            in_channels=__channels,
            fc_out_channels=512,
            num_classes=__num_classes),
        mask_roi_extractor=dict(
            out_channels=__channels, roi_layer=__roi_layer),
        mask_head=dict(
            in_channels=__channels,
            conv_out_channels=__channels,
            num_classes=__num_classes)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=300)))

# Items written here carry `_scope_` so that configs inheriting this one
# through `mmscalablevit::` still build them in the toolkit's registry.
train_pipeline = [
    dict(_scope_='mmdet', type='LoadImageFromFile'),
    dict(
        _scope_='mmdet',
        type='LoadAnnotations',
        with_bbox=True,
        with_mask=True),
    dict(_scope_='mmdet', type='Resize', scale=__img_scale, keep_ratio=True),
    dict(_scope_='mmdet', type='RandomFlip', prob=0.5),
    dict(_scope_='mmdet', type='PackDetInputs')
]
test_pipeline = [
    dict(_scope_='mmdet', type='LoadImageFromFile'),
    dict(_scope_='mmdet', type='Resize', scale=__img_scale, keep_ratio=True),
    dict(
        _scope_='mmdet',
        type='LoadAnnotations',
        with_bbox=True,
        with_mask=True),
    dict(
        _scope_='mmdet',
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        metainfo=__metainfo,
        ann_file='annotations/instances_train.json',
        data_prefix=dict(img='train/'),
        filter_cfg=dict(filter_empty_gt=False, min_size=0),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        metainfo=__metainfo,
        ann_file='annotations/instances_val.json',
        data_prefix=dict(img='val/'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator

# Schedule: 12 short epochs (25 iterations each) from scratch, AdamW lr 4e-4
# with gradient clipping.
__epochs = 12
# validated every 4 epochs: points of the training curve
train_cfg = dict(max_epochs=__epochs, val_interval=4)
optim_wrapper = dict(
    optimizer=dict(
        _delete_=True,
        type='AdamW',
        lr=4e-4,
        betas=(0.9, 0.999),
        weight_decay=0.05),
    clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(
        _scope_='mmdet',
        type='LinearLR',
        start_factor=0.01,
        by_epoch=False,
        begin=0,
        end=50),
    dict(
        _scope_='mmdet',
        type='MultiStepLR',
        begin=0,
        end=__epochs,
        by_epoch=True,
        milestones=[10],
        gamma=0.1)
]
# A fixed seed: the run prints the README's figures.
randomness = dict(seed=0)
default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(interval=__epochs, max_keep_ckpts=1))
