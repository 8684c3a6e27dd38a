# Image classifiers; onnxruntime, static input size.
_base_ = ['./_base_/classification.py']
