# Semantic FPN + ScopeViT-S, 80k ADE20K: docs/scopevit.md#configs
_base_ = ['./semfpn_scopevit_t_80k_ade20k.py', './_base_/models/scopevit.py']
__scope = _base_.pop('scopevit')

model = dict(
    backbone=__scope.s.backbone, neck=dict(in_channels=__scope.s.channels))
