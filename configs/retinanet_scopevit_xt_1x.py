# RetinaNet + ScopeViT-XT, 1x COCO: docs/scopevit.md#configs
_base_ = ['./retinanet_scopevit_t_1x.py', './_base_/models/scopevit.py']
__scope = _base_.pop('scopevit')

model = dict(
    backbone=__scope.xt.backbone, neck=dict(in_channels=__scope.xt.channels))
