# Top-down pose + ScopeViT-T, COCO keypoints at 384x288 (heatmaps 96x72): the
# 256x192 config at the authors' larger input size (their
# scopevit_t_coco_384x288.py).
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
