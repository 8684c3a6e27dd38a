"""The dense-prediction interface every backbone of the package shares (as
mmdet's Swin and mmpretrain's Twins have it): an ``arch_zoo`` plus custom
arch dicts, ``out_indices``, ``frozen_stages``, ``norm_eval``,
``init_cfg=dict(type='Pretrained', checkpoint=PATH_OR_URL)`` and input
checks with clear errors."""
from copy import deepcopy
from numbers import Integral, Real
from typing import Dict, Sequence

import torch
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm


def check_rate(name: str, value) -> float:
    """A probability argument: a number in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, Real) \
            or not 0 <= value < 1:
        raise ValueError(f'{name} must be a number in [0, 1), got {value!r}.')
    return float(value)


def check_positive(name: str, values, integer: bool = True, minimum=1):
    """Every entry of ``values`` is an int (or a number) >= ``minimum``."""
    kind = Integral if integer else Real
    for value in values:
        if isinstance(value, bool) or not isinstance(value, kind) \
                or value < minimum:
            what = 'integers' if integer else 'numbers'
            raise ValueError(f'{name} must be {what} >= {minimum}, got '
                             f'{list(values)}.')
    return list(values)


class PyramidBackbone(BaseModule):
    """Base of the four-stage (strides 4, 8, 16, 32) backbones.

    Subclasses set :attr:`arch_zoo` (names -> arch dicts),
    :attr:`arch_keys` (the keys a custom dict must have, one value per
    stage) and :attr:`optional_arch_keys` (key -> default), the
    :attr:`key_map` of their released checkpoints, and implement
    :meth:`_stage_modules` and :meth:`default_init`.
    """
    arch_zoo: Dict[str, dict] = {}
    arch_keys: tuple = ()
    optional_arch_keys: dict = {}
    key_map = None
    min_input_size = 32  # the total stride

    # ------------------------------------------------------------ arguments
    @classmethod
    def parse_arch(cls, arch) -> dict:
        """An arch name of :attr:`arch_zoo` (any case) or a custom dict ->
        a checked copy of the arch dict."""
        name = cls.__name__
        if isinstance(arch, str):
            key = arch.lower()
            if key not in cls.arch_zoo:
                raise ValueError(
                    f'Unknown {name} arch {arch!r}. Valid archs: '
                    f'{sorted(cls.arch_zoo)}, or a dict with the keys '
                    f'{list(cls.arch_keys)}.')
            return deepcopy(cls.arch_zoo[key])
        if not isinstance(arch, dict):
            raise TypeError(f'{name} arch must be a str or a dict, got '
                            f'{type(arch).__name__}.')
        allowed = (*cls.arch_keys, *cls.optional_arch_keys)
        missing = [k for k in cls.arch_keys if k not in arch]
        extra = [k for k in arch if k not in allowed]
        if missing or extra:
            raise ValueError(
                f'Custom {name} arch: missing keys {missing}, unknown keys '
                f'{extra}. A custom arch needs {list(cls.arch_keys)}'
                + (f' and may set {list(cls.optional_arch_keys)}'
                   if cls.optional_arch_keys else '') + '.')
        lengths = {k: len(arch[k]) for k in cls.arch_keys}
        if len(set(lengths.values())) != 1:
            raise ValueError(f'Custom {name} arch: every entry needs one '
                             f'value per stage; got lengths {lengths}.')
        parsed = {k: list(arch[k]) for k in cls.arch_keys}
        for key, default in cls.optional_arch_keys.items():
            parsed[key] = deepcopy(arch.get(key, default))
        check_positive(f'Custom {name} arch: depths (every stage needs at '
                       'least one block)', parsed['depths'])
        return parsed

    def _set_arch(self, arch, in_channels: int) -> dict:
        """Parse ``arch`` and set ``arch_settings``, ``embed_dims``,
        ``depths``, ``num_stages`` and ``in_channels``."""
        self.arch_settings = settings = self.parse_arch(arch)
        self.embed_dims = list(settings['embed_dims'])
        self.depths = list(settings['depths'])
        self.num_stages = len(self.depths)
        check_positive('in_channels', [in_channels])
        self.in_channels = in_channels
        return settings

    def _set_dense_options(self, out_indices, frozen_stages, norm_eval):
        """Check and store ``out_indices``, ``frozen_stages``, ``norm_eval``
        (after ``self.num_stages`` is set)."""
        if isinstance(out_indices, int):
            out_indices = [out_indices]
        indices = []
        for idx in out_indices:
            real = idx + self.num_stages if idx < 0 else idx
            if not 0 <= real < self.num_stages:
                raise ValueError(f'out_indices {tuple(out_indices)} must be '
                                 f'in [0, {self.num_stages - 1}].')
            indices.append(real)
        if not indices:
            raise ValueError('out_indices is empty: name at least one stage '
                             f'in [0, {self.num_stages - 1}].')
        self.out_indices = tuple(indices)
        if isinstance(frozen_stages, bool) or not isinstance(
                frozen_stages, int) or not \
                -1 <= frozen_stages <= self.num_stages:
            raise ValueError(f'frozen_stages must be an int in [-1, '
                             f'{self.num_stages}], got {frozen_stages!r}.')
        self.frozen_stages = frozen_stages
        self.norm_eval = bool(norm_eval)

    def check_input(self, x: torch.Tensor) -> None:
        """A (B, in_channels, H, W) batch, B >= 1, H and W >= 32."""
        name = type(self).__name__
        if not isinstance(x, torch.Tensor) or x.dim() != 4:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else \
                type(x).__name__
            raise ValueError(f'{name} takes a 4-D (B, C, H, W) image batch; '
                             f'got {shape}. Add the batch dimension, e.g. '
                             'x[None].')
        B, C, H, W = x.shape
        if B == 0:
            raise ValueError(f'{name} got an empty batch {tuple(x.shape)}.')
        if C != self.in_channels:
            raise ValueError(f'{name} was built for {self.in_channels} input '
                             f'channels; got {C} ({tuple(x.shape)}).')
        size = self.min_input_size
        if H < size or W < size:
            raise ValueError(
                f'{name} needs inputs of at least {size}x{size} pixels (its '
                f'total stride); got {H}x{W}. Resize or pad the image.')

    # ------------------------------------------------------- freeze / train
    def _stage_modules(self, i: int) -> list:
        """The modules of stage ``i`` (its downsampling included)."""
        raise NotImplementedError

    def _frozen_modules(self) -> list:
        """-1: none; 0: the stem (stage 0's patch embedding); k >= 1: the
        stem and stages 0..k-1."""
        if self.frozen_stages < 0:
            return []
        modules = list(self._stem_modules())
        for i in range(self.frozen_stages):
            modules += self._stage_modules(i)
        return modules

    def _stem_modules(self) -> list:
        return self._stage_modules(0)[:1]

    def _freeze_stages(self):
        for module in self._frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True):
        """Frozen stages stay in eval mode; with ``norm_eval`` every
        BatchNorm does (its running statistics are kept)."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self

    # ----------------------------------------------------------------- init
    def default_init(self):
        """The released code's initialisation."""

    def init_weights(self):
        init_cfg = self.init_cfg
        if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
            from ...checkpoint import load_pretrained
            load_pretrained(self, init_cfg['checkpoint'],
                            init_cfg.get('prefix'))
        elif init_cfg is not None:
            super().init_weights()
        else:
            self.default_init()
        self._is_init = True

    @staticmethod
    def stage_sizes(size: Sequence[int], num_stages: int = 4) -> list:
        """Stage map sizes of an (H, W) input: ceil(H / 4), then halving
        with ceil."""
        h, w = (-(-size[0] // 4), -(-size[1] // 4))
        sizes = [(h, w)]
        for _ in range(num_stages - 1):
            h, w = -(-h // 2), -(-w // 2)
            sizes.append((h, w))
        return sizes
