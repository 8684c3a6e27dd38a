# ScopeViT-S, ImageNet-1K: docs/scopevit.md#configs
_base_ = ['./scopevit_t_in1k.py']

model = dict(backbone=dict(arch='s'), head=dict(in_channels=512))
