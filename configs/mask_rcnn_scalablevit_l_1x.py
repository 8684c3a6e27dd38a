# Mask R-CNN + ScalableViT-L, 1x schedule: the S config with the L backbone.
_base_ = ['./mask_rcnn_scalablevit_s_1x.py']

pretrained = 'checkpoints/scalablevit_l_in1k.pth'
model = dict(
    backbone=dict(arch='l', init_cfg=dict(checkpoint=pretrained)),
    neck=dict(in_channels=[128, 256, 512, 1024]))
