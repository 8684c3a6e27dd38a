# Image classifiers; onnxruntime, any input size.
_base_ = ['./_base_/classification.py']
onnx_config = dict(
    dynamic_axes=dict(
        input={
            0: 'batch',
            2: 'height',
            3: 'width'
        }, output={0: 'batch'}))
