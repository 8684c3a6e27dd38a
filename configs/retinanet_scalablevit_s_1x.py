# RetinaNet + ScalableViT-S, 1x COCO: docs/scalablevit.md#configs
_base_ = [
    'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py',
    './_base_/models/scalablevit.py', './_base_/runtime/plugin.py'
]
__sv = _base_.pop('scalablevit')

model = dict(
    backbone=__sv.s.backbone,
    # Twins' RetinaNet neck: the stage-0 output feeds no lateral.
    neck=dict(
        in_channels=__sv.s.channels,
        start_level=1,
        add_extra_convs='on_input',
        num_outs=5))

# Table 8: AdamW lr 1e-4, weight decay 1e-4, no parameter-wise settings
# (Twins' 1x decays every parameter).
optim_wrapper = dict(
    optimizer=dict(
        _delete_=True,
        type='AdamW',
        lr=1e-4,
        betas=(0.9, 0.999),
        weight_decay=1e-4))
