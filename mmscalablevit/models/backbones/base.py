"""The dense-prediction interface every backbone of the package shares (as
mmdet's Swin and mmpretrain's Twins have it): an ``arch_zoo`` plus custom
arch dicts checked against a declarative table, ``out_indices``,
``frozen_stages``, ``norm_eval``, ``drop_path_rate``, ``with_cp``,
``init_cfg=dict(type='Pretrained', checkpoint=PATH_OR_URL)``, input checks
with clear errors, the released initialisation and the stage loop."""
import math
from copy import deepcopy
from numbers import Integral, Real
from typing import Any, Callable, Dict, NamedTuple, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmengine.model.weight_init import (constant_init, normal_init,
                                        trunc_normal_init)
from torch.nn.modules.batchnorm import _BatchNorm

from ...checkpoint import load_pretrained
from ..bricks import contiguous_nchw, shape_generic

REQUIRED = object()


def is_int(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def is_number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def check_rate(name: str, value) -> float:
    """A probability argument: a number in [0, 1)."""
    if not is_number(value) or not 0 <= value < 1:
        raise ValueError(f'{name} must be a number in [0, 1), got {value!r}.')
    return float(value)


class ArchKey(NamedTuple):
    """How one key of an arch dict is checked.

    Attributes:
        check: one stage's value (or the whole value when not
            ``per_stage``) -> whether it is valid.
        what: what a valid value is, for the error message.
        per_stage: the value is a list with one entry per stage.
        default: the value when the key is left out (``REQUIRED``: it may
            not be).
        normalise: valid value -> stored value.
    """
    check: Callable[[Any], bool]
    what: str
    per_stage: bool = True
    default: Any = REQUIRED
    normalise: Callable[[Any], Any] = deepcopy


POSITIVE_INTS = ArchKey(lambda v: is_int(v) and v >= 1, 'integers >= 1')
POSITIVE_NUMBERS = ArchKey(lambda v: is_number(v) and v > 0, 'numbers > 0')
DEPTHS = POSITIVE_INTS._replace(
    what='integers >= 1 (every stage needs at least one block)')


def heads_divide_widths(name: str, arch: dict) -> None:
    """Rule: every stage's width divides by its heads."""
    for i, (dims,
            heads) in enumerate(zip(arch['embed_dims'], arch['num_heads'])):
        if dims % heads:
            raise ValueError(
                f'{name}: stage {i}: embed_dims {dims} is not divisible by '
                f'num_heads {heads}.')


def ffns_have_width(name: str, arch: dict) -> None:
    """Rule: every FFN keeps at least one hidden channel,
    ``int(embed_dims * mlp_ratio) >= 1`` (one ratio, or one per stage)."""
    ratios = arch['mlp_ratios']
    if not isinstance(ratios, (list, tuple)):
        ratios = [ratios] * len(arch['embed_dims'])
    for dims, ratio in zip(arch['embed_dims'], ratios):
        if int(dims * ratio) < 1:
            raise ValueError(
                f'{name}: mlp_ratios {arch["mlp_ratios"]} leaves an FFN '
                f'without hidden channels for embed_dims '
                f'{arch["embed_dims"]} (int(embed_dims * mlp_ratio) must be '
                'at least 1).')


class PyramidBackbone(BaseModule):
    """Base of the pyramid backbones: a stem of stride :attr:`stem_stride`,
    then stages that each downsample by :attr:`stage_stride` (4, 8, 16, 32
    for four stages).

    Subclasses set :attr:`arch_zoo` (names -> arch dicts), :attr:`arch_spec`
    (arch key -> :class:`ArchKey`) and :attr:`arch_rules` (checks across
    keys, ``(name, arch) -> None``), the :attr:`key_map` of their released
    checkpoints, and implement :meth:`_stage_modules` and
    :meth:`forward_stage`; their ``__init__`` calls this one, builds the
    stages from ``self.arch_settings`` and ``self.drop_path_rates``, then
    :meth:`_finish_init`.

    Args:
        arch (str | dict): A name of :attr:`arch_zoo` (any case) or a dict
            of per-stage values (see the subclass).
        in_channels (int): Input channels.
        out_indices (Sequence[int]): Stages whose outputs are returned;
            negative indices count from the end. Stages after the last of
            them are not computed (their parameters get no gradient).
        frozen_stages (int): -1 freezes nothing, 0 the stem, k >= 1 the stem
            and stages 0..k-1.
        drop_path_rate (float): Stochastic depth, in [0, 1), increasing
            linearly from 0 over all blocks (:meth:`_drop_path_rates`).
        with_cp (bool): Activation checkpointing.
        norm_eval (bool): Keep every BatchNorm in eval mode in training.
    """
    arch_zoo: Dict[str, dict] = {}
    arch_spec: Dict[str, ArchKey] = {}
    arch_rules: tuple = (heads_divide_widths, ffns_have_width)
    key_map = None
    stem_stride = 4
    stage_stride = 2

    def __init__(self,
                 arch,
                 in_channels: int,
                 out_indices: Sequence[int],
                 frozen_stages: int,
                 drop_path_rate: float,
                 with_cp: bool,
                 norm_eval: bool = False,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.arch_settings = self.parse_arch(arch)
        self.embed_dims = list(self.arch_settings['embed_dims'])
        self.depths = list(self.arch_settings['depths'])
        self.num_stages = len(self.depths)
        if not is_int(in_channels) or in_channels < 1:
            raise ValueError(
                f'in_channels must be an integer >= 1, got {in_channels!r}.')
        self.in_channels = in_channels
        self._set_dense_options(out_indices, frozen_stages, norm_eval)
        self.drop_path_rates = self._drop_path_rates(
            check_rate('drop_path_rate', drop_path_rate), sum(self.depths))
        self.with_cp = with_cp
        self.min_input_size = self._min_input_size()

    # ------------------------------------------------------------ arguments
    @classmethod
    def parse_arch(cls, arch) -> dict:
        """An arch name of :attr:`arch_zoo` (any case) or a custom dict ->
        a checked copy of the arch dict."""
        name = cls.__name__
        if isinstance(arch, str):
            if arch.lower() not in cls.arch_zoo:
                raise ValueError(
                    f'Unknown {name} arch {arch!r}. Valid archs: '
                    f'{sorted(cls.arch_zoo)}, or a dict with the keys '
                    f'{cls._required_keys()}.')
            arch, name = cls.arch_zoo[arch.lower()], f'{name} arch {arch!r}'
        elif isinstance(arch, dict):
            name = f'Custom {name} arch'
        else:
            raise TypeError(f'{name} arch must be a str or a dict, got '
                            f'{type(arch).__name__}.')
        required = cls._required_keys()
        missing = [k for k in required if k not in arch]
        extra = [k for k in arch if k not in cls.arch_spec]
        if missing or extra:
            optional = [k for k in cls.arch_spec if k not in required]
            raise ValueError(
                f'{name}: missing keys {missing}, unknown keys {extra}. It '
                f'needs {required}' +
                (f' and may set {optional}' if optional else '') + '.')
        parsed = {}
        for key, spec in cls.arch_spec.items():
            value = arch.get(key, spec.default)
            entries = value if spec.per_stage else [value]
            if spec.per_stage and not isinstance(value, (list, tuple)):
                raise ValueError(
                    f'{name}: {key} must be a list with one value per stage, '
                    f'got {value!r}.')
            if not all(spec.check(v) for v in entries):
                raise ValueError(f'{name}: {key} must be {spec.what}, got '
                                 f'{value!r}.')
            parsed[key] = [spec.normalise(v) for v in entries] \
                if spec.per_stage else spec.normalise(value)
        lengths = {
            k: len(v)
            for k, v in parsed.items() if cls.arch_spec[k].per_stage
        }
        if len(set(lengths.values())) != 1:
            raise ValueError(f'{name}: every entry needs one value per '
                             f'stage; got lengths {lengths}.')
        for rule in cls.arch_rules:
            rule(name, parsed)
        return parsed

    @classmethod
    def _required_keys(cls) -> list:
        return [k for k, s in cls.arch_spec.items() if s.default is REQUIRED]

    def _set_dense_options(self, out_indices, frozen_stages, norm_eval):
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
        if not is_int(frozen_stages) or \
                not -1 <= frozen_stages <= self.num_stages:
            raise ValueError(f'frozen_stages must be an int in [-1, '
                             f'{self.num_stages}], got {frozen_stages!r}.')
        self.frozen_stages = frozen_stages
        self.norm_eval = bool(norm_eval)

    @staticmethod
    def _drop_path_rates(rate: float, total: int) -> list:
        """Block k of ``total`` gets ``rate * k / (total - 1)``, as the
        released codes' ``torch.linspace(0, rate, total)`` (float32
        values)."""
        return torch.linspace(0, rate, total).tolist()

    @property
    def stage_strides(self) -> list:
        return [
            self.stem_stride * self.stage_stride**i
            for i in range(self.num_stages)
        ]

    def _min_input_size(self) -> int:
        """The smallest input side: the total stride (the last stage is then
        one token wide). Subclasses raise it for what their stages need."""
        return self.stage_strides[-1]

    def check_input(self, x: torch.Tensor) -> None:
        """A (B, in_channels, H, W) batch, B >= 1, H and W at least
        :attr:`min_input_size`; in training, a BatchNorm must see more than
        one value per channel."""
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
                f'{name} needs inputs of at least {size}x{size} pixels (the '
                f'smallest size its {self.num_stages} stages take); got '
                f'{H}x{W}. Resize or pad the image.')
        if self.training and not shape_generic():
            self._check_batch_statistics(B, H, W)

    def _check_batch_statistics(self, B: int, H: int, W: int) -> None:
        stride = self.stage_strides[max(self.out_indices)]
        if B * math.ceil(H / stride) * math.ceil(W / stride) > 1:
            return
        if any(
                isinstance(m, _BatchNorm) and m.training
                for m in self.modules()):
            raise ValueError(
                f'{type(self).__name__} in training mode got one image of '
                f'{H}x{W}: its last stage is then 1x1, and a BatchNorm in '
                'training mode needs more than one value per channel. Train '
                f'with batches of 2 or more, inputs larger than {stride} '
                'pixels a side, or norm_eval=True.')

    # ------------------------------------------------------- freeze / train
    def _stage_modules(self, i: int) -> list:
        """The modules of stage ``i`` (its downsampling first)."""
        raise NotImplementedError

    def _frozen_modules(self) -> list:
        """-1: none; 0: the stem (stage 0's patch embedding); k >= 1: the
        stem and stages 0..k-1."""
        if self.frozen_stages < 0:
            return []
        modules = self._stage_modules(0)[:1]
        for i in range(self.frozen_stages):
            modules += self._stage_modules(i)
        return modules

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

    def _channels_last_convs(self):
        """The convs that read channels-last activations (default: all)."""
        return (m for m in self.modules() if isinstance(m, nn.Conv2d))

    def _finish_init(self):
        """After the stages are built: store the weights of the convs that
        read channels-last activations channels-last too (their gradients
        come out that way; equal strides are what DDP's gradient buckets
        expect; same values and keys), and freeze :attr:`frozen_stages`."""
        for conv in self._channels_last_convs():
            conv.weight.data = conv.weight.data.clone(
                memory_format=torch.channels_last)
        self._freeze_stages()

    # ----------------------------------------------------------------- init
    def default_init(self):
        """The released initialisation: Linear truncated normal (std
        0.02), conv normal(0, sqrt(2 / fan_out)), biases 0, norm weights
        1."""
        for m in self.modules():
            if isinstance(m, nn.Linear):
                trunc_normal_init(m, std=.02, bias=0.)
            elif isinstance(m, (_BatchNorm, nn.LayerNorm)):
                constant_init(m, 1., bias=0.)
            elif isinstance(m, nn.Conv2d):
                fan_out = m.kernel_size[0] * m.kernel_size[1] * \
                    m.out_channels // m.groups
                normal_init(m, 0., math.sqrt(2. / fan_out), bias=0.)

    def init_weights(self):
        init_cfg = self.init_cfg
        if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
            load_pretrained(self, init_cfg['checkpoint'],
                            init_cfg.get('prefix'))
        elif init_cfg is not None:
            super().init_weights()
        else:
            self.default_init()
        self._is_init = True

    # -------------------------------------------------------------- forward
    def forward_stage(self, i: int, x: torch.Tensor) -> torch.Tensor:
        """Stage ``i``: the previous stage's NCHW output (the image for
        ``i = 0``) -> this stage's (B, C_i, H_i, W_i), any memory format."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> tuple:
        """(B, in_channels, H, W) -> tuple of contiguous (B, C_i, H_i, W_i),
        one per entry of ``out_indices``."""
        self.check_input(x)
        outs = []
        for i in range(max(self.out_indices) + 1):
            x = self.forward_stage(i, x)
            if i in self.out_indices:
                # contiguous NCHW: ops such as mmcv's RoIAlign read raw memory
                outs.append(contiguous_nchw(x))
        return tuple(outs)
