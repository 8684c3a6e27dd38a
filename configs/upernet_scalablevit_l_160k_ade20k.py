# UperNet + ScalableViT-L, 160k iterations, ADE20K: the S config with the
# L backbone.
_base_ = ['./upernet_scalablevit_s_160k_ade20k.py']

pretrained = 'checkpoints/scalablevit_l_in1k.pth'
model = dict(
    backbone=dict(arch='l', init_cfg=dict(checkpoint=pretrained)),
    decode_head=dict(in_channels=[128, 256, 512, 1024]),
    auxiliary_head=dict(in_channels=512))
