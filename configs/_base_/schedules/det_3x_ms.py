# The 3x multi-scale recipe shared by the RetinaNet and Mask R-CNN 3x configs
# (paper appendix C, Table 8). Configs take it with
# `__recipe = _base_.pop('det_3x_ms')`, so it never shows up as a key of
# theirs; the no-decay keys come from the backbone's model base.

# Paper: short side random in [480, 800], long side <= 1333. As in Twins'
# and Swin's 3x configs this is the DETR-style choice of 11 scales, with a
# resize-crop-resize branch. (A literal alternative would be
# dict(type='RandomResize', scale=[(1333, 480), (1333, 800)],
# keep_ratio=True).) Items carry `_scope_` so that configs inheriting them
# through `mmscalablevit::` still build them in mmdet's registry.
__scales = [(1333, 480 + 32 * i) for i in range(11)]
__epochs = 36
det_3x_ms = dict(
    train_pipeline=[
        dict(_scope_='mmdet', type='LoadImageFromFile', backend_args=None),
        dict(_scope_='mmdet', type='LoadAnnotations', with_bbox=True),
        dict(_scope_='mmdet', type='RandomFlip', prob=0.5),
        dict(
            _scope_='mmdet',
            type='RandomChoice',
            transforms=[
                [
                    dict(
                        type='RandomChoiceResize',
                        scales=__scales,
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
                        scales=__scales,
                        keep_ratio=True),
                ],
            ]),
        dict(_scope_='mmdet', type='PackDetInputs')
    ],
    max_epochs=__epochs,
    # Warm-up 500 iterations, x0.1 at epochs 27 and 33.
    param_scheduler=[
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
            end=__epochs,
            by_epoch=True,
            milestones=[27, 33],
            gamma=0.1),
    ],
    # Table 8: AdamW lr 1e-4, weight decay 0.05 for both 3x detectors.
    optimizer=dict(
        _delete_=True,
        _scope_='mmdet',
        type='AdamW',
        lr=1e-4,
        betas=(0.9, 0.999),
        weight_decay=0.05))
