"""ScopeViT backbone ("ScopeViT: Scale-Aware Vision Transformer", Nie et al.,
Pattern Recognition 2024), numerically identical to the authors' released
model and usable as a dense-prediction backbone in mmdet, mmsegmentation
and mmpretrain."""
import math
from numbers import Integral, Real
from typing import Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule, ModuleList
from mmengine.model.weight_init import (constant_init, normal_init,
                                        trunc_normal_init)
from torch.nn.modules.batchnorm import _BatchNorm

from ....registry import register_model
from ...bricks import (LayerScale, PreNormBlock, RecomputedActFFN,
                       contiguous_nchw, conv_bn, dense, drop_path_layer)
from ..base import PyramidBackbone, check_positive, check_rate
from .convert import KEY_MAP
from .gsda import GSDA
from .mssa import MSSA

# LayerScale initial value of both sub-blocks (released)
LAYER_SCALE_INIT = 1e-6


class ScopeSubBlock(PreNormBlock):
    """Pre-norm residual sub-block with LayerScale:
    ``x + DropPath(ls1(attn(norm1(x))))``, then
    ``x + DropPath(ls2(ffn(norm2(x))))`` (see :class:`PreNormBlock` for the
    execution paths). LayerNorms with eps 1e-5, LayerScale initialised to
    1e-6, FFN C -> int(C * mlp_ratio) -> C with the exact GELU.

    Args:
        embed_dims (int): Channels C.
        attn (nn.Module): The attention, (B, H, W, C) -> (B, H, W, C).
        mlp_ratio (float): FFN hidden width / C.
        drop_path_rate (float): Stochastic depth of both branches.
        with_cp (bool): Recompute the sub-block in backward.

    Shapes: input and output (B, H, W, C), channels last.
    """

    def __init__(self,
                 embed_dims: int,
                 attn: nn.Module,
                 mlp_ratio: float,
                 drop_path_rate: float = 0.,
                 with_cp: bool = False,
                 init_cfg=None):
        super().__init__(with_cp=with_cp, init_cfg=init_cfg)
        self.norm1 = nn.LayerNorm(embed_dims, eps=1e-5)
        self.attn = attn
        self.ls1 = LayerScale(embed_dims, LAYER_SCALE_INIT)
        self.norm2 = nn.LayerNorm(embed_dims, eps=1e-5)
        self.ffn = RecomputedActFFN(
            embed_dims=embed_dims,
            feedforward_channels=int(embed_dims * mlp_ratio),
            num_fcs=2,
            ffn_drop=0.,
            act_cfg=dict(type='GELU'),
            add_identity=False)
        self.ls2 = LayerScale(embed_dims, LAYER_SCALE_INIT)
        self.drop_path = drop_path_layer(drop_path_rate)


