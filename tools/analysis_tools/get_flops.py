#!/usr/bin/env python
"""Parameters and FLOPs of the model a config builds, for one input shape.

    python tools/analysis_tools/get_flops.py CONFIG [--shape H [W]]

No dataset is needed: the model runs on a zero image of the given shape
(defaults: detection 800x1280, segmentation 512x2048, classification
224x224, the sizes of the paper; pose: the codec's input size, e.g.
256x192). One multiply-add counts as one FLOP.
Two totals are printed: with the backbone's attention matrix products
(mmengine / fvcore convention) and without them (the thop / mmcv 1.x
convention of the paper's figures).
"""
import argparse

from mmengine.config import DictAction

from mmscalablevit.analysis import count_flops
from mmscalablevit.engine import build_model, load_config, toolkit_of

DEFAULT_SHAPES = {
    'mmdet': (800, 1280),
    'mmseg': (512, 2048),
    'mmpretrain': (224, 224)
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--shape',
        type=int,
        nargs='+',
        help='input height and width (one value: square)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value')
    args = parser.parse_args(argv)

    cfg = load_config(args.config, args.cfg_options)
    model, scope = build_model(cfg), toolkit_of(cfg)
    if args.shape:
        shape = tuple(args.shape) * (2 // len(args.shape))
    elif scope == 'mmpose':  # codec input_size is (W, H)
        shape = tuple(cfg.codec.input_size[::-1])
    else:
        shape = DEFAULT_SHAPES[scope]
    result = count_flops(model, scope, shape)
    line = '=' * 60
    print(f'{line}\nConfig: {args.config}\nInput shape: 3 x {shape[0]} x '
          f'{shape[1]}\n'
          f'Params: {result["params"] / 1e6:.2f} M '
          f'({int(result["params"]):,})\n'
          f'FLOPs (with attention matmuls): {result["total"] / 1e9:.2f} G\n'
          f'FLOPs (without attention matmuls, the paper\'s convention): '
          f'{result["without_attention"] / 1e9:.2f} G\n'
          f'  of which backbone: {result["backbone"] / 1e9:.2f} G; '
          f'attention matmuls: {result["attention"] / 1e9:.2f} G\n{line}')
    return result


if __name__ == '__main__':
    main()
