# Quick start: top-down pose + ScopeViT-XT on the tiny stick figures.
_base_ = [
    '../topdown_scopevit_t_coco_256x192.py', '../_base_/models/scopevit.py',
    '../_base_/datasets/coco_keypoints.py'
]
__scope = _base_.pop('scopevit')
__size = _base_.pop('coco_keypoints')['128x96']

# The set written by tools/misc/make_tiny_datasets.py: 200 train / 50 val
# images of 160-256 px with up to 3 figures each, and a detector's val boxes.
data_root = 'data/tiny_pose/'
codec = __size.codec
train_pipeline = __size.train_pipeline
val_pipeline = __size.val_pipeline
# CPU economy: 128-channel deconvolutions in the head (256 in the recipe)
model = dict(
    backbone=dict(__scope.scratch_xt.backbone, out_indices=(3, )),
    head=dict(
        in_channels=__scope.scratch_xt.channels[-1],
        deconv_out_channels=(128, 128, 128),
        decoder=codec))
train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/person_keypoints_train.json',
        data_prefix=dict(img='train/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        ann_file='annotations/person_keypoints_val.json',
        bbox_file=data_root + 'person_detection_results/detections_val.json',
        data_prefix=dict(img='val/'),
        pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root +
                     'annotations/person_keypoints_val.json')
test_evaluator = val_evaluator

# Schedule: 16 short epochs (24 iterations each) from scratch, the recipe's
# Adam lr 1e-3 after a 50-iteration warm-up, x0.1 for the last 3 epochs.
__epochs = 16
# validated every 4 epochs: points of the training curve
train_cfg = dict(max_epochs=__epochs, val_interval=4)
param_scheduler = [
    dict(
        _scope_='mmpose',
        type='LinearLR',
        start_factor=0.001,
        by_epoch=False,
        begin=0,
        end=50),
    dict(
        _scope_='mmpose',
        type='MultiStepLR',
        begin=0,
        end=__epochs,
        by_epoch=True,
        milestones=[__epochs - 3],
        gamma=0.1)
]
# A fixed seed: the run prints the README's figures.
randomness = dict(seed=0)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=__epochs, max_keep_ckpts=1))
