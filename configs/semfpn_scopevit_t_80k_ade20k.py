# Semantic FPN + ScopeViT-T, 80k ADE20K: docs/scopevit.md#configs
_base_ = [
    'mmseg::_base_/models/fpn_r50.py', 'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_80k.py', './_base_/models/scopevit.py',
    './_base_/datasets/ade20k_align_test.py', './_base_/runtime/plugin.py'
]
__scope = _base_.pop('scopevit')
__align = _base_.pop('ade20k_align_test')

model = dict(
    pretrained=None,  # the ResNet base sets one; the backbone's init_cfg rules
    data_preprocessor=dict(size=_base_.crop_size),
    backbone=__scope.t.backbone,
    neck=dict(in_channels=__scope.t.channels, out_channels=256, num_outs=4),
    decode_head=dict(num_classes=150))

train_dataloader = dict(batch_size=4)
val_dataloader = dict(dataset=dict(pipeline=__align.pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(
    optimizer=dict(
        _delete_=True,
        type='AdamW',
        lr=2e-4,
        betas=(0.9, 0.999),
        weight_decay=1e-4),
    clip_grad=None)
param_scheduler = [
    dict(
        _scope_='mmseg',
        type='PolyLR',
        power=0.9,
        eta_min=0.,
        begin=0,
        end=80000,
        by_epoch=False)
]
train_cfg = dict(val_interval=4000)
default_hooks = dict(
    checkpoint=dict(interval=4000, max_keep_ckpts=1, save_best='mIoU'))
auto_scale_lr = dict(enable=False, base_batch_size=32)
