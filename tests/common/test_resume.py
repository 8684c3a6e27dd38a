"""Kill-and-resume equals the uninterrupted run, bit for bit, with
stochastic depth and random augmentation on, for the detection (epoch-based)
and segmentation (iteration-based) quick-start configs, shortened; and a
resumed run restores the optimizer and schedulers."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

from mmscalablevit.checkpoint import read_checkpoint

from ..helpers.runs import DET, SEG, det_options, seg_options, train


@HOOKS.register_module(force=True)
class KillAfterCheckpointHook(Hook):
    """Stops the job right after the checkpoint of epoch / iteration
    ``at`` was written (as a kill would), before anything else runs."""
    priority = 'LOWEST'  # after CheckpointHook

    def __init__(self, at, by_epoch):
        self.at, self.by_epoch = at, by_epoch

    def after_train_epoch(self, runner):
        if self.by_epoch and runner.epoch + 1 == self.at:
            raise KeyboardInterrupt('killed')

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        if not self.by_epoch and runner.iter + 1 == self.at:
            raise KeyboardInterrupt('killed')


def with_hook(tmp_path, config, hook):
    path = tmp_path / f'{osp.basename(config)[:-3]}_killed.py'
    # custom_hooks replaces the config's list: its ExactResumeHook is named
    # again, as a user's config that sets custom_hooks has to
    path.write_text(f"_base_ = ['{config}']\ncustom_hooks = ["
                    f"dict(type='mmscalablevit.ExactResumeHook'), {hook}]\n")
    return str(path)


def final_state(work_dir, name):
    return read_checkpoint(osp.join(str(work_dir), name))['state_dict']


def assert_identical(a, b):
    assert a.keys() == b.keys()
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, different[:5]


@pytest.mark.parametrize('task', ['det', 'seg'])
def test_kill_and_resume_equals_uninterrupted_run(task, tiny_data, tmp_path):
    if task == 'det':
        config, by_epoch, final = DET, True, 'epoch_2.pth'
        # validation after every epoch: it draws random numbers between the
        # checkpoint and the next epoch in the uninterrupted run only
        options = det_options(
            tiny_data, epochs=2) + ['train_cfg.val_interval=1']
    else:
        config, by_epoch, final = SEG, False, 'iter_4.pth'
        options = seg_options(
            tiny_data, iters=4,
            checkpoint_interval=2) + ['train_cfg.val_interval=2']
    options = options + ['model.backbone.drop_path_rate=0.1']

    train(config, tmp_path / 'whole', options)
    at = 1 if by_epoch else 2  # the first checkpoint
    killed = with_hook(
        tmp_path, config,
        f"dict(type='KillAfterCheckpointHook', at={at}, by_epoch={by_epoch})")
    with pytest.raises(KeyboardInterrupt):
        train(killed, tmp_path / 'resumed', options)
    assert not osp.exists(osp.join(tmp_path, 'resumed', final))
    train(config, tmp_path / 'resumed', options, '--resume')

    assert_identical(
        final_state(tmp_path / 'whole', final),
        final_state(tmp_path / 'resumed', final))


def test_resume_restores_optimizer_and_schedulers(tiny_data, tmp_path):
    work = tmp_path / 'resume'
    options = det_options(tiny_data, epochs=2)
    killed = with_hook(
        tmp_path, DET, "dict(type='KillAfterCheckpointHook', at=1, "
        'by_epoch=True)')
    with pytest.raises(KeyboardInterrupt):
        train(killed, work, options)
    saved = read_checkpoint(osp.join(work, 'epoch_1.pth'))
    assert saved['meta']['epoch'] == 1 and saved['meta']['iter'] == 4
    resumed = {}

    @HOOKS.register_module(force=True)
    class RecordResumeHook(Hook):

        def before_train(self, runner):
            resumed['epoch'], resumed['iter'] = runner.epoch, runner.iter
            resumed['optim'] = copy.deepcopy(runner.optim_wrapper.state_dict())
            resumed['lr'] = [s.last_step for s in runner.param_schedulers]

    recorded = with_hook(tmp_path, DET, "dict(type='RecordResumeHook')")
    runner = train(recorded, work, options, '--resume')
    assert (resumed['epoch'], resumed['iter']) == (1, 4)
    saved_state = saved['optimizer']['state']
    for key, state in resumed['optim']['state'].items():
        assert torch.equal(state['exp_avg'], saved_state[key]['exp_avg'])
        assert state['step'] == saved_state[key]['step']
    assert resumed['lr'] == [s['last_step'] for s in saved['param_schedulers']]
    assert (runner.epoch, runner.iter) == (2, 8)
    assert osp.isfile(osp.join(work, 'epoch_2.pth'))
