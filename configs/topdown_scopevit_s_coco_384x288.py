# Top-down heatmaps + ScopeViT-S, COCO keypoints 384x288, AMP: docs/pose.md
_base_ = [
    './topdown_scopevit_t_coco_384x288.py', './_base_/models/scopevit.py'
]
__scope = _base_.pop('scopevit')

model = dict(
    backbone=dict(__scope.s.backbone, drop_path_rate=0.2),
    head=dict(in_channels=__scope.s.channels[-1]))
# loss_scale='dynamic' is AmpOptimWrapper's default
optim_wrapper = dict(_scope_='mmpose', type='AmpOptimWrapper')
