# ScopeViT-XT, ImageNet-1K: docs/scopevit.md#configs
_base_ = ['./scopevit_t_in1k.py']

model = dict(backbone=dict(arch='xt'), head=dict(in_channels=256))
