"""Test (and evaluate) a checkpoint with a detection, segmentation or
classification config: COCO box/mask mAP, mIoU or top-k accuracy."""
import argparse
import warnings
from copy import deepcopy

from mmengine.config import ConfigDict

from .runner import (add_launch_args, build_runner, load_config,
                     parse_launch_args, toolkit_of)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Test a checkpoint with a ScalableViT config')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the dir to save the evaluation metrics')
    parser.add_argument(
        '--out',
        help='detection: dump predictions to this .pkl file; '
        'segmentation: save the predicted maps in this directory; '
        'classification: dump predictions to this file')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir', help='save painted predictions in this directory')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--tta',
        action='store_true',
        help='test-time augmentation (the config\'s tta_model and '
        'tta_pipeline; detection and classification fall back to flip)')
    add_launch_args(parser, 'override config settings, key=value')
    return parse_launch_args(parser, argv)


def _show(cfg, args, toolkit):
    hooks = cfg.default_hooks
    if 'visualization' not in hooks:
        raise ValueError('--show/--show-dir need default_hooks.visualization '
                         "(dict(type='VisualizationHook')) in the config.")
    hook = hooks.visualization
    if toolkit == 'mmpretrain':
        hook.enable = True
        hook.out_dir = args.show_dir
    else:
        hook.draw = True
    if args.show:
        hook.show = True
        hook.wait_time = args.wait_time
    if args.show_dir:
        if toolkit == 'mmdet':
            hook.test_out_dir = args.show_dir
        elif toolkit == 'mmseg':
            cfg.visualizer.save_dir = args.show_dir


def _flip_tta_pipeline(cfg, pack):
    data_cfg = cfg.test_dataloader.dataset
    while 'dataset' in data_cfg:
        data_cfg = data_cfg.dataset
    pipeline = deepcopy(data_cfg.pipeline)
    pipeline[-1] = dict(
        type='TestTimeAug',
        transforms=[[
            dict(type='RandomFlip', prob=1.),
            dict(type='RandomFlip', prob=0.)
        ], [pack]])
    return pipeline


def _tta(cfg, toolkit):
    if toolkit == 'mmseg':
        if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
            raise ValueError('--tta needs tta_model and tta_pipeline in a '
                             'segmentation config.')
    elif toolkit == 'mmdet':
        if 'tta_model' not in cfg:
            warnings.warn('No tta_model in the config: using DetTTAModel.')
            cfg.tta_model = dict(
                type='DetTTAModel',
                tta_cfg=dict(
                    nms=dict(type='nms', iou_threshold=0.5), max_per_img=100))
        if 'tta_pipeline' not in cfg:
            warnings.warn('No tta_pipeline in the config: using flip.')
            cfg.tta_pipeline = _flip_tta_pipeline(
                cfg,
                dict(
                    type='PackDetInputs',
                    meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                               'scale_factor', 'flip', 'flip_direction')))
    else:
        if 'tta_model' not in cfg:
            cfg.tta_model = dict(type='mmpretrain.AverageClsScoreTTA')
        if 'tta_pipeline' not in cfg:
            cfg.tta_pipeline = _flip_tta_pipeline(
                cfg, cfg.test_dataloader.dataset.pipeline[-1])
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options, args.launcher,
                      args.work_dir)
    toolkit = toolkit_of(cfg)
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        _show(cfg, args, toolkit)
    if args.tta:
        _tta(cfg, toolkit)
    if args.out and toolkit == 'mmseg':
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
    if args.out and toolkit == 'mmdet' and not args.out.endswith(
        ('.pkl', '.pickle')):
        raise ValueError('--out for detection must be a .pkl file.')

    runner = build_runner(cfg)
    if args.out and toolkit == 'mmdet':
        from mmdet.evaluation import DumpDetResults
        runner.test_evaluator.metrics.append(
            DumpDetResults(out_file_path=args.out))
    elif args.out and toolkit == 'mmpretrain':
        from mmpretrain.evaluation import DumpResults
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=args.out))
    metrics = runner.test()
    return metrics


def cli():
    """Console entry point (exit status 0 on success)."""
    main()


if __name__ == '__main__':
    main()
