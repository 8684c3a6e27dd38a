# Mask R-CNN + ScopeViT-T, 1x COCO: docs/scopevit.md#configs
_base_ = [
    'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py',
    './_base_/models/scopevit.py', './_base_/runtime/plugin.py'
]
__scope = _base_.pop('scopevit')

model = dict(
    backbone=__scope.t.backbone, neck=dict(in_channels=__scope.t.channels))

# AdamW lr 2e-4, weight decay 0.05, the authors' no-decay keys; no clipping.
optim_wrapper = dict(
    optimizer=dict(
        _delete_=True,
        type='AdamW',
        lr=2e-4,
        betas=(0.9, 0.999),
        weight_decay=0.05),
    paramwise_cfg=dict(custom_keys=__scope.no_decay))
# Evaluated every epoch, the best checkpoint kept, one checkpoint kept.
default_hooks = dict(
    checkpoint=dict(interval=1, max_keep_ckpts=1, save_best='auto'))
