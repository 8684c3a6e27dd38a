"""ScopeViT backbone ("ScopeViT: Scale-Aware Vision Transformer", Nie et al.,
Pattern Recognition 2024), numerically identical to the authors' released
model and usable as a dense-prediction backbone in mmdet, mmsegmentation
and mmpretrain."""
from typing import Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseModule, ModuleList

from ....registry import register_model
from ...bricks import (LayerScale, PreNormBlock, RecomputedActFFN, conv_bn,
                       dense, drop_path_layer)
from ..base import (DEPTHS, POSITIVE_INTS, ArchKey, PyramidBackbone,
                    ffns_have_width, heads_divide_widths, is_int, is_number)
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
        self.stem = stem
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
        if not self.stem:
            return conv_bn(x, self.projection, self.norm, self)
        conv1, bn1, act, conv2, bn2 = self.projection
        return conv_bn(act(conv_bn(x, conv1, bn1, self)), conv2, bn2, self)


# what the released variants share: heads, MSSA key/value strides and heads
# per kernel (7, 5, 3), GSDA dilation
RELEASED_LAYOUT = dict(
    num_heads=[2, 4, 8, 16],
    mssa_stride=[4, 2, 1, 1],
    mssa_split=[[1, 1, 0], [2, 1, 1], [4, 3, 1], [8, 6, 2]],
    gsda_dilation=[8, 8, 8, 8])


def _dilation(value):
    """A GSDA dilation: an int or a (Dh, Dw) pair (a one-entry list is its
    int); None if it is neither."""
    pair = tuple(value) if isinstance(value, (list, tuple)) else (value, )
    if len(pair) not in (1, 2) or not all(is_int(d) and d >= 1 for d in pair):
        return None
    return pair[0] if len(pair) == 1 else pair


def _stem_has_width(name: str, arch: dict) -> None:
    if arch['embed_dims'][0] < 2:
        raise ValueError(
            f'{name}: embed_dims[0] must be at least 2 (the stem has '
            f'embed_dims[0] // 2 channels), got {arch["embed_dims"]}.')


def _splits_add_up(name: str, arch: dict) -> None:
    for i, (split,
            heads) in enumerate(zip(arch['mssa_split'], arch['num_heads'])):
        if sum(split) != heads:
            raise ValueError(
                f'{name}: mssa_split[{i}] = {split} adds up to {sum(split)} '
                f'heads, but stage {i} has num_heads {heads}: the split must '
                'add up to the heads.')


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

    Input sizes: any size of at least 32x32 pixels (stage maps
    ``ceil(H / 4)``, then halved with ceil); where a stage map is not a
    multiple of the dilation, GSDA's groups hold fewer tokens (see
    :class:`GSDA`). Where the released code runs (input sides in
    {256k - 3, ..., 256k}), the outputs are its outputs.

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
        one image whose last stage is 1x1 (32x32) is refused; train with
        batches of two or more, larger inputs, or ``norm_eval``.
        Traces and exports are valid for every input size (see
        :mod:`mmscalablevit.deployment`).
    """
    arch_spec = {
        'embed_dims':
        POSITIVE_INTS,
        'depths':
        DEPTHS,
        'num_heads':
        POSITIVE_INTS,
        'mssa_stride':
        POSITIVE_INTS,
        'mssa_split':
        ArchKey(
            lambda v: isinstance(v, (list, tuple)) and len(v) == 3 and all(
                is_int(n) and n >= 0 for n in v),
            'three non-negative integers per stage: the heads whose '
            'keys/values come from the 7x7, 5x5 and 3x3 convs',
            normalise=list),
        'gsda_dilation':
        ArchKey(
            lambda v: _dilation(v) is not None,
            'positive integers or (Dh, Dw) pairs of them',
            normalise=_dilation),
        'mlp_ratios':
        ArchKey(
            lambda v: is_number(v) and v > 0,
            'one positive number for all stages (the FFN width / C)',
            per_stage=False,
            default=4.0),
    }
    arch_rules = (_stem_has_width, heads_divide_widths, _splits_add_up,
                  ffns_have_width)
    key_map = KEY_MAP
    arch_zoo = {
        **dict.fromkeys(['xt', 'x-tiny', 'xtiny'],
                        dict(
                            RELEASED_LAYOUT,
                            embed_dims=[32, 64, 128, 256],
                            depths=[1, 2, 4, 1])),
        **dict.fromkeys(['t', 'tiny'],
                        dict(
                            RELEASED_LAYOUT,
                            embed_dims=[32, 64, 128, 256],
                            depths=[2, 2, 5, 2])),
        **dict.fromkeys(['s', 'small'],
                        dict(
                            RELEASED_LAYOUT,
                            embed_dims=[64, 128, 256, 512],
                            depths=[1, 2, 3, 1])),
    }

    def __init__(self,
                 arch='t',
                 in_channels: int = 3,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 drop_path_rate: float = 0.,
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 init_cfg=None):
        super().__init__(arch, in_channels, out_indices, frozen_stages,
                         drop_path_rate, with_cp, norm_eval, init_cfg)
        settings = self.arch_settings
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
                        drop_path_rate=self.drop_path_rates[block_idx + j],
                        with_cp=with_cp) for j in range(self.depths[i])
                ]))
            self.add_module(f'norm{i + 1}', nn.BatchNorm2d(dims))
            block_idx += self.depths[i]
            prev_dims = dims
        self._finish_init()

    def _stage_modules(self, i: int) -> list:
        return [
            getattr(self, f'patch_embed{i + 1}'),
            getattr(self, f'blocks{i + 1}'),
            getattr(self, f'norm{i + 1}')
        ]

    def forward_stage(self, i: int, x: torch.Tensor) -> torch.Tensor:
        patch_embed, blocks, norm = self._stage_modules(i)
        if i == 0:  # every conv reads channels-last maps
            x = x.contiguous(memory_format=torch.channels_last)
        # (B, H, W, C) tokens; our own tensor, so blocks may write in it
        x = dense(patch_embed(x).permute(0, 2, 3, 1))
        for block in blocks:
            x = block(x, inplace=True)
        return norm(x.permute(0, 3, 1, 2))  # NCHW view of channels-last data
