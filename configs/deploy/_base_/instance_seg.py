_base_ = ['./detection.py']
# Also masks (1, N, 28, 28): each detection's mask probabilities inside its
# box (pasted into the image after the graph, as mmdeploy does). Opset 16:
# its RoiAlign (half_pixel) is mmcv's RoIAlign(aligned=True); opset 11's
# clamps every RoI to at least one feature pixel.
onnx_config = dict(output_names=['dets', 'labels', 'masks'], opset_version=16)
codebase_config = dict(post_processing=dict(export_postprocess_mask=False))
