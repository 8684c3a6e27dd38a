#!/usr/bin/env python
"""Test a checkpoint with a detection, segmentation or classification config
and print its metrics (COCO box/mask mAP, mIoU or accuracy).

    python tools/test.py CONFIG CHECKPOINT [options]

Runs the config's toolkit's own tools/test.py (picked by the config's
default_scope), so the options are that script's (--work-dir, --out,
--show, --show-dir, --tta, --cfg-options k=v ..., --launcher, ...).
"""
from mmscalablevit.apis.test import main

if __name__ == '__main__':
    main()
