_base_ = ['./detection.py']
# Also masks (1, N, 28, 28): each detection's mask probabilities inside its
# box (pasted into the image after the graph, as mmdeploy does).
onnx_config = dict(output_names=['dets', 'labels', 'masks'])
codebase_config = dict(post_processing=dict(export_postprocess_mask=False))
