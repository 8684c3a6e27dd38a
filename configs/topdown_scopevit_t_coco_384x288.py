# Top-down heatmaps + ScopeViT-T, COCO keypoints 384x288: docs/pose.md
_base_ = [
    './topdown_scopevit_t_coco_256x192.py',
    './_base_/datasets/coco_keypoints.py'
]
__size = _base_.pop('coco_keypoints')['384x288']

codec = __size.codec
train_pipeline = __size.train_pipeline
val_pipeline = __size.val_pipeline
model = dict(head=dict(decoder=codec))
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
