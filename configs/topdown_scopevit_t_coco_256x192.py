# Top-down heatmaps + ScopeViT-T, COCO keypoints 256x192: docs/pose.md
_base_ = [
    'mmpose::body_2d_keypoint/topdown_heatmap/coco/'
    'td-hm_swin-t-p4-w7_8xb32-210e_coco-256x192.py',
    './_base_/models/scopevit.py', './_base_/datasets/coco_keypoints.py'
]
__scope = _base_.pop('scopevit')
__kpt = _base_.pop('coco_keypoints')
__size = __kpt['256x192']

# The plugin's runtime (./_base_/runtime/plugin.py) written out: mmpose's
# runtime has custom hooks of its own (SyncBuffersHook, kept).
custom_imports = dict(imports=['mmscalablevit'], allow_failed_imports=False)
custom_hooks = [
    dict(_scope_='mmpose', type='SyncBuffersHook'),
    dict(type='mmscalablevit.ExactResumeHook')
]
# mmpose's visualizer with keypoints drawn under numpy 2 (--show-dir,
# MMPoseInferencer)
visualizer = dict(type='mmscalablevit.PoseLocalVisualizer')

codec = __size.codec
train_pipeline = __size.train_pipeline
val_pipeline = __size.val_pipeline
model = dict(
    backbone=dict(__scope.t.backbone, out_indices=(3, ), drop_path_rate=0.15),
    head=dict(in_channels=__scope.t.channels[-1], decoder=codec))

dataset_type = __kpt.dataset_type
train_dataloader = dict(
    dataset=dict(type=dataset_type, pipeline=train_pipeline))
# every detected box is tested (the authors' det_bbox_thr 0)
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        filter_cfg=dict(bbox_score_thr=0.),
        pipeline=val_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=1e-3))
