# Top-down heatmaps + ScalableViT-S, COCO keypoints 256x192: docs/pose.md
_base_ = [
    './topdown_scopevit_t_coco_256x192.py', './_base_/models/scalablevit.py'
]
__sv = _base_.pop('scalablevit')

model = dict(
    backbone=dict(__sv.s.backbone, out_indices=(3, )),
    head=dict(in_channels=__sv.s.channels[-1]))
