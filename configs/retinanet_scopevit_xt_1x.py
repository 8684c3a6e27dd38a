# RetinaNet + ScopeViT-XT, 1x schedule: the T config with the XT backbone (the
# authors' retinanet_scopevit_xtiny_fpn_1x_coco.py).
_base_ = ['./retinanet_scopevit_t_1x.py', './_base_/models/scopevit.py']
__scope = _base_.pop('scopevit')

model = dict(
    backbone=__scope.xt.backbone, neck=dict(in_channels=__scope.xt.channels))
