#!/usr/bin/env python
"""Export the tensor part of a config's model (backbone and neck, logits) to
ONNX (or a torch.export program) and check it against PyTorch. Whole models
(detectors with box decoding and NMS, segmentors' class maps, pose heatmaps)
are exported through mmdeploy by ``deploy.py``.

    python tools/deployment/pytorch2onnx.py CONFIG [--checkpoint CKPT] \\
        [--shape H W] [--out FILE] [--dynamic-export] \\
        [--verify-shapes H W [H W ...]] [--torch-export] \\
        [--exporter {dynamo,torchscript}] [--cfg-options KEY=VALUE ...]

What is exported (the part without data-dependent post-processing), with
one input ``input``, a preprocessed (normalised, padded) image batch
(1, 3, H, W):

* detection configs: backbone and neck, outputs ``output0..N`` (the FPN
  levels);
* segmentation configs: the segmentor's ``forward(mode='tensor')``, output
  ``output`` (the decode head's logits, at 1/4 of the input for Semantic
  FPN / UperNet);
* classification configs: the classifier's ``forward(mode='tensor')``,
  output ``output`` (the logits).

``--dynamic-export`` makes the input's height and width dynamic (any size
from 32 to ``--max-size`` pixels). The file is then run in onnxruntime (the
program with ``--torch-export``) next to PyTorch on the same random input at
the export shape and at every ``--verify-shapes`` size; the largest
absolute difference of each output is printed, and the tool exits with 1
if one exceeds 1e-4 of the output's largest absolute value.

ONNX exporter: ``dynamo`` (default) converts the verified ``torch.export``
program with torch's maintained exporter (needs onnxscript);
``torchscript`` traces with ``torch.jit`` (faster to export, deprecated by
torch). Both give files that agree with PyTorch at every size.

Weights: ``--checkpoint`` (a training checkpoint or a state dict of the
whole model, read by mmengine's ``load_checkpoint`` through the package's
``weights_only=True`` reader, ``mmscalablevit://``; every key must match).
Without it the weights are the model's own initialisation (the backbone's
pretrained file is not loaded), which suits checking the export only.
"""
import argparse
import logging
import os.path as osp
import sys

import torch
from mmengine.config import DictAction

from mmscalablevit.checkpoint import safe_source
from mmscalablevit.deployment import (EXPORTERS, MAX_SIZE, MIN_SIZE, TOLERANCE,
                                      TensorForward, all_ok, check,
                                      check_range, export_onnx, export_program,
                                      format_results, onnx_runner,
                                      program_runner)
from mmscalablevit.engine import build_model, load_config, toolkit_of

DEFAULT_SHAPES = {
    'mmdet': (800, 1344),
    'mmseg': (512, 512),
    'mmpretrain': (224, 224)
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--checkpoint',
        help='checkpoint of the whole model (default: initial weights)')
    parser.add_argument(
        '--shape',
        type=int,
        nargs='+',
        metavar='SIZE',
        help='input height and width of the export (one value: square; '
        'default: detection 800 1344, segmentation 512 512, '
        'classification 224 224)')
    parser.add_argument(
        '--out',
        help='output file (default: the config name with .onnx, or .pt2 '
        'with --torch-export)')
    parser.add_argument(
        '--dynamic-export',
        action='store_true',
        help='dynamic input height and width')
    parser.add_argument(
        '--verify-shapes',
        type=int,
        nargs='+',
        metavar='SIZE',
        default=[],
        help='more input sizes to check, as height width pairs '
        '(needs --dynamic-export)')
    parser.add_argument(
        '--torch-export',
        action='store_true',
        help='save a torch.export ExportedProgram (.pt2) instead of ONNX')
    parser.add_argument(
        '--exporter',
        choices=EXPORTERS,
        default='dynamo',
        help='ONNX exporter (default: dynamo)')
    parser.add_argument(
        '--opset', type=int, help='ONNX opset (default: the exporter\'s)')
    parser.add_argument(
        '--max-size',
        type=int,
        default=MAX_SIZE,
        help=f'largest input side of a dynamic export (default {MAX_SIZE})')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, key=value')
    args = parser.parse_args(argv)
    if args.shape is not None and len(args.shape) not in (1, 2):
        parser.error('--shape takes H W or one size')
    if len(args.verify_shapes) % 2:
        parser.error('--verify-shapes takes height width pairs')
    if args.torch_export and args.out and not args.out.endswith('.pt2'):
        parser.error('a torch.export program is saved as a .pt2 file')
    if args.verify_shapes and not args.dynamic_export:
        parser.error('--verify-shapes needs --dynamic-export (a static '
                     'export runs at the export shape only)')
    return args


