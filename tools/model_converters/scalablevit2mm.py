#!/usr/bin/env python
"""Convert an authors' ScalableViT ImageNet checkpoint to this package's keys.

    python tools/model_converters/scalablevit2mm.py SRC DST [--task backbone]

SRC is the file as downloaded (DeiT-style ``{'model': ...}``; read with
``weights_only=True``). ``--task backbone`` (default) writes the weights of a
detection/segmentation backbone (``init_cfg=dict(type='Pretrained',
checkpoint=DST)``); ``--task classifier`` writes a whole mmpretrain
ImageClassifier (``load_from=DST`` with configs/scalablevit_*_in1k.py).
The result is checked against the S/B/L variants and the match is printed.
"""
import argparse
import os
import os.path as osp

import torch

from mmscalablevit.checkpoint import (CheckpointMismatchError, check_fits,
                                      convert_official_state_dict, is_official,
                                      load_file, unwrap_state_dict)
from mmscalablevit.models import ScalableViT


def find_variant(state_dict, task):
    """The released variant whose backbone the converted weights fit."""
    prefix = 'backbone.' if task == 'classifier' else ''
    backbone = {
        k[len(prefix):]: v
        for k, v in state_dict.items()
        if k.startswith(prefix) and not k.startswith(prefix + 'norm.')
    }
    for arch in ('s', 'b', 'l'):
        try:
            check_fits(ScalableViT(arch), backbone)
            return arch
        except CheckpointMismatchError:
            continue
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help="the authors' checkpoint")
    parser.add_argument('dst', help='where to write the converted file')
    parser.add_argument(
        '--task',
        choices=['backbone', 'classifier'],
        default='backbone',
        help='backbone weights for detection/segmentation (default) or the '
        'whole classifier for mmpretrain')
    args = parser.parse_args(argv)

    state_dict = unwrap_state_dict(load_file(args.src))
    if not is_official(state_dict):
        raise SystemExit(
            f'{args.src} does not have the authors\' key layout '
            '(patch_embeds.i.proj, stages.i.j.mlp.fc1, ...): nothing to '
            'convert. Checkpoints written by this package load directly.')
    converted = convert_official_state_dict(state_dict, args.task)
    arch = find_variant(converted, args.task)
    if arch is None:
        print('warning: the weights fit none of the released S/B/L '
              'variants; pass the matching custom arch dict to ScalableViT.')
    dst_dir = osp.dirname(osp.abspath(args.dst))
    os.makedirs(dst_dir, exist_ok=True)
    torch.save(
        dict(
            state_dict=converted,
            meta=dict(
                source=osp.basename(args.src),
                task=args.task,
                arch=arch,
                converter='mmscalablevit scalablevit2mm')), args.dst)
    name = f'ScalableViT-{arch.upper()}' if arch else 'a custom ScalableViT'
    print(f'{args.dst}: {len(converted)} tensors, {args.task} of {name}')


if __name__ == '__main__':
    main()
