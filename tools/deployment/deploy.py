#!/usr/bin/env python
"""Export a whole model to ONNX through mmdeploy and check it in
onnxruntime against PyTorch.

    python tools/deployment/deploy.py CONFIG CHECKPOINT --work-dir DIR \\
        [--dynamic] [--image IMG] [--shape H W] [--deploy-cfg FILE] \\
        [--cfg-options KEY=VALUE ...]

Writes ``DIR/end2end.onnx`` (input ``input``: the preprocessed image
tensor (1, 3, H, W), as mmdeploy's files) and ``DIR/report.json`` /
``DIR/report.txt``. What the file computes, by the config's toolkit:

* mmdet: ``dets`` (1, N, 5) and ``labels`` (1, N), boxes decoded and NMS
  in the graph; Mask R-CNN also ``masks`` (1, N, 28, 28);
* mmseg: ``output`` (1, 1, H, W), the class map;
* mmpretrain: ``output`` (1, num_classes), the class scores;
* mmpose (top-down, heatmap heads): ``output`` (1, K, h, w), heatmaps.

The deploy config is the shipped ``configs/deploy/<task>_onnxruntime_
{static,dynamic}.py`` unless ``--deploy-cfg`` names one. The image (default:
a generated shapes image) goes through the config's test pipeline; the
tensor is run by PyTorch's ``predict`` and by onnxruntime; a ``--dynamic``
file is also checked at ``--shape`` (default 375 500). Detections are
matched by box IoU with equal labels (scores within 1e-3, masks by IoU),
class maps by pixel agreement (>= 99.9%), keypoints decoded from the
heatmaps by the head's codec by distance, class scores by their top 5. The
exit status is 0 when everything agrees, 1 when something differs beyond
the tolerances, 2 for a model, checkpoint or size that cannot be exported.

The backbone-and-neck / logits exporter is ``pytorch2onnx.py``.
"""
import argparse
import json
import os.path as osp
import sys
import warnings

warnings.filterwarnings('ignore')  # the TorchScript tracer's, mainly
from mmengine.config import DictAction  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='model config file')
    parser.add_argument('checkpoint', help='checkpoint of the whole model')
    parser.add_argument(
        '--work-dir', required=True, help='where end2end.onnx is written')
    parser.add_argument(
        '--dynamic', action='store_true', help='dynamic input height/width')
    parser.add_argument(
        '--image', help='image to check with (default: a generated one)')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='input size of the second check of a --dynamic file '
        '(default 375 500)')
    parser.add_argument(
        '--deploy-cfg', help='mmdeploy deploy config (default: shipped)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override model config settings, key=value')
    args = parser.parse_args(argv)
    if args.shape and not args.dynamic:
        parser.error('--shape checks a --dynamic file at another size')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmscalablevit.deployment.whole_model import (DeployError, deploy,
                                                      format_report)
    if args.image and not osp.isfile(args.image):
        print(
            f'deploy.py: error: image {args.image!r} does not exist.',
            file=sys.stderr)
        return 2
    try:
        report = deploy(
            args.config,
            args.checkpoint,
            args.work_dir,
            dynamic=args.dynamic,
            image=args.image,
            shape=tuple(args.shape) if args.shape else None,
            deploy_cfg=args.deploy_cfg,
            cfg_options=args.cfg_options)
    except DeployError as error:
        print(f'deploy.py: error: {error}', file=sys.stderr)
        return 2
    text = format_report(report)
    with open(osp.join(args.work_dir, 'report.json'), 'w') as f:
        json.dump(report, f, indent=2)
    with open(osp.join(args.work_dir, 'report.txt'), 'w') as f:
        f.write(text + '\n')
    print(text)
    return 0 if report['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
