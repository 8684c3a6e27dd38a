# RetinaNet + ScalableViT-L, 1x schedule: the S config with the L backbone.
_base_ = ['./retinanet_scalablevit_s_1x.py', './_base_/models/scalablevit.py']
__sv = _base_.pop('scalablevit')

model = dict(backbone=__sv.l.backbone, neck=dict(in_channels=__sv.l.channels))
