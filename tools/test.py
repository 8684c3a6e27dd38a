#!/usr/bin/env python
"""Test a checkpoint with a detection, segmentation, classification or pose
config and print its metrics (COCO box/mask mAP, mIoU, accuracy or COCO
keypoint AP).

    python tools/test.py CONFIG CHECKPOINT [options]

Runs the config's toolkit's own tools/test.py (picked by the config's
default_scope), so the options are that script's (--work-dir, --out,
--show, --show-dir (drawn boxes, masks, maps or keypoints), --tta, mmpose's
--dump, --cfg-options k=v ..., --launcher, ...).
"""
from mmscalablevit.apis.test import main

if __name__ == '__main__':
    main()
