#!/usr/bin/env python
"""Summarise quick-start jobs: the test metrics each job printed, one line
per metric (and a pose job's mean-pose baseline), and a training-curve PNG
per job (loss, and the validation metric).

    python tools/misc/quickstart_report.py WORK_DIR [WORK_DIR ...]

A work dir is one of tools/train.py + tools/test.py; the figures are read
from mmengine's logs in it (``<timestamp>/vis_data/scalars.json`` of the
training run, ``<timestamp>/<timestamp>.json`` of the test run;
``baseline.json`` of tools/misc/pose_baseline.py). The curves
are drawn here: the toolkits' analyze_logs.py put per-iteration losses and
per-epoch metrics on one axis and need seaborn.
"""
import argparse
import glob
import json
import os.path as osp

# metric key in the logs -> (label, printed as a percentage?)
METRICS = {
    'coco/bbox_mAP': ('box mAP', False),
    'coco/segm_mAP': ('mask mAP', False),
    'mIoU': ('mIoU', True),
    'accuracy/top1': ('top-1', True),
    'coco/AP': ('keypoint AP', False),
}


def _json_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_metrics(work_dir: str) -> dict:
    """The metrics of the newest test run in ``work_dir``."""
    for run in sorted(glob.glob(osp.join(work_dir, '*', '*.json')))[::-1]:
        for record in _json_lines(run)[::-1]:
            if 'step' not in record and any(k in record for k in METRICS):
                return {k: record[k] for k in METRICS if k in record}
    return {}


def plot_curves(work_dir: str, out: str) -> str:
    """Training loss per iteration and the validation metric (at the
    iteration it was measured) of the newest training run."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    runs = sorted(
        glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    records = _json_lines(runs[-1]) if runs else []
    train = [r for r in records if 'loss' in r]
    # validation steps count epochs in epoch-based runs, else iterations
    last_iter = {}
    for r in train:
        if 'epoch' in r:
            last_iter[r['epoch']] = max(
                last_iter.get(r['epoch'], 0), r['iter'])
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([r['iter'] for r in train], [r['loss'] for r in train],
            color='tab:blue',
            linewidth=1)
    ax.set_xlabel('iteration')
    ax.set_ylabel('training loss', color='tab:blue')
    metric = next((k for r in records for k in METRICS if k in r), None)
    if metric:
        points = [(last_iter.get(r['step'], r['step']), r[metric])
                  for r in records if metric in r]
        twin = ax.twinx()
        twin.plot(*zip(*points), 'o-', color='tab:red')
        twin.set_ylabel(f'validation {METRICS[metric][0]}', color='tab:red')
    ax.set_title('/'.join(osp.normpath(work_dir).split(osp.sep)[-2:]))
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('work_dirs', nargs='+')
    args = parser.parse_args(argv)
    lines = []
    for work_dir in args.work_dirs:
        name = '/'.join(osp.normpath(work_dir).split(osp.sep)[-2:])
        curve = plot_curves(work_dir, osp.join(work_dir, 'training_curve.png'))
        print(f'{name}: training curve {curve}')
        for key, value in test_metrics(work_dir).items():
            label, percent = METRICS[key]
            text = f'{value:.1f}' if percent else f'{value:.3f}'
            lines.append(f'{name}: {label} {text}')
        baseline = osp.join(work_dir, 'baseline.json')
        if osp.isfile(baseline):
            with open(baseline) as f:
                value = json.load(f)['coco/AP']
            lines.append(f'{name}: keypoint AP of the mean pose in each box '
                         f'{value:.3f}')
    print('\n'.join(lines))
    return lines


if __name__ == '__main__':
    main()
