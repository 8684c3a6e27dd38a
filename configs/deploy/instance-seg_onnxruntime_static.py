# Mask R-CNN; onnxruntime, static input size.
_base_ = ['./_base_/instance_seg.py']
