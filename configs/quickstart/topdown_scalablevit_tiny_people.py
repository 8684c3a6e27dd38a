# Quick start of top-down pose with the small ScalableViT of the detection
# and segmentation quick starts instead of ScopeViT-XT: the ScopeViT quick
# start's data, head and schedule, with the backbone swapped.
_base_ = [
    './topdown_scopevit_tiny_people.py', '../_base_/models/scalablevit_tiny.py'
]
__tiny = _base_.pop('scalablevit_tiny')

model = dict(
    backbone=dict(__tiny.backbone, out_indices=(3, )),
    head=dict(in_channels=__tiny.channels[-1]))
