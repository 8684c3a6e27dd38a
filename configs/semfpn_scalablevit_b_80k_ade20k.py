# Semantic FPN + ScalableViT-B, 80k ADE20K: docs/scalablevit.md#configs
_base_ = [
    './semfpn_scalablevit_s_80k_ade20k.py', './_base_/models/scalablevit.py'
]
__sv = _base_.pop('scalablevit')

model = dict(backbone=__sv.b.backbone, neck=dict(in_channels=__sv.b.channels))
