# Semantic FPN + ScalableViT-B, 80k iterations, ADE20K: the S config with
# the B backbone.
_base_ = ['./semfpn_scalablevit_s_80k_ade20k.py']

pretrained = 'checkpoints/scalablevit_b_in1k.pth'
model = dict(
    backbone=dict(arch='b', init_cfg=dict(checkpoint=pretrained)),
    neck=dict(in_channels=[96, 192, 384, 768]))
