# Mask R-CNN + ScalableViT-B, 3x multi-scale COCO: docs/scalablevit.md#configs
_base_ = [
    './mask_rcnn_scalablevit_s_3x_ms.py', './_base_/models/scalablevit.py'
]
__sv = _base_.pop('scalablevit')

model = dict(backbone=__sv.b.backbone, neck=dict(in_channels=__sv.b.channels))