def load_weights(model, checkpoint: str) -> None:
    """``--checkpoint`` into ``model``, read by the package's reader; every
    key must match."""
    from mmengine.runner import load_checkpoint
    load_checkpoint(
        model, safe_source(checkpoint), map_location='cpu', strict=True)


def build_exportable(cfg, checkpoint=None) -> TensorForward:
    """The config's model in eval mode with its weights, wrapped for
    export."""
    from mmengine.logging import MMLogger
    from mmengine.model import revert_sync_batchnorm
    model = build_model(cfg)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)  # init_weights reports every tensor
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
    if checkpoint:
        load_weights(model, checkpoint)
    # SyncBN (segmentation heads) runs as BatchNorm in eval mode anyway
    model = revert_sync_batchnorm(model)
    return TensorForward(model, toolkit_of(cfg)).eval()


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    scope = toolkit_of(cfg)
    if args.shape:
        shape = tuple(args.shape) * (2 // len(args.shape))
    else:
        shape = DEFAULT_SHAPES[scope]
    for size in (*shape, *args.verify_shapes):
        if size < MIN_SIZE:
            raise SystemExit(f'Input sides must be at least {MIN_SIZE} '
                             f'pixels, got {size}.')
    if args.dynamic_export:
        try:
            check_range(MIN_SIZE, args.max_size, *shape)
        except ValueError as error:
            raise SystemExit(f'pytorch2onnx.py: error: {error}') from None
    module = build_exportable(cfg, args.checkpoint)
    verify = [shape] + [
        tuple(args.verify_shapes[i:i + 2])
        for i in range(0, len(args.verify_shapes), 2)
    ]
    suffix = '.pt2' if args.torch_export else '.onnx'
    out = args.out or osp.splitext(osp.basename(args.config))[0] + suffix
    example = torch.randn(1, 3, *shape)

    what = {
        'mmdet': 'backbone + neck',
        'mmseg': "segmentor forward(mode='tensor')",
        'mmpretrain': "classifier forward(mode='tensor')"
    }[scope]
    dims = f'H, W in [{MIN_SIZE}, {args.max_size}]' if \
        args.dynamic_export else f'static {shape[0]}x{shape[1]}'
    if args.torch_export:
        program = export_program(module, example, args.dynamic_export,
                                 MIN_SIZE, args.max_size)
        torch.export.save(program, out)
        run = program_runner(torch.export.load(out))
        kind = 'torch.export program'
    else:
        export_onnx(module, example, out, args.dynamic_export, args.exporter,
                    args.opset, MIN_SIZE, args.max_size)
        run = onnx_runner(out)
        kind = f'ONNX file ({args.exporter} exporter)'
    weights = f'checkpoint {args.checkpoint}' if args.checkpoint else \
        'initial weights (no --checkpoint)'
    print(f'{kind}: {out}\n  {args.config} ({scope}: {what}), input '
          f'1x3xHxW, {dims}, {weights}')

    results = check(run, module, verify, tolerance=TOLERANCE)
    print(format_results(results))
    if all_ok(results):
        print(f'OK: every output within {TOLERANCE:g} of its largest '
              'absolute value.')
        return 0
    print(f'FAILED: some output differs by more than {TOLERANCE:g} of its '
          'largest absolute value.')
    return 1


if __name__ == '__main__':
    sys.exit(main())
