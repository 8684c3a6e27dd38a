# Mask R-CNN + ScalableViT-S, 3x schedule (36 epochs) with multi-scale
# training, COCO. The 1x config with the recipe of _base_/schedules/det_3x_ms.
# Precision: fp32 (paper silent; Twins used a static fp16 loss scale of 512
# here: train with --amp, or optim_wrapper.type='AmpOptimWrapper' and
# loss_scale=512., to mirror it).
_base_ = ['./mask_rcnn_scalablevit_s_1x.py', './_base_/schedules/det_3x_ms.py']

# Items written here carry `_scope_` so that configs inheriting this one
# through `mmscalablevit::` still build them in the toolkit's registry.
train_pipeline = [
    dict(
        _scope_='mmdet',
        type='LoadImageFromFile',
        backend_args={{_base_.backend_args}}),
    dict(
        _scope_='mmdet',
        type='LoadAnnotations',
        with_bbox=True,
        with_mask=True),
    dict(_scope_='mmdet', type='RandomFlip', prob=0.5),
    {{_base_.ms_resize_3x}},
    dict(_scope_='mmdet', type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

max_epochs = {{_base_.max_epochs_3x}}
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = {{_base_.param_scheduler_3x}}
optim_wrapper = {{_base_.optim_wrapper_3x}}
