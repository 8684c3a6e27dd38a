# ScopeViT-XT, ImageNet-1K: the T recipe with the XT backbone.
_base_ = ['./scopevit_t_in1k.py']

model = dict(backbone=dict(arch='xt'), head=dict(in_channels=256))
