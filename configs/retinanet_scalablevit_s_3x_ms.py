# RetinaNet + ScalableViT-S, 3x multi-scale COCO: docs/scalablevit.md#configs
_base_ = [
    './retinanet_scalablevit_s_1x.py', './_base_/schedules/det_3x_ms.py',
    './_base_/models/scalablevit.py'
]
__recipe, __sv = _base_.pop('det_3x_ms'), _base_.pop('scalablevit')

train_dataloader = dict(dataset=dict(pipeline=__recipe.train_pipeline))
train_cfg = dict(max_epochs=__recipe.max_epochs)
param_scheduler = __recipe.param_scheduler
optim_wrapper = dict(
    optimizer=__recipe.optimizer,
    paramwise_cfg=dict(custom_keys=__sv.no_decay))
