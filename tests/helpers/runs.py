"""Running the package's tools on the tiny sets: config overrides that
point the quick-start configs at generated data, shorten them and keep the
data pipeline in the test process."""
import os.path as osp

from mmscalablevit.apis import test as test_api
from mmscalablevit.apis import train as train_api

from . import ROOT

QUICKSTART = osp.join(ROOT, 'configs', 'quickstart')
DET = osp.join(QUICKSTART, 'mask_rcnn_scalablevit_tiny_shapes.py')
SEG = osp.join(QUICKSTART, 'semfpn_scalablevit_tiny_shapes.py')
POSE = osp.join(QUICKSTART, 'topdown_scopevit_tiny_people.py')


def loader_options(root, batch):
    """Data roots of the three loaders, and no worker processes."""
    options = [f'train_dataloader.batch_size={batch}']
    for split in ('train', 'val', 'test'):
        options += [
            f'{split}_dataloader.dataset.data_root={root}',
            f'{split}_dataloader.num_workers=0',
            f'{split}_dataloader.persistent_workers=False',
        ]
    return options


def det_options(data_root, epochs=1, batch=2, checkpoint_interval=1):
    root = osp.join(data_root, 'tiny_coco') + '/'
    return loader_options(root, batch) + [
        f'val_evaluator.ann_file={root}annotations/instances_val.json',
        f'test_evaluator.ann_file={root}annotations/instances_val.json',
        f'train_cfg.max_epochs={epochs}',
        f'train_cfg.val_interval={epochs}',
        f'default_hooks.checkpoint.interval={checkpoint_interval}',
        'default_hooks.checkpoint.max_keep_ckpts=3',
        'randomness.seed=0',
    ]


def seg_options(data_root, iters=4, batch=2, checkpoint_interval=None):
    root = osp.join(data_root, 'tiny_ade')
    return loader_options(root, batch) + [
        f'train_cfg.max_iters={iters}',
        f'train_cfg.val_interval={iters}',
        f'default_hooks.checkpoint.interval={checkpoint_interval or iters}',
        'randomness.seed=0',
    ]


def pose_options(data_root, epochs=1, batch=4):
    root = osp.join(data_root, 'tiny_pose') + '/'
    ann = f'{root}annotations/person_keypoints_val.json'
    return loader_options(root, batch) + [
        f'val_dataloader.dataset.bbox_file={root}person_detection_results/'
        'detections_val.json',
        f'test_dataloader.dataset.bbox_file={root}person_detection_results/'
        'detections_val.json',
        f'val_evaluator.ann_file={ann}',
        f'test_evaluator.ann_file={ann}',
        f'train_cfg.max_epochs={epochs}',
        f'train_cfg.val_interval={epochs}',
        f'default_hooks.checkpoint.interval={epochs}',
        'randomness.seed=0',
    ]


def train(config, work_dir, options, *extra):
    """tools/train.py CONFIG --work-dir DIR [extra] --cfg-options ...:
    the runner."""
    return train_api.main(
        [config, '--work-dir',
         str(work_dir), *extra, '--cfg-options'] + list(options))


def evaluate(config, checkpoint, work_dir, options, *extra):
    """tools/test.py CONFIG CKPT --work-dir DIR [extra] --cfg-options ...:
    the metrics."""
    return test_api.main([
        config,
        str(checkpoint), '--work-dir',
        str(work_dir), *extra, '--cfg-options'
    ] + list(options))


def train_then_test(config, options, checkpoint, work_dir):
    """Train, then test the named checkpoint of the work dir: metrics."""
    train(config, work_dir, options)
    return evaluate(config, osp.join(str(work_dir), checkpoint), work_dir,
                    options)
