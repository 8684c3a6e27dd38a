# Semantic FPN + ScalableViT-L, 80k iterations, ADE20K: the S config with
# the L backbone.
_base_ = ['./semfpn_scalablevit_s_80k_ade20k.py']

pretrained = 'checkpoints/scalablevit_l_in1k.pth'
model = dict(
    backbone=dict(arch='l', init_cfg=dict(checkpoint=pretrained)),
    neck=dict(in_channels=[128, 256, 512, 1024]))
