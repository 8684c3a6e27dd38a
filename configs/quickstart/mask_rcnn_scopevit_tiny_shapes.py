# Quick start: Mask R-CNN + ScopeViT-XT (5.0M) on the tiny shapes.
_base_ = [
    '../_base_/quickstart/tiny_shapes_det.py', '../_base_/models/scopevit.py'
]
__scope = _base_.pop('scopevit')

model = dict(
    backbone=__scope.scratch_xt.backbone,
    neck=dict(in_channels=__scope.scratch_xt.channels))
