#!/usr/bin/env python
"""Parameters and FLOPs of the model a config builds, for one input shape.

    python tools/analysis_tools/get_flops.py CONFIG [--shape H [W]]

No dataset is needed: the model runs on a zero image of the given shape
(defaults: detection 800x1280, segmentation 512x2048, classification the
test crop, pose the codec's input size, e.g. 256x192: the sizes of the
papers and of the metafiles). One multiply-add counts as one FLOP. Two
totals are printed: without the backbone's attention matrix products (the
metafiles' FLOPs: the convention of the toolkits' own get_flops.py, thop /
mmcv 1.x and the ScalableViT paper) and with them (fvcore's, the ScopeViT
authors').
"""
import argparse

from mmengine.config import DictAction

from mmscalablevit.analysis import count_flops, default_shape
from mmscalablevit.engine import build_model, load_config, toolkit_of


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
    else:
        shape = default_shape(cfg)
    result = count_flops(model, scope, shape)
    line = '=' * 60
    print(f'{line}\nConfig: {args.config}\nInput shape: 3 x {shape[0]} x '
          f'{shape[1]}\n'
          f'Params: {result["params"] / 1e6:.2f} M '
          f'({int(result["params"]):,})\n'
          f'FLOPs (without attention matmuls, the metafiles\' FLOPs): '
          f'{result["without_attention"] / 1e9:.2f} G\n'
          f'FLOPs (with attention matmuls): {result["total"] / 1e9:.2f} G\n'
          f'  of which backbone: {result["backbone"] / 1e9:.2f} G; '
          f'attention matmuls: {result["attention"] / 1e9:.2f} G\n{line}')
    return result


if __name__ == '__main__':
    main()
