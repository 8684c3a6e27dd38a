# Quick start with ScopeViT: Semantic FPN with ScopeViT-XT (5.0M
# parameters), trained from scratch on the built-in tiny ADE20K-format shapes
# set. The ScalableViT quick start's data, head and schedule, with the
# backbone swapped.
_base_ = [
    './semfpn_scalablevit_tiny_shapes.py', '../_base_/models/scopevit.py'
]
__scope = _base_.pop('scopevit')

model = dict(
    backbone=__scope.scratch_xt.backbone,
    neck=dict(in_channels=__scope.scratch_xt.channels))
