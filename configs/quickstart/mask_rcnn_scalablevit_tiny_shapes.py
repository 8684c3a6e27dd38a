# Quick start: Mask R-CNN + a small ScalableViT (4.6M) on the tiny shapes.
_base_ = [
    '../_base_/quickstart/tiny_shapes_det.py',
    '../_base_/models/scalablevit_tiny.py'
]
__tiny = _base_.pop('scalablevit_tiny')

model = dict(backbone=__tiny.backbone, neck=dict(in_channels=__tiny.channels))
