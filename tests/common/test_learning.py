"""The quick-start models learn: a shortened quick-start schedule on the
built-in tiny sets reaches clearly-above-chance COCO mAP and mIoU (the full
schedule, tools/quickstart.sh, is reported in the README). These would catch
a backbone whose outputs are right but that cannot be trained downstream."""
import os.path as osp

import pytest
from helpers import ROOT

from mmscalablevit.apis import test as test_api
from mmscalablevit.apis import train as train_api


@pytest.fixture(scope='module')
def shapes_data(tmp_path_factory):
    from mmscalablevit.datasets import make_ade_shapes, make_coco_shapes
    root = tmp_path_factory.mktemp('shapes')
    make_coco_shapes(str(root / 'tiny_coco'))
    make_ade_shapes(str(root / 'tiny_ade'))
    return str(root)


def _train_then_test(config, options, checkpoint, work_dir):
    """tools/train.py, then tools/test.py on its last checkpoint: metrics."""
    work = str(work_dir)
    train_api.main([config, '--work-dir', work, '--cfg-options'] + options)
    return test_api.main([
        config,
        osp.join(work, checkpoint), '--work-dir', work, '--cfg-options'
    ] + options)


def test_mask_rcnn_learns_boxes_and_masks(shapes_data, tmp_path):
    config = osp.join(
        ROOT, 'configs/quickstart/mask_rcnn_scalablevit_tiny_shapes.py')
    coco = osp.join(shapes_data, 'tiny_coco') + '/'
    options = [
        f'train_dataloader.dataset.data_root={coco}',
        f'val_dataloader.dataset.data_root={coco}',
        f'test_dataloader.dataset.data_root={coco}',
        f'val_evaluator.ann_file={coco}annotations/instances_val.json',
        f'test_evaluator.ann_file={coco}annotations/instances_val.json',
        'train_cfg.max_epochs=4', 'train_cfg.val_interval=4',
        'default_hooks.checkpoint.interval=4', 'randomness.seed=0',
        'param_scheduler.1.milestones=[3]', 'param_scheduler.1.end=4'
    ]
    metrics = _train_then_test(config, options, 'epoch_4.pth', tmp_path)
    assert metrics['coco/bbox_mAP'] > 0.3, metrics
    assert metrics['coco/segm_mAP'] > 0.3, metrics


def test_semantic_fpn_learns_shapes(shapes_data, tmp_path):
    config = osp.join(ROOT,
                      'configs/quickstart/semfpn_scalablevit_tiny_shapes.py')
    ade = osp.join(shapes_data, 'tiny_ade')
    options = [
        f'train_dataloader.dataset.data_root={ade}',
        f'val_dataloader.dataset.data_root={ade}',
        f'test_dataloader.dataset.data_root={ade}', 'train_cfg.max_iters=150',
        'train_cfg.val_interval=150', 'default_hooks.checkpoint.interval=150',
        'param_scheduler.1.end=150', 'randomness.seed=0'
    ]
    metrics = _train_then_test(config, options, 'iter_150.pth', tmp_path)
    # 4 classes; predicting background everywhere gives about 22 mIoU
    assert metrics['mIoU'] > 40, metrics
