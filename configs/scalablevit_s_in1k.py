# ScalableViT-S, ImageNet-1K: docs/scalablevit.md#configs
_base_ = [
    'mmpretrain::_base_/models/swin_transformer/tiny_224.py',
    'mmpretrain::_base_/datasets/imagenet_bs64_swin_224.py',
    'mmpretrain::_base_/schedules/imagenet_bs1024_adamw_swin.py',
    'mmpretrain::_base_/default_runtime.py', './_base_/models/scalablevit.py',
    './_base_/runtime/plugin.py'
]
__sv = _base_.pop('scalablevit')

# Classifier: backbone -> LayerNorm (`final_norm`) -> mean over tokens -> the
# two-layer head Linear(C, 4096) -> LayerNorm -> GELU -> Linear(4096, 1000).
# Mixup/CutMix and the Linear/LayerNorm init come from the base; the backbone
# initialises itself as the authors' code does.
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmscalablevit.ScalableViT',
        arch='s',
        out_indices=(3, ),
        final_norm=True,
        drop_path_rate=0.2),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        _delete_=True,
        type='StackedLinearClsHead',
        num_classes=1000,
        in_channels=512,
        mid_channels=[4096],
        norm_cfg=dict(type='LN', eps=1e-6),
        act_cfg=dict(type='GELU'),
        loss=dict(
            type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        cal_acc=False))

# Repeated augmentation, as the paper lists (the authors' main.py default
# has it off).
train_dataloader = dict(
    batch_size=128,
    sampler=dict(_delete_=True, _scope_='mmpretrain', type='RepeatAugSampler'))
val_dataloader = dict(batch_size=128)
test_dataloader = val_dataloader

# AdamW lr 5e-4 x 1024 / 512 (base), no weight decay on 1-D parameters (the
# base's norm/bias/flat multipliers, as timm) and on the PEG.
optim_wrapper = dict(
    paramwise_cfg=dict(
        _delete_=True,
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        flat_decay_mult=0.0,
        custom_keys=__sv.no_decay),
    clip_grad=dict(max_norm=5.0))  # main.py's default (paper silent)
__warmup_epochs = 5
param_scheduler = [
    dict(
        _scope_='mmpretrain',
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        end=__warmup_epochs,
        convert_to_iter_based=True),
    dict(
        _scope_='mmpretrain',
        type='CosineAnnealingLR',
        eta_min=1e-5,
        by_epoch=True,
        begin=__warmup_epochs)
]
auto_scale_lr = dict(base_batch_size=1024)
