"""Exports through mmdeploy compute what the toolkits compute.

Some of mmdeploy 1.3.1's rewrites (its "default" backend) approximate the
PyTorch computation, so that a Mask R-CNN or an UperNet file disagrees with
the PyTorch model:

* RPN proposals: mmdeploy thresholds objectness at its post-processing
  ``score_threshold`` (0.05; mmdet takes every score), runs one NMS over
  all levels (mmdet: one per level) and keeps a zero "padding" proposal;
  it does not drop empty boxes (mmdet's ``min_bbox_size``);
* R-CNN boxes: mmdeploy gives every class of a RoI the box regressed for
  its best class (mmdet: each class its own box);
* ``F.adaptive_avg_pool2d`` (UperNet's pyramid pooling): mmdeploy pools
  with a kernel and stride of ``int(H / out)``, which is adaptive pooling
  only where ``out`` divides ``H``.

The rewrites below, registered with mmdeploy's ``FUNCTION_REWRITER`` for the
onnxruntime backend (they override the default ones there), compute the
exact results with opset-11 ops: NMS per level, resp. per (RoI, class) box,
by spreading each score into its own column of the score matrix; adaptive
pooling as two products with bin-averaging matrices built from H and W.
"""
import torch
from torch.nn.modules.utils import _pair

_REGISTERED = []


def _valid(dets: torch.Tensor, labels: torch.Tensor):
    """The rows of a batch-1 NMS result with a positive score (mmdeploy
    appends an empty row)."""
    keep = dets[0, :, 4] > 0
    return dets[:, keep], labels[:, keep]


def rpn_head__predict_by_feat(self,
                              cls_scores,
                              bbox_preds,
                              score_factors=None,
                              batch_img_metas=None,
                              cfg=None,
                              rescale=False,
                              with_nms=True,
                              **kwargs):
    """mmdet's ``RPNHead`` proposals: per level the ``nms_pre`` best
    anchors, boxes decoded and clipped, empty boxes dropped, NMS within each
    level, the ``max_per_img`` best; (dets (B, N, 5), labels (B, N))."""
    from mmdeploy.codebase.mmdet.deploy import (gather_topk,
                                                pad_with_value_if_necessary)
    from mmdeploy.mmcv.ops import multiclass_nms
    cfg = self.test_cfg if cfg is None else cfg
    num_levels = len(cls_scores)
    batch = cls_scores[0].shape[0]
    priors = self.prior_generator.grid_priors(
        [score.shape[-2:] for score in cls_scores],
        device=cls_scores[0].device)
    nms_pre = cfg.get('nms_pre', -1)
    level_eye = torch.eye(num_levels)
    all_scores, all_deltas, all_priors = [], [], []
    for level in range(num_levels):
        score = cls_scores[level].permute(0, 2, 3, 1)
        if self.use_sigmoid_cls:
            score = score.reshape(batch, -1, 1).sigmoid()
        else:
            score = score.reshape(batch, -1, 2).softmax(-1)[..., :1]
        delta = bbox_preds[level].permute(0, 2, 3, 1).reshape(
            batch, -1, self.bbox_coder.encode_size)
        prior = priors[level].unsqueeze(0)
        if nms_pre > 0:
            score = pad_with_value_if_necessary(score, 1, nms_pre, 0.)
            delta = pad_with_value_if_necessary(delta, 1, nms_pre)
            prior = pad_with_value_if_necessary(prior, 1, nms_pre)
            _, inds = score.squeeze(2).topk(nms_pre)
            delta, score = gather_topk(
                delta, score, inds=inds, batch_size=batch, is_batched=True)
            prior = gather_topk(
                prior, inds=inds, batch_size=batch, is_batched=False)
        # the level's score in the level's column: NMS per level
        all_scores.append(score * level_eye[level])
        all_deltas.append(delta)
        all_priors.append(prior)
    bboxes = self.bbox_coder.decode(
        torch.cat(all_priors, 1),
        torch.cat(all_deltas, 1),
        max_shape=batch_img_metas[0]['img_shape'])
    scores = torch.cat(all_scores, 1)
    min_size = cfg.get('min_bbox_size', -1)
    if min_size >= 0:
        w = bboxes[..., 2:3] - bboxes[..., 0:1]
        h = bboxes[..., 3:4] - bboxes[..., 1:2]
        scores = scores * ((w > min_size) & (h > min_size))
    # score 0 (padding, empty boxes, other levels) is what NMS drops
    dets, labels = multiclass_nms(
        bboxes,
        scores,
        cfg.max_per_img,
        iou_threshold=cfg.nms.iou_threshold,
        score_threshold=0.,
        pre_top_k=-1,
        keep_top_k=cfg.max_per_img)
    return _valid(dets, labels)


