# The 3x multi-scale recipe shared by the RetinaNet and Mask R-CNN 3x configs
# (paper appendix C, Table 8). Used through {{_base_.<name>}} so that each
# number lives here once.

# Paper: short side random in [480, 800], long side <= 1333. As in Twins'
# and Swin's 3x configs this is the DETR-style choice of 11 scales, with a
# resize-crop-resize branch. (A literal alternative would be
# dict(type='RandomResize', scale=[(1333, 480), (1333, 800)],
# keep_ratio=True).)
ms_scales_3x = [(1333, 480 + 32 * i) for i in range(11)]
ms_resize_3x = dict(
    _scope_='mmdet',
    type='RandomChoice',
    transforms=[
        [
            dict(
                type='RandomChoiceResize',
                scales=ms_scales_3x,
                keep_ratio=True)
        ],
        [
            dict(
                type='RandomChoiceResize',
                scales=[(1333, 400), (1333, 500), (1333, 600)],
                keep_ratio=True),
            dict(
                type='RandomCrop',
                crop_type='absolute_range',
                crop_size=(384, 600),
                allow_negative_crop=True),
            dict(
                type='RandomChoiceResize',
                scales=ms_scales_3x,
                keep_ratio=True),
        ],
    ])

max_epochs_3x = 36
# Warm-up 500 iterations, x0.1 at epochs 27 and 33.
param_scheduler_3x = [
    dict(
        _scope_='mmdet',
        type='LinearLR',
        start_factor=0.001,
        by_epoch=False,
        begin=0,
        end=500),
    dict(
        _scope_='mmdet',
        type='MultiStepLR',
        begin=0,
        end=max_epochs_3x,
        by_epoch=True,
        milestones=[27, 33],
        gamma=0.1),
]
# Table 8: AdamW lr 1e-4, weight decay 0.05 for both 3x detectors; as in
# Twins' 3x configs, no decay on the PEG and the norms.
optim_wrapper_3x = dict(
    optimizer=dict(
        _delete_=True,
        _scope_='mmdet',
        type='AdamW',
        lr=1e-4,
        betas=(0.9, 0.999),
        weight_decay=0.05),
    paramwise_cfg=dict(custom_keys={
        'pos_block': dict(decay_mult=0.),
        'norm': dict(decay_mult=0.)
    }))
