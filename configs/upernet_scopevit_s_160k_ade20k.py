# UperNet + ScopeViT-S, 160k ADE20K: docs/scopevit.md#configs
_base_ = ['./upernet_scopevit_t_160k_ade20k.py', './_base_/models/scopevit.py']
__scope = _base_.pop('scopevit')

model = dict(
    backbone=__scope.s.backbone,
    decode_head=dict(in_channels=__scope.s.channels),
    auxiliary_head=dict(in_channels=__scope.s.channels[2]))
