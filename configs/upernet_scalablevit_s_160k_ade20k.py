# UperNet + ScalableViT-S, 160k ADE20K: docs/scalablevit.md#configs
_base_ = [
    'mmseg::_base_/models/upernet_swin.py', 'mmseg::_base_/datasets/ade20k.py',
    'mmseg::_base_/default_runtime.py',
    'mmseg::_base_/schedules/schedule_160k.py',
    './_base_/models/scalablevit.py', './_base_/schedules/upernet_160k.py',
    './_base_/runtime/plugin.py'
]
__sv = _base_.pop('scalablevit')

model = dict(
    # training crops padded to the crop size; test images the resize leaves
    # under 32 px a side (the total stride) padded to 32, then cropped back
    data_preprocessor=dict(
        size=_base_.crop_size, test_cfg=dict(size=(32, 32))),
    backbone=__sv.s.backbone,
    decode_head=dict(in_channels=__sv.s.channels, num_classes=150),
    auxiliary_head=dict(in_channels=__sv.s.channels[2], num_classes=150))

train_dataloader = dict(batch_size=2)
optim_wrapper = dict(
    optimizer=dict(
        _delete_=True,
        type='AdamW',
        lr=6e-5,
        betas=(0.9, 0.999),
        weight_decay=0.01),
    # as Twins' UperNet: no decay on the PEG and the norms
    paramwise_cfg=dict(custom_keys=__sv.no_decay))
# Poly power 1.0 to 0 after Twins' linear warm-up (1500 iterations from 1e-6;
# the paper names no warm-up).
param_scheduler = _base_.pop('upernet_160k').param_scheduler
auto_scale_lr = dict(enable=False, base_batch_size=16)

# Multi-scale + flip test as mmseg 0.x ran it (the paper's setting): each
# ratio r resizes to r x (2048, 512) with the ratio kept; mmseg 1.x's own
# tta_pipeline scales the raw image instead, which differs for images whose
# short side is not 512.
tta_pipeline = [
    dict(_scope_='mmseg', type='LoadImageFromFile', backend_args=None),
    dict(
        _scope_='mmseg',
        type='TestTimeAug',
        transforms=[
            [
                dict(
                    type='Resize',
                    scale=(int(2048 * r), int(512 * r)),
                    keep_ratio=True) for r in (0.5, 0.75, 1.0, 1.25, 1.5, 1.75)
            ],
            [
                dict(type='RandomFlip', prob=0., direction='horizontal'),
                dict(type='RandomFlip', prob=1., direction='horizontal')
            ],
            [dict(type='LoadAnnotations', reduce_zero_label=True)],
            [dict(type='PackSegInputs')],
        ])
]
