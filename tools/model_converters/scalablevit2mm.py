#!/usr/bin/env python
"""Convert an authors' ScalableViT ImageNet checkpoint to this package's keys.

    python tools/model_converters/scalablevit2mm.py SRC DST [--task backbone]

SRC is the file as downloaded (DeiT-style ``{'model': ...}``), a path or a
URL, read with ``weights_only=True``. ``--task backbone`` (default) writes
the weights of a detection/segmentation backbone
(``init_cfg=dict(type='Pretrained', checkpoint=DST)``); ``--task classifier``
writes a whole mmpretrain ImageClassifier (``load_from=DST`` with
configs/scalablevit_*_in1k.py). The variant (S/B/L) is found and printed.
"""
from mmscalablevit.checkpoint import convert_main
from mmscalablevit.models import ScalableViT

if __name__ == '__main__':
    convert_main(ScalableViT)
