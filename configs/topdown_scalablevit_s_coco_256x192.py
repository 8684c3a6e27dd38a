# Top-down pose + ScalableViT-S, COCO keypoints at 256x192: the ScopeViT
# authors' pose recipe (../topdown_scopevit_t_coco_256x192.py) with
# ScalableViT-S (ImageNet-1K weights, stochastic depth 0.2 as in this
# package's ScalableViT-S detectors and segmentors) feeding the head its
# last stage (512 channels). The ScalableViT paper has no pose results.
_base_ = [
    './topdown_scopevit_t_coco_256x192.py', './_base_/models/scalablevit.py'
]
__sv = _base_.pop('scalablevit')

model = dict(
    backbone=dict(__sv.s.backbone, out_indices=(3, )),
    head=dict(in_channels=__sv.s.channels[-1]))
