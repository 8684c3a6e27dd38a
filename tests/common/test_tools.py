"""tools/train.py, tools/test.py and tools/dist_train.sh on the tiny sets:
they run the toolkits' own scripts (so their options work), train with
empty images and mixed sizes, evaluate, and run 2 CPU processes over gloo."""
import json
import os
import os.path as osp
import pickle
import socket
import subprocess

import numpy as np
import pytest
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from ..helpers import ROOT
from ..helpers.runs import (DET, POSE, SEG, det_options, evaluate,
                            pose_options, seg_options, train)


def test_detection_train_then_test(tiny_data, tmp_path, capsys):
    """Empty images and sizes that are not multiples of 32 train; the test
    tool reloads the checkpoint and reproduces the validation at the end of
    training exactly; --out dumps one prediction per image."""
    ann = json.load(
        open(
            osp.join(tiny_data, 'tiny_coco', 'annotations',
                     'instances_train.json')))
    annotated = {a['image_id'] for a in ann['annotations']}
    assert len(annotated) < len(ann['images']), 'the set has empty images'
    sizes = {(i['height'], i['width']) for i in ann['images']}
    assert any(h % 32 or w % 32 for h, w in sizes) and len(sizes) > 1

    work = tmp_path / 'det'
    options = det_options(tiny_data)
    runner = train(DET, work, options)
    assert runner.iter == 4  # 8 images (empty ones kept), batch 2
    validated = runner.message_hub.get_scalar('val/coco/bbox_mAP').current()
    out = tmp_path / 'predictions.pkl'
    metrics = evaluate(DET, work / 'epoch_1.pth', work, options, '--out',
                       str(out))
    assert metrics['coco/bbox_mAP'] == validated
    assert {'coco/bbox_mAP_50', 'coco/segm_mAP'} <= set(metrics)
    assert 'Average Precision' in capsys.readouterr().out
    with open(out, 'rb') as f:
        predictions = pickle.load(f)
    assert len(predictions) == 4  # the val images
    assert all('bboxes' in p['pred_instances'] for p in predictions)


def test_segmentation_test_reports_the_iou_of_its_saved_maps(
        tiny_data, tmp_path):
    """mIoU printed by the test tool equals the IoU recomputed from the
    prediction maps it saves (--out) against the ground truth."""
    import cv2
    work = tmp_path / 'seg'
    options = seg_options(tiny_data)
    train(SEG, work, options)
    out = tmp_path / 'maps'
    metrics = evaluate(SEG, work / 'iter_4.pth', work, options, '--out',
                       str(out))
    ann_dir = osp.join(tiny_data, 'tiny_ade', 'annotations', 'validation')
    inter, union = np.zeros(4), np.zeros(4)
    names = sorted(os.listdir(ann_dir))
    assert sorted(os.listdir(out)) == names
    for name in names:
        label = cv2.imread(osp.join(ann_dir, name), cv2.IMREAD_UNCHANGED)
        pred = cv2.imread(str(out / name), cv2.IMREAD_UNCHANGED)
        assert pred.shape == label.shape
        # ADE20K format (0 = unlabelled): reduce_zero_label on both
        valid = label > 0
        label, pred = label[valid].astype(int) - 1, pred[valid].astype(int) - 1
        for c in range(4):
            inter[c] += np.sum((label == c) & (pred == c))
            union[c] += np.sum((label == c) | (pred == c))
    present = union > 0
    expected = 100 * np.mean(inter[present] / union[present])
    assert metrics['mIoU'] == pytest.approx(expected, abs=0.01)


