# UperNet + ScopeViT-XT, 160k ADE20K: docs/scopevit.md#configs
_base_ = ['./upernet_scopevit_t_160k_ade20k.py', './_base_/models/scopevit.py']
__scope = _base_.pop('scopevit')

model = dict(
    backbone=__scope.xt.backbone,
    decode_head=dict(in_channels=__scope.xt.channels),
    auxiliary_head=dict(in_channels=__scope.xt.channels[2]))
