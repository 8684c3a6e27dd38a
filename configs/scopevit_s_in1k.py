# ScopeViT-S, ImageNet-1K: the T recipe with the S backbone.
_base_ = ['./scopevit_t_in1k.py']

model = dict(backbone=dict(arch='s'), head=dict(in_channels=512))
