_base_ = ['./onnx_config.py']
# output (1, K, h, w): the keypoint heatmaps of the person crop (decoded
# after the graph by the head's codec, as mmdeploy does).
codebase_config = dict(type='mmpose', task='PoseDetection')
