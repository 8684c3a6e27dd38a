"""ScalableViT backbone (Yang et al., ECCV 2022), numerically identical to the
authors' released classification model and usable as a dense-prediction
backbone in mmdet, mmsegmentation and mmpretrain."""
from typing import Sequence

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmcv.cnn.bricks.transformer import PatchEmbed
from mmengine.model import ModuleList

from ....registry import register_model
from ...bricks import (ExecutionPath, PreNormBlock, RecomputedActFFN,
                       drop_path_layer, execution_path)
from ..base import (DEPTHS, POSITIVE_INTS, POSITIVE_NUMBERS, PyramidBackbone,
                    check_rate)
from .convert import KEY_MAP
from .iwsa import IWSA
from .peg import PEG
from .ssa import SSA

# what the released variants share: FFN ratios, SSA reductions, IWSA windows
RELEASED_LAYOUT = dict(
    mlp_ratios=[4, 4, 4, 4], sr_ratios=[8, 4, 2, 1], window_sizes=[7, 7, 7, 7])


class ScalableViTBlock(PreNormBlock):
    """Pre-norm transformer block: ``x + DropPath(Attn(LN(x)))`` then
    ``x + DropPath(FFN(LN(x)))``, the attention being IWSA or SSA (see
    :class:`PreNormBlock` for the execution paths).

    Args:
        embed_dims (int): Channels C.
        num_heads (int): Attention heads.
        mlp_ratio (float): FFN hidden width / C.
        attn_type (str): ``'iwsa'`` or ``'ssa'``.
        window_size (int): IWSA window.
        sr_ratio (int): SSA spatial reduction.
        c_ratio (float): SSA channel scaling.
        qkv_bias (bool): Bias in the q/k/v projections.
        drop_rate (float): Dropout after projections and in the FFN.
        attn_drop_rate (float): Dropout on attention probabilities.
        drop_path_rate (float): Stochastic depth of both branches.
        norm_cfg (dict): Norm of the two branches.
        act_cfg (dict): FFN activation.
        with_cp (bool): Recompute the block in backward to save memory.

    Shapes: input and output (B, H, W, C), channels last.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 mlp_ratio: float,
                 attn_type: str,
                 window_size: int = 7,
                 sr_ratio: int = 1,
                 c_ratio: float = 1.,
                 qkv_bias: bool = True,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 norm_cfg: dict = dict(type='LN', eps=1e-6),
                 act_cfg: dict = dict(type='GELU'),
                 with_cp: bool = False,
                 init_cfg=None):
        super().__init__(with_cp=with_cp, init_cfg=init_cfg)
        self.norm1 = build_norm_layer(norm_cfg, embed_dims)[1]
        if attn_type == 'iwsa':
            self.attn = IWSA(embed_dims, num_heads, window_size, qkv_bias,
                             attn_drop_rate, drop_rate)
        elif attn_type == 'ssa':
            self.attn = SSA(embed_dims, num_heads, sr_ratio, c_ratio, qkv_bias,
                            attn_drop_rate, drop_rate)
        else:
            raise ValueError(f"attn_type must be 'iwsa' or 'ssa', "
                             f'got {attn_type!r}.')
        self.drop_path = drop_path_layer(drop_path_rate)
        self.norm2 = build_norm_layer(norm_cfg, embed_dims)[1]
        self.ffn = RecomputedActFFN(
            embed_dims=embed_dims,
            feedforward_channels=int(embed_dims * mlp_ratio),
            num_fcs=2,
            ffn_drop=drop_rate,
            act_cfg=act_cfg,
            add_identity=False)


@register_model
class ScalableViT(PyramidBackbone):
    """ScalableViT backbone.

    A four-stage pyramid (strides 4, 8, 16, 32; channels C, 2C, 4C, 8C). Each
    stage is an overlapping conv patch embedding with LayerNorm, then blocks
    that alternate IWSA (even index) and SSA (odd index), with a PEG after the
    first block. Module and parameter layout follow the authors' release, so
    their ImageNet weights load through the key map in ``convert.py`` (on
    the fly when ``init_cfg`` points at an official file).

    Input sizes: any size of at least 32x32 pixels (more where a custom
    arch's SSA reductions need it: :attr:`min_input_size`); stage grids are
    the convs' real output sizes (``ceil(H / stride)``), windows that do not
    divide them are padded and masked (see :class:`IWSA`), SSA drops what
    does not fill a reduction cell (see :class:`SSA`). On sizes whose stage
    grids are multiples of the window (e.g. multiples of 224) the outputs
    are the authors' model's.

    Args:
        arch (str | dict): ``'s'``/``'small'``, ``'b'``/``'base'``,
            ``'l'``/``'large'``, or a dict with the keys ``embed_dims``,
            ``depths``, ``num_heads``, ``mlp_ratios``, ``sr_ratios``,
            ``c_ratios`` and ``window_sizes``: one entry per stage, meaning
            what the official constructor's embed_dims / depths / num_heads /
            mlp_ratios / sr_ratios / c_ratios / wss mean (a window size of 1
            makes every block of that stage SSA). Defaults to ``'s'``.
            Values are checked: positive integer depths, widths, heads,
            reduction ratios and windows, positive ratios.
        in_channels (int): Input channels. Defaults to 3.
        out_indices (Sequence[int]): Stages whose outputs are returned, as
            (B, C_i, H_i, W_i) maps. Defaults to all four.
        qkv_bias (bool): Bias in the q/k/v projections. Defaults to True.
        drop_rate (float): Dropout rate, in [0, 1). Defaults to 0.
        attn_drop_rate (float): Attention dropout rate, in [0, 1).
            Defaults to 0.
        drop_path_rate (float): Stochastic depth, in [0, 1), linearly
            increasing from 0 over all blocks. Defaults to 0.
        norm_cfg (dict): Norm of embeddings and blocks. Defaults to
            LayerNorm with eps 1e-6, as released.
        act_cfg (dict): FFN activation. Defaults to GELU.
        final_norm (bool): Apply the classifier's LayerNorm (key ``norm``)
            to the last stage's output, as the released classifier does
            before pooling. Adds parameters; off for dense prediction.
        frozen_stages (int): -1 freezes nothing, 0 the stem (stage 0's patch
            embedding), k >= 1 the stem and stages 0..k-1 (each with its
            patch embedding, blocks and PEG; k = num_stages also the final
            norm). Frozen parts get no gradient and stay in eval mode.
        with_cp (bool): Activation checkpointing of every block.
        init_cfg (dict, optional): ``dict(type='Pretrained',
            checkpoint=PATH_OR_URL)`` loads an authors' checkpoint
            (converted on the fly), a file from
            ``tools/model_converters/scalablevit2mm.py`` or a checkpoint of
            a model trained with this backbone (the
            ``backbone.`` prefix is found automatically or given as
            ``prefix``). Missing or unexpected keys raise an error. Without
            it the released initialisation is used; it zeroes conv biases,
            so training from scratch on zero-padded batches (detection) feeds
            constant tokens to the first LayerNorm: there, pass
            ``[dict(type='TruncNormal', layer='Linear', std=.02, bias=0.),
            dict(type='Constant', layer='LayerNorm', val=1., bias=0.)]`` to
            keep PyTorch's conv initialisation.

    Note:
        The backbone has no BatchNorm, so there is no ``norm_eval``.
    """
    arch_spec = {
        'embed_dims': POSITIVE_INTS,
        'depths': DEPTHS,
        'num_heads': POSITIVE_INTS,
        'mlp_ratios': POSITIVE_NUMBERS,
        'sr_ratios': POSITIVE_INTS,
        'c_ratios': POSITIVE_NUMBERS,
        'window_sizes': POSITIVE_INTS,
    }
    key_map = KEY_MAP
    arch_zoo = {
        **dict.fromkeys(['s', 'small'],
                        dict(
                            RELEASED_LAYOUT,
                            embed_dims=[64, 128, 256, 512],
                            depths=[2, 2, 20, 2],
                            num_heads=[2, 4, 8, 16],
                            c_ratios=[1.25, 1.25, 1.25, 1])),
        **dict.fromkeys(['b', 'base'],
                        dict(
                            RELEASED_LAYOUT,
                            embed_dims=[96, 192, 384, 768],
                            depths=[2, 2, 14, 6],
                            num_heads=[3, 6, 12, 24],
                            c_ratios=[2, 1.25, 1.25, 1])),
        **dict.fromkeys(['l', 'large'],
                        dict(
                            RELEASED_LAYOUT,
                            embed_dims=[128, 256, 512, 1024],
                            depths=[2, 6, 12, 4],
                            num_heads=[4, 8, 16, 32],
                            c_ratios=[0.25, 0.5, 1, 1])),
    }

    def __init__(self,
                 arch='s',
                 in_channels: int = 3,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 qkv_bias: bool = True,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 norm_cfg: dict = dict(type='LN', eps=1e-6),
                 act_cfg: dict = dict(type='GELU'),
                 final_norm: bool = False,
                 frozen_stages: int = -1,
                 with_cp: bool = False,
                 init_cfg=None):
        super().__init__(
            arch,
            in_channels,
            out_indices,
            frozen_stages,
            drop_path_rate,
            with_cp,
            init_cfg=init_cfg)
        settings = self.arch_settings
        drop_rate = check_rate('drop_rate', drop_rate)
        attn_drop_rate = check_rate('attn_drop_rate', attn_drop_rate)
        self.final_norm = final_norm

        self.patch_embeds = ModuleList()
        self.pos_drops = ModuleList()
        self.stages = ModuleList()
        self.pos_block = ModuleList()
        prev_dims, block_idx = in_channels, 0
        for i, dims in enumerate(self.embed_dims):
            first = i == 0
            self.patch_embeds.append(
                PatchEmbed(
                    in_channels=prev_dims,
                    embed_dims=dims,
                    conv_type='Conv2d',
                    kernel_size=7 if first else 3,
                    stride=self.stem_stride if first else self.stage_stride,
                    padding=3 if first else 1,
                    norm_cfg=norm_cfg))
            self.pos_drops.append(nn.Dropout(drop_rate))
            window = settings['window_sizes'][i]
            blocks = ModuleList()
            for j in range(self.depths[i]):
                blocks.append(
                    ScalableViTBlock(
                        embed_dims=dims,
                        num_heads=settings['num_heads'][i],
                        mlp_ratio=settings['mlp_ratios'][i],
                        attn_type='iwsa'
                        if j % 2 == 0 and window > 1 else 'ssa',
                        window_size=window,
                        sr_ratio=settings['sr_ratios'][i],
                        c_ratio=settings['c_ratios'][i],
                        qkv_bias=qkv_bias,
                        drop_rate=drop_rate,
                        attn_drop_rate=attn_drop_rate,
                        drop_path_rate=self.drop_path_rates[block_idx + j],
                        norm_cfg=norm_cfg,
                        act_cfg=act_cfg,
                        with_cp=with_cp))
            self.stages.append(blocks)
            self.pos_block.append(PEG(dims))
            block_idx += self.depths[i]
            prev_dims = dims
        if final_norm:
            self.norm = build_norm_layer(norm_cfg, self.embed_dims[-1])[1]
        self._finish_init()

    # ------------------------------------------------------------------ setup
    def _min_input_size(self) -> int:
        """SSA's reduction needs a full ``sr x sr`` cell: a stage of stride
        s and reduction r needs ``ceil(side / s) >= r``."""
        return max([super()._min_input_size()] + [
            stride * (sr - 1) + 1 for stride, sr in zip(
                self.stage_strides, self.arch_settings['sr_ratios'])
        ])

    def _stage_modules(self, i: int):
        return [self.patch_embeds[i], self.stages[i], self.pos_block[i]]

    def _frozen_modules(self):
        modules = super()._frozen_modules()
        if self.frozen_stages == self.num_stages and self.final_norm:
            modules.append(self.norm)
        return modules

    def _channels_last_convs(self):
        """The convs inside blocks and PEGs (the patch embeddings read
        NCHW images and maps)."""
        return (m for m in (*self.stages.modules(), *self.pos_block.modules())
                if isinstance(m, nn.Conv2d))

    # ---------------------------------------------------------------- forward
    @staticmethod
    def _embed(embed: PatchEmbed, x: torch.Tensor) -> torch.Tensor:
        """``PatchEmbed`` to a channels-last map: (B, C, H, W) -> (B, h, w,
        C'). Its own forward flattens the conv output, which copies a
        channels-last output (and makes ``torch.export`` ask whether a side
        is 1); permuting the output gives the same tokens without that."""
        if embed.adaptive_padding:
            x = embed.adaptive_padding(x)
        x = embed.projection(x).permute(0, 2, 3, 1)
        return x if embed.norm is None else embed.norm(x)

    def forward_stage(self, i: int, x: torch.Tensor) -> torch.Tensor:
        x = self.pos_drops[i](self._embed(self.patch_embeds[i], x))
        inference = execution_path(self) is ExecutionPath.INFERENCE
        for j, block in enumerate(self.stages[i]):
            x = block(x, inplace=True)  # `x` is the backbone's own
            if j == 0:  # the block's output is ours: in place if allowed
                x = self.pos_block[i](x, inplace=inference)
        if i == self.num_stages - 1 and self.final_norm:
            x = self.norm(x)
        return x.permute(0, 3, 1, 2)  # NCHW view of channels-last data
