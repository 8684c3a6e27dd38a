#!/usr/bin/env python
"""Test a checkpoint with a ScalableViT config and print its metrics (COCO
box/mask mAP, mIoU or accuracy). Arguments as in mmdet's tools/test.py:
CONFIG CHECKPOINT [--work-dir] [--out] [--show] [--show-dir] [--tta]
[--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi]."""
from mmscalablevit.apis.test import main

if __name__ == '__main__':
    main()
