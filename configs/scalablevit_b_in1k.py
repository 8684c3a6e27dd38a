# ScalableViT-B, ImageNet-1K: docs/scalablevit.md#configs
_base_ = ['./scalablevit_s_in1k.py']

model = dict(
    backbone=dict(arch='b', drop_path_rate=0.5), head=dict(in_channels=768))
