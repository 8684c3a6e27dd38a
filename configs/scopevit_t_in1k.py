# ScopeViT-T, ImageNet-1K: docs/scopevit.md#configs
_base_ = [
    'mmpretrain::_base_/models/swin_transformer/tiny_224.py',
    'mmpretrain::_base_/datasets/imagenet_bs64_swin_256.py',
    'mmpretrain::_base_/schedules/imagenet_bs1024_adamw_swin.py',
    'mmpretrain::_base_/default_runtime.py', './_base_/runtime/plugin.py'
]

# Classifier: backbone -> norm4 (in the main path) -> mean over tokens ->
# Linear(C, 1000). The backbone initialises itself as the released code.
model = dict(
    backbone=dict(
        _delete_=True,
        type='mmscalablevit.ScopeViT',
        arch='t',
        out_indices=(3, ),
        drop_path_rate=0.),
    head=dict(in_channels=256))

train_dataloader = dict(batch_size=128)
val_dataloader = dict(
    batch_size=128,
    dataset=dict(pipeline=[
        dict(_scope_='mmpretrain', type='LoadImageFromFile'),
        dict(
            _scope_='mmpretrain',
            type='ResizeEdge',
            scale=284,
            edge='short',
            backend='pillow',
            interpolation='bicubic'),
        dict(_scope_='mmpretrain', type='CenterCrop', crop_size=256),
        dict(_scope_='mmpretrain', type='PackInputs'),
    ]))
test_dataloader = val_dataloader

optim_wrapper = dict(
    paramwise_cfg=dict(
        _delete_=True,
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        flat_decay_mult=0.0))
__epochs, __warmup = 300, 5
param_scheduler = [
    dict(
        _scope_='mmpretrain',
        type='LinearLR',
        start_factor=1e-2,
        by_epoch=True,
        end=__warmup,
        convert_to_iter_based=True),
    dict(
        _scope_='mmpretrain',
        type='CosineAnnealingLR',
        eta_min=1e-6,
        by_epoch=True,
        begin=__warmup,
        end=__epochs)
]
train_cfg = dict(max_epochs=__epochs + 10)  # timm's 10 cool-down epochs
auto_scale_lr = dict(base_batch_size=1024)