def bbox_head__predict_by_feat(self,
                               rois,
                               cls_scores,
                               bbox_preds,
                               batch_img_metas,
                               rcnn_test_cfg=None,
                               rescale=False):
    """mmdet's ``BBoxHead`` detections: every class of every RoI with its
    own regressed box, scores above ``score_thr``, NMS per class, the
    ``max_per_img`` best; (dets (B, N, 5), labels (B, N))."""
    from mmdeploy.mmcv.ops import multiclass_nms
    if self.custom_cls_channels:
        scores = self.loss_cls.get_activation(cls_scores)
    else:
        scores = cls_scores.softmax(-1)
    batch, num_rois = rois.shape[:2]
    num_classes = self.num_classes
    scores = scores[..., :num_classes]
    bboxes = self.bbox_coder.decode(
        rois[..., 1:], bbox_preds, max_shape=batch_img_metas[0]['img_shape'])
    if self.reg_class_agnostic:
        bboxes = bboxes.unsqueeze(2).expand(-1, -1, num_classes, -1)
    bboxes = bboxes.reshape(batch, -1, 4)
    # (RoI, class) pairs, each scoring in its class's column only
    scores = (scores.unsqueeze(-1) * torch.eye(num_classes)).reshape(
        batch, -1, num_classes)
    dets, labels = multiclass_nms(
        bboxes,
        scores,
        rcnn_test_cfg.max_per_img,
        iou_threshold=rcnn_test_cfg.nms.iou_threshold,
        score_threshold=rcnn_test_cfg.score_thr,
        pre_top_k=-1,
        keep_top_k=rcnn_test_cfg.max_per_img)
    return _valid(dets, labels)


def _bin_means(size, out: int, like: torch.Tensor) -> torch.Tensor:
    """(out, size): row i averages adaptive pooling's bin i of a side of
    ``size``, ``[floor(i * size / out), ceil((i + 1) * size / out))``."""
    index = torch.arange(out, device=like.device)
    start = (index * size) // out
    end = ((index + 1) * size + out - 1) // out
    pos = torch.arange(size, device=like.device)
    inside = (pos >= start[:, None]) & (pos < end[:, None])
    inside = inside.to(like.dtype)
    return inside / inside.sum(1, keepdim=True)


def adaptive_avg_pool2d(input, output_size):
    """``F.adaptive_avg_pool2d`` of (N, C, H, W) for any H and W: (N, C,
    out_h, out_w)."""
    out_h, out_w = _pair(output_size)
    height, width = input.shape[-2:]
    out_h = height if out_h is None else out_h
    out_w = width if out_w is None else out_w
    rows = _bin_means(height, out_h, input)
    cols = _bin_means(width, out_w, input)
    return rows @ input @ cols.transpose(0, 1)


def register() -> None:
    """Register the rewrites for onnxruntime (once)."""
    if _REGISTERED:
        return
    from mmdeploy.core import FUNCTION_REWRITER
    rewrites = {
        'mmdet.models.dense_heads.rpn_head.RPNHead.predict_by_feat':
        rpn_head__predict_by_feat,
        'mmdet.models.roi_heads.bbox_heads.bbox_head.BBoxHead.'
        'predict_by_feat': bbox_head__predict_by_feat,
        'torch.nn.functional.adaptive_avg_pool2d': adaptive_avg_pool2d,
    }
    for name, rewrite in rewrites.items():
        register_rewriter = FUNCTION_REWRITER.register_rewriter
        register_rewriter(name, backend='onnxruntime')(rewrite)
    _REGISTERED.append(True)
