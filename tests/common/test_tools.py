"""tools/train.py, tools/test.py and tools/dist_train.sh on the tiny sets:
training with empty images and mixed sizes, COCO / mIoU evaluation, resume
after an interruption, and a 2-process CPU (gloo) run."""
import copy
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch
from helpers import ROOT
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from mmscalablevit.apis import test as test_api
from mmscalablevit.apis import train as train_api

DET = osp.join(ROOT, 'configs/quickstart/mask_rcnn_scalablevit_tiny_shapes.py')
SEG = osp.join(ROOT, 'configs/quickstart/semfpn_scalablevit_tiny_shapes.py')


def _loader_options(root, batch):
    """Data roots of the three loaders, and no worker processes."""
    options = [f'train_dataloader.batch_size={batch}']
    for split in ('train', 'val', 'test'):
        options += [
            f'{split}_dataloader.dataset.data_root={root}',
            f'{split}_dataloader.num_workers=0',
            f'{split}_dataloader.persistent_workers=False',
        ]
    return options


def det_options(data_root, epochs=1, batch=2):
    root = osp.join(data_root, 'tiny_coco') + '/'
    return _loader_options(root, batch) + [
        f'val_evaluator.ann_file={root}annotations/instances_val.json',
        f'test_evaluator.ann_file={root}annotations/instances_val.json',
        f'train_cfg.max_epochs={epochs}',
        f'train_cfg.val_interval={epochs}',
        f'default_hooks.checkpoint.interval=1',
        'default_hooks.checkpoint.max_keep_ckpts=3',
        'randomness.seed=0',
    ]


def seg_options(data_root, iters=4, batch=2):
    root = osp.join(data_root, 'tiny_ade')
    return _loader_options(root, batch) + [
        f'train_cfg.max_iters={iters}',
        f'train_cfg.val_interval={iters}',
        f'default_hooks.checkpoint.interval={iters}',
    ]


@HOOKS.register_module(force=True)
class CrashAfterEpochHook(Hook):
    """Simulates a job killed after the first epoch's checkpoint."""
    priority = 'LOWEST'

    def after_train_epoch(self, runner):
        if runner.epoch == 0:  # 0-based: the first epoch has just ended
            raise KeyboardInterrupt('simulated interruption')


def test_train_with_empty_images_then_test_prints_coco_map(
        tiny_data, tmp_path, capsys):
    import json
    ann = json.load(
        open(
            osp.join(tiny_data, 'tiny_coco', 'annotations',
                     'instances_train.json')))
    annotated = {a['image_id'] for a in ann['annotations']}
    assert len(annotated) < len(ann['images']), 'the set has empty images'
    sizes = {(i['height'], i['width']) for i in ann['images']}
    assert any(h % 32 or w % 32 for h, w in sizes) and len(sizes) > 1

    work = str(tmp_path / 'det')
    runner = train_api.main([DET, '--work-dir', work, '--cfg-options'] +
                            det_options(tiny_data))
    assert runner.iter == 4  # 8 images (empty ones kept), batch 2
    ckpt = osp.join(work, 'epoch_1.pth')
    assert osp.isfile(ckpt)
    metrics = test_api.main([DET, ckpt, '--work-dir', work, '--cfg-options'] +
                            det_options(tiny_data))
    for key in ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/segm_mAP'):
        assert 0. <= metrics[key] <= 1.
    assert 'Average Precision' in capsys.readouterr().out


def test_segmentation_train_and_test_prints_miou(tiny_data, tmp_path):
    work = str(tmp_path / 'seg')
    train_api.main([SEG, '--work-dir', work, '--cfg-options'] +
                   seg_options(tiny_data))
    ckpt = osp.join(work, 'iter_4.pth')
    metrics = test_api.main([SEG, ckpt, '--work-dir', work, '--cfg-options'] +
                            seg_options(tiny_data))
    assert 0. <= metrics['mIoU'] <= 100.


def with_hook(tmp_path, hook):
    """The quick-start detection config plus a custom hook."""
    path = tmp_path / f'det_{hook}.py'
    path.write_text(f"_base_ = ['{DET}']\n"
                    f"custom_hooks = [dict(type='{hook}')]\n")
    return str(path)


def test_resume_continues_with_same_state(tiny_data, tmp_path):
    work = str(tmp_path / 'resume')
    options = det_options(tiny_data, epochs=2)
    with pytest.raises(KeyboardInterrupt):
        train_api.main([
            with_hook(tmp_path, 'CrashAfterEpochHook'), '--work-dir', work,
            '--cfg-options'
        ] + options)
    saved = torch.load(osp.join(work, 'epoch_1.pth'), weights_only=True)
    assert saved['meta']['epoch'] == 1 and saved['meta']['iter'] == 4

    # torch >= 2.6 loads with weights_only=True; mmengine's own checkpoint
    # objects are allow-listed by `import mmscalablevit`.
    resumed = {}

    @HOOKS.register_module(force=True)
    class RecordResumeHook(Hook):

        def before_train(self, runner):
            resumed['epoch'], resumed['iter'] = runner.epoch, runner.iter
            resumed['optim'] = copy.deepcopy(runner.optim_wrapper.state_dict())
            resumed['lr'] = [s.last_step for s in runner.param_schedulers]

    runner = train_api.main([
        with_hook(tmp_path, 'RecordResumeHook'), '--work-dir', work,
        '--resume', '--cfg-options'
    ] + options)
    assert (resumed['epoch'], resumed['iter']) == (1, 4)
    saved_state = saved['optimizer']['state']
    for key, state in resumed['optim']['state'].items():
        torch.testing.assert_close(state['exp_avg'],
                                   saved_state[key]['exp_avg'])
        assert state['step'] == saved_state[key]['step']
    assert resumed['lr'] == [s['last_step'] for s in saved['param_schedulers']]
    assert (runner.epoch, runner.iter) == (2, 8)
    assert osp.isfile(osp.join(work, 'epoch_2.pth'))


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return str(s.getsockname()[1])


@pytest.mark.parametrize('task', ['det', 'seg'])
def test_dist_train_two_cpu_processes(task, tiny_data, tmp_path):
    """tools/dist_train.sh CONFIG 2 without GPUs: gloo, DDP on CPU, SyncBN
    turned into BN; both ranks train and rank 0 saves the checkpoint; DDP does
    not warn of gradient layouts."""
    work = str(tmp_path / task)
    config, options, ckpt = ((DET, det_options(tiny_data, batch=1),
                              'epoch_1.pth') if task == 'det' else
                             (SEG, seg_options(tiny_data, iters=2, batch=1),
                              'iter_2.pth'))
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
