#!/usr/bin/env python
"""Train with a ScalableViT config (detection, segmentation or classification;
the toolkit follows the config's default_scope). Arguments as in mmdet's
tools/train.py: CONFIG [--work-dir] [--amp] [--auto-scale-lr] [--resume [CKPT]]
[--no-validate] [--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi]."""
from mmscalablevit.apis.train import main

if __name__ == '__main__':
    main()
