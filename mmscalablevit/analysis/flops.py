"""FLOP counting for the models any shipped config builds.

Counts use mmengine's jit-based analyzer (fvcore rules: one multiply-add is
one FLOP; convs, linears, matmuls, norms, upsampling). Attention runs through
the explicit-matmul reference path while counting, so the attention matrix
products are seen and can be reported separately. Without them is the
convention of the metafiles, of the toolkits' own ``get_flops.py`` (to which
``scaled_dot_product_attention`` is an uncounted op), of thop / mmcv 1.x and
of the ScalableViT paper; with them that of fvcore and of the ScopeViT
authors.

The forward that is counted follows mmdet 2.x / mmseg 0.x ``forward_dummy``
(what the authors' get_flops measured): backbone, neck and dense heads; for
two-stage detectors the RoI heads on 1000 fixed proposals (masks on the first
100); for segmentors the decode head (no auxiliary head); for classifiers the
whole model; for pose estimators backbone, neck and head (the heatmaps, as
mmpose 0.x's ``forward_dummy``).
"""
from typing import Dict, Tuple

import torch
import torch.nn as nn
from mmengine.structures import InstanceData

from ..models.bricks import reference_attention

# the input sizes of the papers' figures; classifiers: their test crop
DEFAULT_SHAPES = {'mmdet': (800, 1280), 'mmseg': (512, 2048)}


def default_shape(cfg) -> Tuple[int, int]:
    """(H, W) the model zoo counts a config at: detection 800x1280,
    segmentation 512x2048, classification the test pipeline's centre crop
    (224 without one), pose the codec's input size."""
    scope = cfg.get('default_scope')
    if scope in DEFAULT_SHAPES:
        return DEFAULT_SHAPES[scope]
    if scope == 'mmpose':  # the codec's input_size is (W, H)
        return tuple(cfg.codec.input_size[::-1])
    crops = [
        t['crop_size'] for t in cfg.test_dataloader.dataset.pipeline
        if str(t['type']).endswith('CenterCrop')
    ]
    size = crops[-1] if crops else 224
    return (size, size) if isinstance(size, int) else tuple(size)


class CountedForward(nn.Module):
    """``forward(img)`` of a detector, segmentor, classifier or pose
    estimator without post-processing, traceable by the FLOP analyzer."""

    def __init__(self, model: nn.Module, scope: str, num_proposals=1000):
        super().__init__()
        self.model = model
        self.scope = scope
        self.num_proposals = num_proposals

    def forward(self, img: torch.Tensor):
        model = self.model
        if self.scope is None:  # a bare backbone
            return model(img)
        if self.scope == 'mmpretrain':
            return model(img, mode='tensor')
        if self.scope == 'mmseg':
            return model.decode_head(model.extract_feat(img))
        if self.scope == 'mmpose':
            return model.head(model.extract_feat(img))
        feats = model.extract_feat(img)
        if not hasattr(model, 'roi_head'):
            return model.bbox_head(feats)
        outs = model.rpn_head(feats)
        return outs + model.roi_head.forward(feats, self._proposals(img), None)

    def _proposals(self, img):
        H, W = img.shape[-2:]
        g = torch.Generator().manual_seed(0)
        xy = torch.rand(
            self.num_proposals, 2, generator=g) * torch.tensor(
                [W * .75, H * .75])
        wh = torch.rand(
            self.num_proposals, 2, generator=g) * torch.tensor(
                [W * .25, H * .25]) + 8
        return [InstanceData(bboxes=torch.cat([xy, xy + wh], 1))]


def _backbone_attention_flops(by_module_op: Dict[str, Dict[str, int]],
                              prefix: str) -> int:
    return sum(
        ops.get(name, 0) for module, ops in by_module_op.items()
        if module == prefix for name in ('matmul', 'bmm'))


def count_flops(model: nn.Module, scope: str,
                shape: Tuple[int, int]) -> Dict[str, float]:
    """FLOPs (multiply-adds) of one ``3 x H x W`` image; ``scope`` is the
    model's toolkit, or None for a bare backbone.

    Returns:
        dict: ``total`` (with attention matmuls), ``attention`` (the
        backbone's attention matmuls), ``without_attention`` and
        ``backbone`` (all in FLOPs), plus ``params``.
    """
    from mmengine.analysis import FlopAnalyzer
    wrapped = CountedForward(model, scope).eval()
    img = torch.zeros(1, 3, *shape)
    with torch.no_grad(), reference_attention():
        analyzer = FlopAnalyzer(wrapped, (img, ))
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        total = analyzer.total()
        by_module_op = analyzer.by_module_and_operator()
    backbone_key = 'model.backbone' if scope else 'model'
    attention = _backbone_attention_flops(by_module_op, backbone_key)
    return dict(
        total=float(total),
        attention=float(attention),
        without_attention=float(total - attention),
        backbone=float(analyzer.by_module().get(backbone_key, 0)),
        params=float(sum(p.numel() for p in model.parameters())))
