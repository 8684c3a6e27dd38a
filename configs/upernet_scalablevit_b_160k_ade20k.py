# UperNet + ScalableViT-B, 160k iterations, ADE20K: the S config with the
# B backbone.
_base_ = ['./upernet_scalablevit_s_160k_ade20k.py']

pretrained = 'checkpoints/scalablevit_b_in1k.pth'
model = dict(
    backbone=dict(arch='b', init_cfg=dict(checkpoint=pretrained)),
    decode_head=dict(in_channels=[96, 192, 384, 768]),
    auxiliary_head=dict(in_channels=384))
