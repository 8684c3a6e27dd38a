# mmdeploy's ONNX settings: one input, the preprocessed image batch
# (1, 3, H, W), opset 11. The export shape is the test pipeline's (no
# input_shape). optimize=False: mmdeploy's graph optimiser is a compiled
# torch extension that its wheel does not carry.
onnx_config = dict(
    type='onnx',
    export_params=True,
    keep_initializers_as_inputs=False,
    opset_version=11,
    save_file='end2end.onnx',
    input_names=['input'],
    output_names=['output'],
    input_shape=None,
    optimize=False)
backend_config = dict(type='onnxruntime')
