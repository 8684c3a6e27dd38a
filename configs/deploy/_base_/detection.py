_base_ = ['./onnx_config.py']
# Boxes are decoded and NMS is in the graph: dets (1, N, 5) as x1, y1, x2,
# y2, score and labels (1, N), in the input tensor's pixels. The
# thresholds are mmdeploy's (mmdet's test_cfg: score 0.05, IoU 0.5, 100 per
# image).
onnx_config = dict(output_names=['dets', 'labels'])
codebase_config = dict(
    type='mmdet',
    task='ObjectDetection',
    model_type='end2end',
    post_processing=dict(
        score_threshold=0.05,
        confidence_threshold=0.005,
        iou_threshold=0.5,
        max_output_boxes_per_class=200,
        pre_top_k=5000,
        keep_top_k=100,
        background_label_id=-1))
