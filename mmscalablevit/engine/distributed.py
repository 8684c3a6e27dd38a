"""``--launcher pytorch`` on machines without CUDA, and a clean exit.

mmengine's launcher calls ``torch.cuda.set_device`` unconditionally, DDP
rejects ``device_ids`` for CPU modules and SyncBN needs CUDA: on a CPU-only
machine the process group is started here with gloo (the runner then skips
its own init), DDP gets ``device_ids=None`` and SyncBN becomes BN. At the end
the process group is destroyed: a gloo group left to the interpreter's exit
can abort a rank (``terminate called without an active exception``) after
the work is done, which torchrun reports as a failed job.
"""
import torch
import torch.distributed as dist
from mmengine.config import Config, ConfigDict


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
    """Start gloo and adapt the config when launched by torchrun on CPU."""
    if cfg.get('launcher', 'none') != 'pytorch' or torch.cuda.is_available():
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


def end_distributed(wait: bool = True) -> None:
    """Destroy the process group (if any), after every rank got here when
    ``wait`` (not after an error: the other ranks may never arrive)."""
    if dist.is_available() and dist.is_initialized():
        try:
            if wait:
                dist.barrier()
        finally:
            dist.destroy_process_group()
