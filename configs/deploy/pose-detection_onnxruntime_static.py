# Top-down pose estimators with heatmap heads; onnxruntime, static input size.
_base_ = ['./_base_/pose.py']
