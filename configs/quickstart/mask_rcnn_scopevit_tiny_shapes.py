# Quick start with ScopeViT: Mask R-CNN with ScopeViT-XT (5.0M parameters),
# trained from scratch on the built-in tiny shapes set. The ScalableViT
# quick start's data, heads and schedule, with the backbone swapped.
_base_ = [
    './mask_rcnn_scalablevit_tiny_shapes.py', '../_base_/models/scopevit.py'
]
__scope = _base_.pop('scopevit')

model = dict(
    backbone=__scope.scratch_xt.backbone,
    neck=dict(in_channels=__scope.scratch_xt.channels))
