_base_ = ['./onnx_config.py']
# output (1, num_classes): the class scores (softmax).
codebase_config = dict(type='mmpretrain', task='Classification')
