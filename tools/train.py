#!/usr/bin/env python
"""Train with a detection, segmentation, classification or pose config.

    python tools/train.py CONFIG [options]

Runs the config's toolkit's own tools/train.py (picked by the config's
default_scope: mmdet, mmseg, mmpretrain or mmpose), so the options are that
script's (--work-dir, --amp, --resume [CKPT], --cfg-options k=v ...,
--launcher, mmdet's --auto-scale-lr, mmpretrain's --no-validate, ...). The
package adds CPU-only distributed runs (gloo), --resume CKPT for every
toolkit and exact resume (mmscalablevit/engine/).
"""
from mmscalablevit.apis.train import main

if __name__ == '__main__':
    main()