def test_show_dir_saves_drawn_predictions(tiny_data, tmp_path):
    """--show-dir (the toolkits' own option; tools/test.py run as a user
    does, in its own process) draws the test predictions."""
    import sys
    jobs = [(DET, det_options(tiny_data), 'epoch_1.pth'),
            (SEG, seg_options(tiny_data, iters=1), 'iter_1.pth')]
    for i, (config, options, ckpt) in enumerate(jobs):
        work, shown = tmp_path / f'w{i}', tmp_path / f'shown{i}'
        train(config, work, options)
        subprocess.run(
            [
                sys.executable,
                osp.join(ROOT, 'tools', 'test.py'), config,
                str(work / ckpt), '--work-dir',
                str(work), '--show-dir',
                str(shown), '--cfg-options'
            ] + options,
            check=True,
            capture_output=True,
            timeout=600)
        drawn = [
            f for _, _, files in os.walk(shown) for f in files
            if f.endswith(('.jpg', '.png'))
        ]
        assert len(drawn) == 4, (config, drawn)


@HOOKS.register_module(force=True)
class RecordStartHook(Hook):
    started = {}

    def before_train(self, runner):
        RecordStartHook.started = dict(
            iter=runner.iter,
            lr=[s.base_values for s in runner.param_schedulers])


def _with_record_hook(tmp_path, config):
    path = tmp_path / 'recorded.py'
    path.write_text(f"_base_ = ['{config}']\n"
                    "custom_hooks = [dict(type='RecordStartHook')]\n")
    return str(path)


def test_mmdet_auto_scale_lr(tiny_data, tmp_path):
    """mmdet's --auto-scale-lr: lr x real batch / base batch (16)."""
    config = _with_record_hook(tmp_path, DET)
    train(config, tmp_path / 'w', det_options(tiny_data, batch=2),
          '--auto-scale-lr')
    lr = RecordStartHook.started['lr'][0][0]
    assert lr == pytest.approx(4e-4 * 2 / 16)


def test_mmseg_resume_from_a_given_checkpoint(tiny_data, tmp_path):
    """--resume CKPT for a segmentation config (mmseg's own script only has
    --resume for the latest checkpoint of the work dir)."""
    train(SEG, tmp_path / 'first', seg_options(tiny_data, iters=2))
    config = _with_record_hook(tmp_path, SEG)
    runner = train(config, tmp_path / 'second',
                   seg_options(tiny_data, iters=4), '--resume',
                   str(tmp_path / 'first' / 'iter_2.pth'))
    assert RecordStartHook.started['iter'] == 2 and runner.iter == 4


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])


@pytest.mark.parametrize(
    'task',
    ['det', 'seg', pytest.param('pose', marks=pytest.mark.slow)])
def test_dist_train_two_cpu_processes(task, tiny_data, tmp_path):
    """tools/dist_train.sh CONFIG 2 without GPUs: gloo, DDP on CPU, SyncBN
    turned into BN; both ranks train, rank 0 saves the checkpoint, DDP does
    not warn of gradient layouts, and the job exits 0."""
    work = str(tmp_path / task)
    config, options, ckpt = {
        'det': (DET, det_options(tiny_data, batch=1), 'epoch_1.pth'),
        'seg': (SEG, seg_options(tiny_data, iters=2, batch=1), 'iter_2.pth'),
        'pose': (POSE, pose_options(tiny_data, batch=2), 'epoch_1.pth'),
    }[task]
    env = dict(
        os.environ,
        PORT=_free_port(),
        OMP_NUM_THREADS='1',
        CUDA_VISIBLE_DEVICES='')
    proc = subprocess.run(
        [
            'bash',
            osp.join(ROOT, 'tools/dist_train.sh'), config, '2', '--work-dir',
            work, '--cfg-options'
        ] + options,
        env=env,
        capture_output=True,
        text=True,
        timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert osp.isfile(osp.join(work, ckpt))
    log = proc.stdout + proc.stderr
    assert 'Distributed training: True' in log
    assert 'GPU number: 2' in log  # mmengine's name for the world size
    assert "backend: gloo" in log or "'backend': 'gloo'" in log
    # every parameter's gradient has its stride (no bucket-view copies)
    assert 'Grad strides do not match bucket view strides' not in log
    assert 'terminate called' not in log
