# RetinaNet and other box-only detectors; onnxruntime, static input size.
_base_ = ['./_base_/detection.py']
