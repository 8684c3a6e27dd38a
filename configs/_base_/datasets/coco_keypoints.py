# COCO keypoints for top-down heatmap models as the ScopeViT authors' mmpose
# 0.x configs read them, per input size (H x W: their two, and the quick
# start's 128x96): the MSRA heatmap codec (Gaussian targets of sigma 2 on
# heatmaps at 1/4 of the input), the train pipeline (box centre and scale
# with padding 1.25, flip, half body, random shift / scale / rotation, affine
# crop, targets) and the test pipeline (box, affine crop); and the dataset
# class, mmpose's CocoDataset with checks of the annotation file
# (mmscalablevit/datasets/body.py). Configs take it with
# `__kpt = _base_.pop('coco_keypoints')`. Items carry `_scope_` so that
# configs inheriting them through `mmscalablevit::` build them in mmpose.


def _topdown(input_size, heatmap_size):
    codec = dict(
        _scope_='mmpose',
        type='MSRAHeatmap',
        input_size=input_size,
        heatmap_size=heatmap_size,
        sigma=2)
    return dict(
        codec=codec,
        train_pipeline=[
            dict(_scope_='mmpose', type='LoadImage'),
            dict(_scope_='mmpose', type='GetBBoxCenterScale', padding=1.25),
            dict(_scope_='mmpose', type='RandomFlip', direction='horizontal'),
            dict(_scope_='mmpose', type='RandomHalfBody'),
            # 0.x clipped normals (scale N(1, .5) to [.5, 1.5], rotation
            # N(0, 40) to +-80 deg); 1.x truncates them to the same ranges
            # (std .27 vs .36, 43 vs 38 deg). Shifts and probabilities as 0.x.
            dict(
                _scope_='mmpose',
                type='RandomBBoxTransform',
                shift_factor=0.16,
                shift_prob=0.3,
                scale_factor=(0.5, 1.5),
                scale_prob=1.0,
                rotate_factor=80.0,
                rotate_prob=0.6),
            dict(
                _scope_='mmpose', type='TopdownAffine', input_size=input_size),
            dict(_scope_='mmpose', type='GenerateTarget', encoder=codec),
            dict(_scope_='mmpose', type='PackPoseInputs')
        ],
        val_pipeline=[
            dict(_scope_='mmpose', type='LoadImage'),
            dict(_scope_='mmpose', type='GetBBoxCenterScale', padding=1.25),
            dict(
                _scope_='mmpose', type='TopdownAffine', input_size=input_size),
            dict(_scope_='mmpose', type='PackPoseInputs')
        ])


coco_keypoints = {
    'dataset_type': 'mmscalablevit.CheckedCocoDataset',
    '256x192': _topdown((192, 256), (48, 64)),
    '384x288': _topdown((288, 384), (72, 96)),
    '128x96': _topdown((96, 128), (24, 32)),
}
