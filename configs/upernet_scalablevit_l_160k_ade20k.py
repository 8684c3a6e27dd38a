# UperNet + ScalableViT-L, 160k ADE20K: docs/scalablevit.md#configs
_base_ = [
    './upernet_scalablevit_s_160k_ade20k.py', './_base_/models/scalablevit.py'
]
__sv = _base_.pop('scalablevit')

model = dict(
    backbone=__sv.l.backbone,
    decode_head=dict(in_channels=__sv.l.channels),
    auxiliary_head=dict(in_channels=__sv.l.channels[2]))
