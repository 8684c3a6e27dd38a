# Top-down heatmaps + ScopeViT-XT, COCO keypoints 256x192: docs/pose.md
_base_ = [
    './topdown_scopevit_t_coco_256x192.py', './_base_/models/scopevit.py'
]
__scope = _base_.pop('scopevit')

model = dict(
    backbone=dict(__scope.xt.backbone, drop_path_rate=0.1),
    head=dict(in_channels=__scope.xt.channels[-1]))
