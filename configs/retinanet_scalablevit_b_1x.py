# RetinaNet + ScalableViT-B, 1x schedule: the S config with the B backbone.
_base_ = ['./retinanet_scalablevit_s_1x.py']

pretrained = 'checkpoints/scalablevit_b_in1k.pth'
model = dict(
    backbone=dict(arch='b', init_cfg=dict(checkpoint=pretrained)),
    neck=dict(in_channels=[96, 192, 384, 768]))
