#!/usr/bin/env python
"""Convert an authors' ScopeViT ImageNet checkpoint to this package's keys.

    python tools/model_converters/scopevit2mm.py SRC DST [--task backbone]

SRC is the file as downloaded (a timm training checkpoint: the state dict
under ``state_dict`` / ``state_dict_ema``; ``model``-wrapped and bare state
dicts, with or without a ``module.`` prefix, work too), a path or a URL,
read with ``weights_only=True``. ``--task backbone`` (default) writes the
weights of a detection/segmentation backbone
(``init_cfg=dict(type='Pretrained', checkpoint=DST)``); ``--task classifier``
writes a whole mmpretrain ImageClassifier (ScopeViT + GlobalAveragePooling +
LinearClsHead, ``load_from=DST``). The variant (XT/T/S) is found and
printed.
"""
from mmscalablevit.checkpoint import convert_main
from mmscalablevit.models import ScopeViT

if __name__ == '__main__':
    convert_main(ScopeViT)
