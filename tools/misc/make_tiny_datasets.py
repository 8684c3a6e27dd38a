#!/usr/bin/env python
"""Generate the built-in tiny datasets used by the quick-start configs:
a COCO-format shapes set (data/tiny_coco), an ADE20K-format one
(data/tiny_ade) and a COCO-keypoints set of stick figures with a detector's
val boxes (data/tiny_pose). Deterministic for a given seed; existing sets are
kept unless --force."""
import argparse
import os.path as osp

from mmscalablevit.datasets import (make_ade_shapes, make_coco_people,
                                    make_coco_shapes)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--out', default='data', help='parent directory')
    parser.add_argument('--num-train', type=int, default=200)
    parser.add_argument('--num-val', type=int, default=50)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--force',
        action='store_true',
        help='write the sets even if they exist')
    args = parser.parse_args(argv)
    jobs = [('tiny_coco', make_coco_shapes, 'annotations/instances_val.json'),
            ('tiny_ade', make_ade_shapes, 'annotations/validation'),
            ('tiny_pose', make_coco_people,
             'person_detection_results/detections_val.json')]
    for name, make, marker in jobs:
        root = osp.join(args.out, name)
        if osp.exists(osp.join(root, marker)) and not args.force:
            print(f'{root}: exists, kept (use --force to rewrite)')
            continue
        stats = make(root, args.num_train, args.num_val, seed=args.seed)
        print(f'{root}: {stats}')


if __name__ == '__main__':
    main()
