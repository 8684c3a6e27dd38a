#!/usr/bin/env python
"""COCO keypoint AP of a trivial top-down baseline: the training set's mean
pose placed in every test box.

    python tools/misc/pose_baseline.py CONFIG [--work-dir DIR]
        [--cfg-options k=v ...]

The mean pose is the mean position of each keypoint over the labelled
keypoints of the training annotations, in box coordinates ((x - x0) / w,
(y - y0) / h). Every box of the config's test set (the detector's boxes of
its ``bbox_file``, else the ground-truth boxes) gets it, scaled to the box,
with keypoint scores 1 and the box's score; the config's test evaluator
(mmpose's CocoMetric) scores it as it scores a model's predictions (OKS NMS
on the same box areas). A trained model should be far above it. With
``--work-dir`` the metrics are also written to ``DIR/baseline.json``.
"""
import argparse
import json
import os
import os.path as osp

import numpy as np
from mmengine.config import DictAction

from mmscalablevit.engine import load_config


def _build(cfg_dataset):
    from mmpose.registry import DATASETS
    return DATASETS.build(dict(cfg_dataset, pipeline=[]))


def mean_pose(dataset) -> np.ndarray:
    """(K, 2): each keypoint's mean labelled position in box coordinates."""
    total = count = 0
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        x0, y0, x1, y1 = info['bbox'][0]
        xy = (info['keypoints'][0] - [x0, y0]) / [x1 - x0, y1 - y0]
        labelled = info['keypoints_visible'][0][:, None] > 0
        total = total + np.where(labelled, xy, 0.)
        count = count + labelled
    return total / np.maximum(count, 1)


def baseline_metrics(cfg) -> dict:
    """The test evaluator's metrics of the mean pose in every test box."""
    from mmengine.registry import init_default_scope
    from mmpose.datasets.transforms import TopdownAffine
    from mmpose.registry import METRICS
    from mmpose.structures.bbox import bbox_xyxy2cs
    init_default_scope('mmpose')
    mean = mean_pose(_build(cfg.train_dataloader.dataset))
    test = _build(cfg.test_dataloader.dataset)
    metric = METRICS.build(cfg.test_evaluator)
    metric.dataset_meta = test.metainfo
    w, h = cfg.codec.input_size
    samples = []
    for i in range(len(test)):
        info = test.get_data_info(i)
        x0, y0, x1, y1 = info['bbox'][0]
        keypoints = mean * [x1 - x0, y1 - y0] + [x0, y0]
        # the box area a model's prediction carries (padded, input aspect)
        _, scale = bbox_xyxy2cs(info['bbox'], padding=1.25)
        scale = TopdownAffine._fix_aspect_ratio(scale, aspect_ratio=w / h)
        samples.append(
            dict(
                id=info['id'],
                img_id=info['img_id'],
                pred_instances=dict(
                    keypoints=keypoints[None],
                    keypoint_scores=np.ones((1, len(mean))),
                    bbox_scores=info['bbox_score']),
                gt_instances=dict(bbox_scales=scale)))
    metric.process([], samples)
    return metric.evaluate(len(samples))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a top-down pose config')
    parser.add_argument('--work-dir', help='write baseline.json there')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value')
    args = parser.parse_args(argv)
    metrics = baseline_metrics(load_config(args.config, args.cfg_options))
    print(f'mean-pose baseline: keypoint AP {metrics["coco/AP"]:.3f}')
    if args.work_dir:
        os.makedirs(args.work_dir, exist_ok=True)
        with open(osp.join(args.work_dir, 'baseline.json'), 'w') as f:
            json.dump(metrics, f)
    return metrics


if __name__ == '__main__':
    main()
