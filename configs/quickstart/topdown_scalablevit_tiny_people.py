# Quick start: top-down pose + the small ScalableViT on the tiny stick figures.
_base_ = [
    './topdown_scopevit_tiny_people.py', '../_base_/models/scalablevit_tiny.py'
]
__tiny = _base_.pop('scalablevit_tiny')

model = dict(
    backbone=dict(__tiny.backbone, out_indices=(3, )),
    head=dict(in_channels=__tiny.channels[-1]))
