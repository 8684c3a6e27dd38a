# Top-down pose + ScopeViT-XT, COCO keypoints at 256x192: the T config with the
# XT backbone and the authors' stochastic depth 0.1 (their
# scopevit_xt_coco_256x192.py).
_base_ = [
    './topdown_scopevit_t_coco_256x192.py', './_base_/models/scopevit.py'
]
__scope = _base_.pop('scopevit')

model = dict(
    backbone=dict(__scope.xt.backbone, drop_path_rate=0.1),
    head=dict(in_channels=__scope.xt.channels[-1]))
