"""How far an exported model's predictions are from PyTorch's, per task.

Every function takes the two predictions of one image, in the same
coordinates (the input tensor's pixels), and returns a dict of figures with
``ok``: whether they agree within the tolerances below.
"""
from typing import Dict, Optional

import numpy as np

#: boxes of two detections are the same box from this IoU on
BOX_IOU = 0.99
#: largest difference of a score (detection, classification, keypoint)
SCORE_TOL = 1e-3
#: smallest mean IoU of the binary masks of matched detections, and the
#: smallest of any pair (a mask thresholded at 0.5 flips the pixels whose
#: probability is that close to 0.5, a visible share of a thin one)
MEAN_MASK_IOU = 0.99
MIN_MASK_IOU = 0.8
#: smallest fraction of pixels with the same class
PIXEL_AGREEMENT = 0.999
#: largest distance of two keypoints, in input pixels
KEYPOINT_TOL = 0.5


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of boxes (N, 4) and (M, 4) as x1, y1, x2, y2: (N, M)."""
    a = np.asarray(a, np.float64)[:, None]
    b = np.asarray(b, np.float64)[None]
    w = np.clip(
        np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0,
        None)
    h = np.clip(
        np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0,
        None)
    inter = w * h
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.)


def _at_edge(score: float, other_scores: np.ndarray, score_thr: float,
             keep_top_k: Optional[int]) -> bool:
    """A detection the other side may drop by a rounding difference: its
    score is within :data:`SCORE_TOL` of the score threshold, or of the
    lowest score of a list cut at ``keep_top_k``."""
    if abs(score - score_thr) <= SCORE_TOL:
        return True
    full = keep_top_k is not None and len(other_scores) >= keep_top_k
    return bool(full and score <= other_scores.min() + SCORE_TOL)


def match_detections(ref: Dict[str, np.ndarray],
                     got: Dict[str, np.ndarray],
                     score_thr: float = 0.05,
                     keep_top_k: Optional[int] = None) -> dict:
    """Detections ``ref`` (PyTorch) and ``got`` (exported), dicts of
    ``bboxes`` (N, 4), ``scores`` (N, ), ``labels`` (N, ) and optionally
    ``masks`` (N, H, W) bool.

    Greedy in ``ref``'s score order: a detection matches the unmatched one
    of ``got`` with the same label and the highest box IoU, if that IoU is
    at least :data:`BOX_IOU`. They agree when every matched pair's scores
    differ by at most :data:`SCORE_TOL` (and masks overlap by at least
    :data:`MEAN_MASK_IOU` on average, :data:`MIN_MASK_IOU` each) and every
    unmatched detection is at the edge of the score threshold or of the
    ``keep_top_k`` cut.
    """
    ious = box_iou(ref['bboxes'], got['bboxes'])
    same_label = ref['labels'][:, None] == got['labels'][None]
    ious = np.where(same_label, ious, -1.)
    taken = np.zeros(len(got['scores']), bool)
    pairs = []
    for i in np.argsort(-ref['scores'], kind='stable'):
        if not len(taken):
            break
        row = np.where(taken, -1., ious[i])
        j = int(row.argmax())
        if row[j] >= BOX_IOU:
            taken[j] = True
            pairs.append((int(i), j))
    matched_ref = {i for i, _ in pairs}
    lost = [
        float(s) for i, s in enumerate(ref['scores']) if i not in matched_ref
    ]
    extra = [float(s) for j, s in enumerate(got['scores']) if not taken[j]]
    score_diffs = [abs(ref['scores'][i] - got['scores'][j]) for i, j in pairs]
    box_ious = [ious[i, j] for i, j in pairs]
    result = dict(
        num_pytorch=int(len(ref['scores'])),
        num_onnx=int(len(got['scores'])),
        matched=len(pairs),
        unmatched_pytorch_scores=lost,
        unmatched_onnx_scores=extra,
        min_box_iou=float(min(box_ious)) if pairs else None,
        max_score_diff=float(max(score_diffs)) if pairs else None)
    ok = all(d <= SCORE_TOL for d in score_diffs) and all(
        _at_edge(s, got['scores'], score_thr, keep_top_k) for s in lost) and \
        all(_at_edge(s, ref['scores'], score_thr, keep_top_k) for s in extra)
    if 'masks' in ref and 'masks' in got:
        mask_ious = [
            mask_iou(ref['masks'][i], got['masks'][j]) for i, j in pairs
        ]
        result.update(
            min_mask_iou=float(min(mask_ious)) if pairs else None,
            mean_mask_iou=float(np.mean(mask_ious)) if pairs else None)
        ok = ok and (not pairs or (np.mean(mask_ious) >= MEAN_MASK_IOU
                                   and min(mask_ious) >= MIN_MASK_IOU))
    result['ok'] = bool(ok)
    return result


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two binary masks (H, W); 1 if both are empty."""
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.


def pixel_agreement(ref: np.ndarray, got: np.ndarray) -> dict:
    """Class maps (H, W) of PyTorch and of the exported model."""
    ref, got = np.asarray(ref).squeeze(), np.asarray(got).squeeze()
    if ref.shape != got.shape:
        return dict(
            shape=list(ref.shape), onnx_shape=list(got.shape), ok=False)
    same = float((ref == got).mean())
    return dict(
        shape=list(ref.shape),
        pixel_agreement=same,
        differing_pixels=int((ref != got).sum()),
        ok=same >= PIXEL_AGREEMENT)


def keypoint_agreement(ref_keypoints: np.ndarray, ref_scores: np.ndarray,
                       keypoints: np.ndarray, scores: np.ndarray) -> dict:
    """Keypoints (N, K, 2) and their scores (N, K) of PyTorch and of the
    exported model."""
    dist = np.linalg.norm(
        np.asarray(ref_keypoints, np.float64) -
        np.asarray(keypoints, np.float64),
        axis=-1)
    score_diff = np.abs(
        np.asarray(ref_scores, np.float64) - np.asarray(scores, np.float64))
    return dict(
        num_keypoints=int(dist.size),
        max_distance=float(dist.max()),
        mean_distance=float(dist.mean()),
        max_score_diff=float(score_diff.max()),
        ok=bool(dist.max() <= KEYPOINT_TOL and score_diff.max() <= SCORE_TOL))


def topk_agreement(ref_scores: np.ndarray,
                   scores: np.ndarray,
                   k: int = 5) -> dict:
    """Class scores (C, ) of PyTorch and of the exported model: the same
    top-``k`` classes (up to classes whose scores tie within
    :data:`SCORE_TOL` at the cut) and every score within
    :data:`SCORE_TOL`."""
    ref_scores = np.asarray(ref_scores, np.float64).ravel()
    scores = np.asarray(scores, np.float64).ravel()
    k = min(k, ref_scores.size)
    ref_top = np.argsort(-ref_scores, kind='stable')[:k]
    top = np.argsort(-scores, kind='stable')[:k]
    cut = ref_scores[ref_top[-1]]
    differ = set(ref_top.tolist()) ^ set(top.tolist())
    ties = all(abs(ref_scores[c] - cut) <= SCORE_TOL for c in differ)
    diff = float(np.abs(ref_scores - scores).max())
    return dict(
        pytorch_top=ref_top.tolist(),
        onnx_top=top.tolist(),
        max_score_diff=diff,
        ok=bool(ties and diff <= SCORE_TOL))
