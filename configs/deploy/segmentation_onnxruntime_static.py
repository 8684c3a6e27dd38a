# Semantic FPN, UperNet; onnxruntime, static input size.
_base_ = ['./_base_/segmentation.py']
