"""The quick-start models learn: a shortened quick-start schedule on the
built-in tiny sets reaches clearly-above-chance COCO mAP and mIoU, for each
backbone (the full schedule, tools/quickstart.sh, is reported in the
README). These would catch a backbone whose outputs are right but that
cannot be trained downstream. Minutes each (4 epochs / 150 iterations on
200 images): slow, run with --runslow."""
import os.path as osp

import pytest

from ..helpers.runs import QUICKSTART, train_then_test

BACKBONES = ['scalablevit', 'scopevit']


@pytest.fixture(scope='module')
def shapes_data(tmp_path_factory):
    from mmscalablevit.datasets import make_ade_shapes, make_coco_shapes
    root = tmp_path_factory.mktemp('shapes')
    make_coco_shapes(str(root / 'tiny_coco'))
    make_ade_shapes(str(root / 'tiny_ade'))
    return str(root)


def _data_options(root, keys=('train', 'val', 'test')):
    return [f'{split}_dataloader.dataset.data_root={root}' for split in keys]


@pytest.mark.slow
@pytest.mark.parametrize('backbone', BACKBONES)
def test_mask_rcnn_learns_boxes_and_masks(backbone, shapes_data, tmp_path):
    config = osp.join(QUICKSTART, f'mask_rcnn_{backbone}_tiny_shapes.py')
    coco = osp.join(shapes_data, 'tiny_coco') + '/'
    options = _data_options(coco) + [
        f'val_evaluator.ann_file={coco}annotations/instances_val.json',
        f'test_evaluator.ann_file={coco}annotations/instances_val.json',
        'train_cfg.max_epochs=4', 'train_cfg.val_interval=4',
        'default_hooks.checkpoint.interval=4',
        'param_scheduler.1.milestones=[3]', 'param_scheduler.1.end=4'
    ]
    metrics = train_then_test(config, options, 'epoch_4.pth', tmp_path)
    assert metrics['coco/bbox_mAP'] > 0.3, metrics
    assert metrics['coco/segm_mAP'] > 0.3, metrics


@pytest.mark.slow
@pytest.mark.parametrize('backbone', BACKBONES)
def test_semantic_fpn_learns_shapes(backbone, shapes_data, tmp_path):
    config = osp.join(QUICKSTART, f'semfpn_{backbone}_tiny_shapes.py')
    ade = osp.join(shapes_data, 'tiny_ade')
    options = _data_options(ade) + [
        'train_cfg.max_iters=150', 'train_cfg.val_interval=150',
        'default_hooks.checkpoint.interval=150', 'param_scheduler.1.end=150'
    ]
    metrics = train_then_test(config, options, 'iter_150.pth', tmp_path)
    # 4 classes; predicting background everywhere gives about 22 mIoU
    assert metrics['mIoU'] > 40, metrics
