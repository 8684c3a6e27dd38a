# Mask R-CNN + ScalableViT-S, 3x schedule (36 epochs) with multi-scale
# training, COCO: the 1x config with the recipe of _base_/schedules/det_3x_ms
# (masks loaded too) and no weight decay on the PEG and the norms (Twins'
# 3x). Precision: fp32 (paper silent; Twins used a static fp16 loss scale of
# 512 here: train with --amp, or optim_wrapper.type='AmpOptimWrapper' and
# loss_scale=512., to mirror it).
_base_ = [
    './mask_rcnn_scalablevit_s_1x.py', './_base_/schedules/det_3x_ms.py',
    './_base_/models/scalablevit.py'
]
__recipe, __sv = _base_.pop('det_3x_ms'), _base_.pop('scalablevit')

train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(t, with_mask=True) if t.type == 'LoadAnnotations' else t
        for t in __recipe.train_pipeline
    ]))
train_cfg = dict(max_epochs=__recipe.max_epochs)
param_scheduler = __recipe.param_scheduler
optim_wrapper = dict(
    optimizer=__recipe.optimizer,
    paramwise_cfg=dict(custom_keys=__sv.no_decay))
