# Semantic FPN + ScalableViT-S, 80k ADE20K: docs/scalablevit.md#configs
_base_ = [
    'mmseg::_base_/models/fpn_r50.py', 'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py',
    './_base_/models/scalablevit.py', './_base_/runtime/plugin.py'
]
__sv = _base_.pop('scalablevit')

model = dict(
    pretrained=None,  # the ResNet base sets one; the backbone's init_cfg rules
    # training crops padded to the crop size; test images the resize leaves
    # under 32 px a side (the total stride) padded to 32, then cropped back
    data_preprocessor=dict(
        size=_base_.crop_size, test_cfg=dict(size=(32, 32))),
    backbone=__sv.s.backbone,
    neck=dict(in_channels=__sv.s.channels, out_channels=256, num_outs=4),
    decode_head=dict(num_classes=150))

train_dataloader = dict(batch_size=4)
optim_wrapper = dict(
    optimizer=dict(
        _delete_=True,
        type='AdamW',
        lr=1e-4,
        betas=(0.9, 0.999),
        weight_decay=1e-4),
    clip_grad=None)
# mmseg's schedule_80k floors the poly LR at 1e-4, which with lr 1e-4 would
# never decay; Twins' Semantic FPN used min_lr 1e-6 and no warm-up.
param_scheduler = [
    dict(
        _scope_='mmseg',
        type='PolyLR',
        power=0.9,
        eta_min=1e-6,
        begin=0,
        end=80000,
        by_epoch=False)
]
auto_scale_lr = dict(enable=False, base_batch_size=16)
