"""Resume that equals the uninterrupted run.

mmengine's resume restores weights, optimizer, schedulers and the loop
counters, but not the random number generators, so stochastic depth, data
augmentation and RoI sampling draw other numbers after a restart. Saving the
generators' states would not be enough either: between the checkpoint and
the next batch the uninterrupted run still validates (which draws from
torch's generator) and the resumed run builds a fresh loader.

:class:`ExactResumeHook` therefore makes the random state a function of the
position in the run: before every training batch is fetched, torch's
(CPU and CUDA), numpy's and Python's generators are re-seeded from
``(seed, rank, batch index)``. The seed (``randomness.seed``, chosen at
random and recorded when unset) and the position are what mmengine's
checkpoints already hold; the sampler position follows (epoch-seeded
shuffling; the infinite sampler of iteration-based loops is advanced by
mmengine itself). So a run killed and resumed from any checkpoint continues
bit for bit as the uninterrupted one.

Scope: exact where the data pipeline runs in the training process
(``num_workers=0``), and with worker processes for iteration-based loops
(their workers see the same stream again). Epoch-based loops with
``persistent_workers=True`` keep worker random state across epochs that a
restart cannot recover; there, the model's randomness and the data order
are exact and augmentations drawn inside the workers restart from their
seeds.
"""
import random

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS as MMENGINE_HOOKS

from ..checkpoint import SCHEME, CheckpointMismatchError, check_fits, family_of
from ..registry import HOOKS


def reseed(seed: int, rank: int, position: int) -> None:
    """Seed torch (all devices), numpy and Python from the three ints."""
    state = np.random.SeedSequence([seed % 2**32, rank,
                                    position]).generate_state(4)
    torch.manual_seed(int(state[0]) << 32 | int(state[1]))
    np.random.seed(state[2:])
    random.seed(int(state[3]))


class _SeededIterator:
    """Re-seeds before each batch it fetches; ``position`` counts them."""

    def __init__(self, iterator, hook, runner, start: int):
        self._iterator = iterator
        self._hook = hook
        self._runner = runner
        self.position = start

    def __iter__(self):
        return self

    def __next__(self):
        self._hook.reseed(self._runner, self.position)
        self.position += 1
        return next(self._iterator)


class _SeededLoader:
    """An epoch-based loop's dataloader whose iterators re-seed per batch
    (keyed by the global iteration); every other attribute is the loader's
    (read and written)."""
    _own = ('_loader', '_hook', '_runner')

    def __init__(self, loader, hook, runner):
        object.__setattr__(self, '_loader', loader)
        object.__setattr__(self, '_hook', hook)
        object.__setattr__(self, '_runner', runner)

    def __iter__(self):
        return _SeededIterator(
            iter(self._loader), self._hook, self._runner,
            self._runner.train_loop.iter)

    def __len__(self):
        return len(self._loader)

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def __setattr__(self, name, value):
        setattr(self._loader, name, value)


def check_resumable(model, checkpoint, source: str) -> None:
    """Resuming needs a checkpoint of the same model: raise
    :class:`CheckpointMismatchError` naming the backbone family of the
    checkpoint and of the model when they differ (mmengine would load what
    fits, warn, and fail later in the optimizer), and every mismatching
    backbone key when the family is the same."""
    backbone = getattr(model, 'backbone', None)
    key_map = getattr(backbone, 'key_map', None)
    state_dict = checkpoint.get('state_dict') if isinstance(checkpoint,
                                                            dict) else None
    if key_map is None or not isinstance(state_dict, dict):
        return
    held = {
        k[len('backbone.'):]: v
        for k, v in state_dict.items() if k.startswith('backbone.')
    }
    hint = ('Resume from a checkpoint of a run of this config; start from '
            "other weights with load_from or the backbone's init_cfg.")
    if not key_map.owns(held):
        family = family_of(held)
        what = f'a {family.name} backbone' if family else \
            f'no {key_map.name} backbone'
        raise CheckpointMismatchError(
            f'Cannot resume from {source}: it holds {what}, the config '
            f'builds a {key_map.name} backbone. {hint}')
    check_fits(backbone, held, f'Resumed checkpoint {source}', hint)


class ExactResumeHook(Hook):
    """Make resumed training equal the uninterrupted run (see the module
    docstring for how and where it holds); refuse to resume from another
    model's checkpoint (:func:`check_resumable`)."""
    priority = 'VERY_HIGH'

    def after_load_checkpoint(self, runner, checkpoint) -> None:
        if not runner.cfg.get('resume'):
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        source = runner.cfg.get('load_from') or \
            'the latest checkpoint of the work dir'
        if source.startswith(SCHEME):
            source = source[len(SCHEME):]
        check_resumable(model, checkpoint, source)

    def reseed(self, runner, position: int) -> None:
        reseed(runner.seed, runner.rank, position)

    def before_train(self, runner) -> None:
        loop = runner.train_loop
        if hasattr(loop, 'dataloader_iterator'):  # iteration-based
            loop.dataloader_iterator = _SeededIterator(
                loop.dataloader_iterator, self, runner, 0)
        elif not isinstance(loop.dataloader, _SeededLoader):
            loop.dataloader = _SeededLoader(loop.dataloader, self, runner)


HOOKS.register_module(module=ExactResumeHook)
MMENGINE_HOOKS.register_module(module=ExactResumeHook)
