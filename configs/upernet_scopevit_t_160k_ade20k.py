# UperNet + ScopeViT-T, 160k ADE20K: docs/scopevit.md#configs
_base_ = [
    'mmseg::_base_/models/upernet_r50.py', 'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_160k.py', './_base_/models/scopevit.py',
    './_base_/datasets/ade20k_align_test.py',
    './_base_/schedules/upernet_160k.py', './_base_/runtime/plugin.py'
]
__scope = _base_.pop('scopevit')
__align = _base_.pop('ade20k_align_test')

model = dict(
    pretrained=None,  # the ResNet base sets one; the backbone's init_cfg rules
    data_preprocessor=dict(size=_base_.crop_size),
    backbone=__scope.t.backbone,
    decode_head=dict(in_channels=__scope.t.channels, num_classes=150),
    # stage 3's width (the authors' XT and S configs give 96 and 320, which
    # do not match their own backbones and fail at the first forward)
    auxiliary_head=dict(in_channels=__scope.t.channels[2], num_classes=150))

train_dataloader = dict(batch_size=2)
val_dataloader = dict(dataset=dict(pipeline=__align.pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(
    optimizer=dict(
        _delete_=True,
        type='AdamW',
        lr=1e-4,
        betas=(0.9, 0.999),
        weight_decay=0.01),
    paramwise_cfg=dict(custom_keys=__scope.no_decay),
    clip_grad=None)
param_scheduler = _base_.pop('upernet_160k').param_scheduler
default_hooks = dict(checkpoint=dict(max_keep_ckpts=1, save_best='mIoU'))
auto_scale_lr = dict(enable=False, base_batch_size=16)
