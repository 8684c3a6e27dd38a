"""Train a detector, segmentor or classifier from a config (mmdet, mmseg or
mmpretrain, picked by the config's ``default_scope``)."""
import argparse

from .runner import (add_launch_args, build_runner, load_config,
                     parse_launch_args)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train a model with a ScalableViT config')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic mixed precision training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by the real batch size '
        '(auto_scale_lr.base_batch_size is the paper\'s 16)')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or without a path from the '
        'latest checkpoint in the work dir')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='skip validation during training')
    add_launch_args(
        parser, 'override config settings, key=value (e.g. '
        'train_dataloader.batch_size=4)')
    return parse_launch_args(parser, argv)


def apply_args(cfg, args):
    """Merge the command line into the config, as mmdet/mmseg do."""
    if args.amp:
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper == 'AmpOptimWrapper':
            print('AMP is already enabled in the config.')
        elif wrapper != 'OptimWrapper':
            raise ValueError(f'--amp needs optim_wrapper.type OptimWrapper, '
                             f'the config has {wrapper}.')
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.auto_scale_lr:
        scale = cfg.get('auto_scale_lr')
        if not scale or 'base_batch_size' not in scale:
            raise ValueError('--auto-scale-lr needs auto_scale_lr='
                             'dict(enable=False, base_batch_size=N) in the '
                             'config.')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    return cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options, args.launcher,
                      args.work_dir)
    cfg = apply_args(cfg, args)
    runner = build_runner(cfg)
    runner.train()
    return runner


def cli():
    """Console entry point (exit status 0 on success)."""
    main()


if __name__ == '__main__':
    main()
