_base_ = ['./onnx_config.py']
# output (1, 1, H, W): the class map (argmax of the logits resized to the
# input tensor).
codebase_config = dict(type='mmseg', task='Segmentation', with_argmax=True)
