# RetinaNet + ScalableViT-S, 3x schedule (36 epochs) with multi-scale
# training, COCO. The 1x config with the recipe of _base_/schedules/det_3x_ms.
_base_ = [
    './retinanet_scalablevit_s_1x.py', './_base_/schedules/det_3x_ms.py'
]

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomFlip', prob=0.5),
    {{_base_.ms_resize_3x}},
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

max_epochs = {{_base_.max_epochs_3x}}
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = {{_base_.param_scheduler_3x}}
optim_wrapper = {{_base_.optim_wrapper_3x}}
