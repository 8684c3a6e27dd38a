"""What tools/train.py and tools/test.py share: one code path for mmdet,
mmseg and mmpretrain configs, chosen by the config's ``default_scope``."""
import os
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config, ConfigDict

TOOLKITS = ('mmdet', 'mmseg', 'mmpretrain')


def toolkit_of(cfg: Config) -> str:
    """The toolkit a config belongs to, from its ``default_scope``."""
    scope = cfg.get('default_scope')
    if scope not in TOOLKITS:
        raise ValueError(
            f'Config default_scope is {scope!r}; the tools run configs whose '
            f'default_scope is one of {TOOLKITS} (inherit an mmdet::, mmseg:: '
            'or mmpretrain:: base, or set default_scope).')
    return scope


def load_config(path: str,
                cfg_options: Optional[dict] = None,
                launcher: str = 'none',
                work_dir: Optional[str] = None) -> Config:
    """Read a config, apply ``--cfg-options``, the launcher and the work
    directory (CLI > config > ``./work_dirs/<config name>``)."""
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(path))[0])
    return cfg


def _sync_bn_to_bn(node):
    if isinstance(node, dict):
        if node.get('type') in ('SyncBN', 'MMSyncBN'):
            node['type'] = 'BN'
        for value in node.values():
            _sync_bn_to_bn(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _sync_bn_to_bn(value)


def setup_cpu_distributed(cfg: Config) -> None:
    """Make ``--launcher pytorch`` work on machines without CUDA.

    mmengine's launcher calls ``torch.cuda.set_device`` unconditionally, DDP
    rejects ``device_ids`` for CPU modules and SyncBN needs CUDA: the process
    group is started here with gloo (the runner then skips its own init), DDP
    gets ``device_ids=None`` and SyncBN becomes BN.
    """
    import torch.distributed as dist
    if cfg.launcher != 'pytorch' or torch.cuda.is_available():
        return
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    env_cfg = cfg.setdefault('env_cfg', ConfigDict())
    env_cfg['dist_cfg'] = dict(backend='gloo')
    wrapper = cfg.get('model_wrapper_cfg') or ConfigDict(
        type='MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    _sync_bn_to_bn(cfg.model)


def build_runner(cfg: Config):
    """Build the runner the way the config's toolkit does."""
    toolkit = toolkit_of(cfg)
    if toolkit == 'mmdet':
        from mmdet.utils import setup_cache_size_limit_of_dynamo
        setup_cache_size_limit_of_dynamo()
    setup_cpu_distributed(cfg)
    if 'runner_type' in cfg:
        from mmengine.registry import RUNNERS
        return RUNNERS.build(cfg)
    from mmengine.runner import Runner
    return Runner.from_cfg(cfg)


def add_launch_args(parser, cfg_options_help: str) -> None:
    """The arguments train and test share: ``--cfg-options``, ``--launcher``
    and ``--local_rank`` (older launchers pass it instead of LOCAL_RANK)."""
    from mmengine.config import DictAction
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help=cfg_options_help)
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_launch_args(parser, argv=None):
    """Parse, and export ``--local_rank`` as LOCAL_RANK if unset."""
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args
