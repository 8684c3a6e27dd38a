# RetinaNet + ScopeViT-S, 1x schedule: the T config with the S backbone (the
# authors' retinanet_scopevit_small_fpn_1x_coco.py).
_base_ = ['./retinanet_scopevit_t_1x.py', './_base_/models/scopevit.py']
__scope = _base_.pop('scopevit')

model = dict(
    backbone=__scope.s.backbone, neck=dict(in_channels=__scope.s.channels))