class ScopeViTBlock(BaseModule):
    """An MSSA sub-block (``mssa``) then a GSDA sub-block (``gsda``), both
    :class:`ScopeSubBlock` with the same stochastic-depth rate.

    Args:
        embed_dims (int): Channels C.
        num_heads (int): Attention heads of both attentions.
        mssa_stride (int): Stride of MSSA's key/value convs.
        mssa_split (Sequence[int]): MSSA heads per kernel size (7, 5, 3).
        gsda_dilation (int | tuple[int, int]): GSDA group grid.
        mlp_ratio (float): FFN hidden width / C.
        drop_path_rate (float): Stochastic depth of all four branches.
        with_cp (bool): Recompute each sub-block in backward.

    Shapes: input and output (B, H, W, C), channels last.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 mssa_stride: int,
                 mssa_split: Sequence[int],
                 gsda_dilation,
                 mlp_ratio: float = 4.,
                 drop_path_rate: float = 0.,
                 with_cp: bool = False,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.mssa = ScopeSubBlock(
            embed_dims,
            MSSA(embed_dims, num_heads, mssa_split, mssa_stride),
            mlp_ratio,
            drop_path_rate,
            with_cp=with_cp)
        self.gsda = ScopeSubBlock(
            embed_dims,
            GSDA(embed_dims, num_heads, gsda_dilation),
            mlp_ratio,
            drop_path_rate,
            with_cp=with_cp)

    def forward(self, x: torch.Tensor, inplace: bool = False) -> torch.Tensor:
        """``inplace=True`` lets the inference path write into ``x``."""
        return self.gsda(self.mssa(x, inplace=inplace), inplace=True)


class ConvPatchEmbed(nn.Module):
    """Overlapping conv patch embedding with BatchNorm (eps 1e-5).

    The stem (``stem=True``) halves the size twice: ``projection`` =
    Conv3x3/2 (C_in -> C // 2), BN, GELU, Conv3x3/2 (-> C), BN. Later stages
    halve it once: ``projection`` Conv3x3/2 then ``norm`` BN. All convs pad
    by 1 and have biases; there is no activation after the last BN. A side
    S becomes ``ceil(S / 2)`` per conv.

    Shapes: input (B, C_in, H, W), output (B, C, H', W').
    """

    def __init__(self, in_channels: int, embed_dims: int, stem: bool):
        super().__init__()
        if stem:
            hidden = embed_dims // 2
            self.projection = nn.Sequential(
                nn.Conv2d(in_channels, hidden, 3, stride=2, padding=1),
                nn.BatchNorm2d(hidden), nn.GELU(),
                nn.Conv2d(hidden, embed_dims, 3, stride=2, padding=1),
                nn.BatchNorm2d(embed_dims))
            self.norm = nn.Identity()
        else:
            self.projection = nn.Conv2d(
                in_channels, embed_dims, 3, stride=2, padding=1)
            self.norm = nn.BatchNorm2d(embed_dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if isinstance(self.projection, nn.Conv2d):
            return conv_bn(x, self.projection, self.norm, self)
        conv1, bn1, act, conv2, bn2 = self.projection
        return conv_bn(act(conv_bn(x, conv1, bn1, self)), conv2, bn2, self)


def _is_int(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


@register_model
class ScopeViT(PyramidBackbone):
    """ScopeViT backbone.

    A four-stage pyramid (strides 4, 8, 16, 32). Each stage is a conv patch
    embedding with BatchNorm (two stride-2 convs in the stem), blocks of an
    MSSA sub-block (queries from a conv position encoding, keys/values from
    strided 7/5/3 depthwise convs, global attention) and a GSDA sub-block
    (attention within dilated 8x8 token groups with an MLP relative-position
    bias), and a BatchNorm ``norm{i}``. That norm is in the main path: its
    output feeds the next stage and is the stage's output. Module and
    parameter names follow the authors' release (only the block MLPs are
    renamed, see ``convert.py``), so their weights load through
    ``init_cfg`` (converted on the fly) or after
    ``tools/model_converters/scopevit2mm.py``.

    Released weights: ImageNet-1k ``'t'`` only,
    https://github.com/xuesongnie/ScopeViT/releases/download/v1.0.0/scopevit_tiny.pth
    (a timm training checkpoint; pass the URL or the downloaded file as
    ``init_cfg=dict(type='Pretrained', checkpoint=...)``).

    Input sizes: any size of at least 32x32 pixels. The stage maps are
    ``ceil(H / 4) x ceil(W / 4)``, then halved with ceil (the convs' own
    output sizes). MSSA runs at any size (its convs pad, its attention is
    global). GSDA groups the tokens of a stage in ``P x Q`` dilated groups,
    ``P = ceil(H_i / 8)``, ``Q = ceil(W_i / 8)``; where a side is not a
    multiple of 8 the groups at the end of the grid hold fewer tokens:
    each group attends over its real tokens only, with the bias of their
    grid offsets (implemented by padding, a ``-inf`` key mask after the
    bias, and cropping; see :class:`GSDA`). The released code only runs
    when every stage map is a multiple of the dilation, i.e. input sides in
    {256k - 3, ..., 256k} (so not at 224, nor at the usual detection and
    segmentation sizes); there the outputs equal the authors' model, and
    nothing is padded.

    Args:
        arch (str | dict): ``'xt'``/``'x-tiny'``/``'xtiny'``,
            ``'t'``/``'tiny'`` or ``'s'``/``'small'`` (any case), or a dict
            with ``embed_dims``, ``depths``, ``num_heads``, ``mssa_stride``,
            ``mssa_split`` and ``gsda_dilation``, one entry per stage, as
            the authors' arch dicts, and optionally ``mlp_ratios``: one
            number for all stages (the FFN width / C; default 4.0; the CPE's
            expansion stays 4). Checked: positive integer widths, depths,
            heads and strides, widths divisible by heads, a first width of
            at least 2 (the stem's inner width is half of it); dilations
            positive integers or (Dh, Dw) pairs; each split three
            non-negative head counts for the 7x7, 5x5 and 3x3 key/value
            convs adding up to the stage's heads. Zero counts leave that
            conv out: the released code builds (a, b, c > 0), (a, b, 0) and
            (heads, 0, 0); this one also builds the other patterns, e.g.
            (a, 0, c) or (0, b, c), by the same rule. Defaults to ``'t'``.
        in_channels (int): Input channels. Defaults to 3.
        out_indices (Sequence[int]): Stages whose outputs (the ``norm{i}``
            outputs, (B, C_i, H_i, W_i), contiguous NCHW) are returned.
            Later stages are not computed. Defaults to all four.
        drop_path_rate (float): Stochastic depth, in [0, 1): block k of all
            blocks in order uses ``linspace(0, rate, sum(depths))[k]`` in both
            of its sub-blocks. Defaults to 0.
        frozen_stages (int): -1 freezes nothing, 0 the stem
            (``patch_embed1``), k >= 1 the stem and stages 0..k-1 (patch
            embedding, blocks and norm). Frozen parts get no gradient and
            stay in eval mode (BatchNorm statistics kept).
        norm_eval (bool): Keep every BatchNorm (patch embeddings, the MSSA
            position encodings, stage norms) in eval mode during training:
            running statistics are used and not updated. Defaults to False.
        with_cp (bool): Activation checkpointing of every sub-block.
        init_cfg (dict, optional): ``dict(type='Pretrained',
            checkpoint=PATH_OR_URL)`` loads an authors' checkpoint
            (converted on the fly; ``state_dict``, ``state_dict_ema`` or
            ``model`` wrappers and a ``module.`` prefix are handled), a file
            written by ``tools/model_converters/scopevit2mm.py`` or a
            checkpoint of a model trained with this backbone (``backbone.``
            prefix found automatically or given as ``prefix``). The
            classifier head is ignored; any other missing or unexpected key
            raises. Without it the released classifier's initialisation is
            used (:meth:`default_init`).

    Note:
        BatchNorms in training mode need more than one value per channel:
        train with batches of two or more, or inputs of at least 64x64
        (stage 4 is then at least 2x2), or use ``norm_eval``.

    Note:
        Traces and exports see a graph that is valid for every input size:
        ``torch.onnx.export(..., dynamic_axes={'x': {2: 'H', 3: 'W'}})``
        works, and so does ``torch.export.export`` with ``Dim`` H and W from
        33 up under ``torch.fx.experimental._config.patch(
        backed_size_oblivious=True)`` (without it torch specialises on the
        group counts that are 1 for the example input; at 32 a 1x1 stage-4
        map fixes the convolutions' memory format).
    """
    arch_keys = ('embed_dims', 'depths', 'num_heads', 'mssa_stride',
                 'mssa_split', 'gsda_dilation')
    optional_arch_keys = {'mlp_ratios': 4.0}
    key_map = KEY_MAP
    _split = [[1, 1, 0], [2, 1, 1], [4, 3, 1], [8, 6, 2]]
    arch_zoo = {
        **dict.fromkeys(
            ['xt', 'x-tiny', 'xtiny'], {
                'embed_dims': [32, 64, 128, 256],
                'depths': [1, 2, 4, 1],
                'num_heads': [2, 4, 8, 16],
                'mssa_stride': [4, 2, 1, 1],
                'mssa_split': _split,
                'gsda_dilation': [8, 8, 8, 8],
                'mlp_ratios': 4.0
            }),
        **dict.fromkeys(
            ['t', 'tiny'], {
                'embed_dims': [32, 64, 128, 256],
                'depths': [2, 2, 5, 2],
                'num_heads': [2, 4, 8, 16],
                'mssa_stride': [4, 2, 1, 1],
                'mssa_split': _split,
                'gsda_dilation': [8, 8, 8, 8],
                'mlp_ratios': 4.0
            }),
        **dict.fromkeys(
            ['s', 'small'], {
                'embed_dims': [64, 128, 256, 512],
                'depths': [1, 2, 3, 1],
                'num_heads': [2, 4, 8, 16],
                'mssa_stride': [4, 2, 1, 1],
                'mssa_split': _split,
                'gsda_dilation': [8, 8, 8, 8],
                'mlp_ratios': 4.0
            }),
    }
    del _split

    def __init__(self,
                 arch='t',
                 in_channels: int = 3,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 drop_path_rate: float = 0.,
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        settings = self._set_arch(arch, in_channels)
        self._set_dense_options(out_indices, frozen_stages, norm_eval)
        drop_path_rate = check_rate('drop_path_rate', drop_path_rate)
        self.with_cp = with_cp

        total = sum(self.depths)
        dpr = torch.linspace(0, drop_path_rate, total).tolist()
        prev_dims, block_idx = in_channels, 0
        for i, dims in enumerate(self.embed_dims):
            self.add_module(f'patch_embed{i + 1}',
                            ConvPatchEmbed(prev_dims, dims, stem=i == 0))
            self.add_module(
                f'blocks{i + 1}',
                ModuleList([
                    ScopeViTBlock(
                        dims,
                        settings['num_heads'][i],
                        settings['mssa_stride'][i],
                        settings['mssa_split'][i],
                        settings['gsda_dilation'][i],
                        mlp_ratio=settings['mlp_ratios'],
                        drop_path_rate=dpr[block_idx + j],
                        with_cp=with_cp) for j in range(self.depths[i])
                ]))
            self.add_module(f'norm{i + 1}', nn.BatchNorm2d(dims))
            block_idx += self.depths[i]
            prev_dims = dims
        self._channels_last_conv_weights()
        self._freeze_stages()

    # ------------------------------------------------------------------ setup
    @classmethod
    def parse_arch(cls, arch) -> dict:
        settings = super().parse_arch(arch)
        if not isinstance(arch, dict):
            return settings
        prefix = 'Custom ScopeViT arch: '
        for key in ('embed_dims', 'num_heads', 'mssa_stride'):
            check_positive(prefix + key, settings[key])
        if settings['embed_dims'][0] < 2:
            raise ValueError(
                f'{prefix}embed_dims[0] must be at least 2 (the stem has '
                f'embed_dims[0] // 2 channels), got {settings["embed_dims"]}.')
        for i, (dims, heads) in enumerate(
                zip(settings['embed_dims'], settings['num_heads'])):
            if dims % heads:
                raise ValueError(
                    f'{prefix}stage {i}: embed_dims {dims} is not divisible '
                    f'by num_heads {heads}.')
        dilations = []
        for value in settings['gsda_dilation']:
            pair = list(value) if isinstance(value, (list, tuple)) else \
                [value]
            if len(pair) not in (1, 2) or not all(
                    _is_int(d) and d >= 1 for d in pair):
                raise ValueError(
                    f'{prefix}gsda_dilation entries must be positive '
                    'integers or (Dh, Dw) pairs of them, got '
                    f'{settings["gsda_dilation"]}.')
            dilations.append(value if len(pair) == 1 else tuple(pair))
        settings['gsda_dilation'] = dilations
        splits = []
        for i, (split, heads) in enumerate(
                zip(settings['mssa_split'], settings['num_heads'])):
            if not isinstance(split, (list, tuple)) or len(split) != 3 \
                    or not all(_is_int(n) and n >= 0 for n in split):
                raise ValueError(
                    f'{prefix}mssa_split[{i}] = {split!r} must be three '
                    'non-negative integers: the heads whose keys/values '
                    'come from the 7x7, 5x5 and 3x3 convs.')
            if sum(split) != heads:
                raise ValueError(
                    f'{prefix}mssa_split[{i}] = {list(split)} adds up to '
                    f'{sum(split)} heads, but stage {i} has num_heads '
                    f'{heads}: the split must add up to the heads.')
            splits.append(list(split))
        settings['mssa_split'] = splits
        ratio = settings['mlp_ratios']
        if isinstance(ratio, bool) or not isinstance(ratio, Real) \
                or ratio <= 0:
            raise ValueError(
                f'{prefix}mlp_ratios must be one positive number for all '
                f'stages (the FFN width / C), got {ratio!r}.')
        if any(int(dims * ratio) < 1 for dims in settings['embed_dims']):
            raise ValueError(
                f'{prefix}mlp_ratios {ratio} leaves an FFN without hidden '
                f'channels for embed_dims {settings["embed_dims"]}.')
        return settings

    # --------------------------------------------------------- freeze / init
    def _stage_modules(self, i: int) -> list:
        return [
            getattr(self, f'patch_embed{i + 1}'),
            getattr(self, f'blocks{i + 1}'),
            getattr(self, f'norm{i + 1}')
        ]

    def _channels_last_conv_weights(self):
        """The convs read channels-last activations (the input is made
        channels-last, and blocks work on (B, H, W, C) maps), so their
        weight gradients come out channels-last. Storing the weights that
        way too (values and keys unchanged) keeps every parameter's stride
        equal to its gradient's, which DDP's gradient buckets expect."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                module.weight.data = module.weight.data.clone(
                    memory_format=torch.channels_last)

    def default_init(self):
        """Initialisation of the released classifier: Linear truncated
        normal (std 0.02), conv normal(0, sqrt(2 / fan_out)), biases 0,
        BatchNorm/LayerNorm weight 1 and bias 0; LayerScale stays 1e-6."""
        for m in self.modules():
            if isinstance(m, nn.Linear):
                trunc_normal_init(m, std=.02, bias=0.)
            elif isinstance(m, (_BatchNorm, nn.LayerNorm)):
                constant_init(m, 1., bias=0.)
            elif isinstance(m, nn.Conv2d):
                fan_out = m.kernel_size[0] * m.kernel_size[1] * \
                    m.out_channels // m.groups
                normal_init(m, 0., math.sqrt(2. / fan_out), bias=0.)

    # ---------------------------------------------------------------- forward
    def forward(self, x: torch.Tensor) -> tuple:
        """(B, in_channels, H, W) -> tuple of (B, C_i, H_i, W_i), one per
        entry of ``out_indices``."""
        self.check_input(x)
        x = x.contiguous(memory_format=torch.channels_last)
        outs = []
        for i in range(max(self.out_indices) + 1):
            patch_embed, blocks, norm = self._stage_modules(i)
            # (B, H, W, C) tokens; our own tensor, so blocks may write in it
            x = dense(patch_embed(x).permute(0, 2, 3, 1))
            for block in blocks:
                x = block(x, inplace=True)
            x = norm(x.permute(0, 3, 1, 2))  # NCHW view of channels-last data
            if i in self.out_indices:
                # contiguous NCHW: ops such as mmcv's RoIAlign read raw memory
                outs.append(contiguous_nchw(x))
        return tuple(outs)
