"""Small synthetic datasets in COCO and ADE20K layout for quick starts and
tests (no download needed).

Images show squares, circles and triangles of random size, angle and colour
on a smooth noisy background. The class is the shape, not the colour. Image
sizes vary and are mostly not multiples of 32, and a few images contain no
object, so the sets exercise padding, mixed-size batches and empty images.
Everything is a function of the seed.
"""
import json
import os
import os.path as osp
from typing import List, Tuple

import cv2
import numpy as np

SHAPES = ('square', 'circle', 'triangle')
# ADE20K convention: 0 = unlabelled (ignored with reduce_zero_label=True),
# so label value k is class k - 1.
SEG_CLASSES = ('background', ) + SHAPES


def _polygon(shape: str, cx: float, cy: float, r: float,
             angle: float) -> np.ndarray:
    """Vertices (K, 2) of a shape with circumradius ``r``."""
    if shape == 'square':
        k, offset = 4, np.pi / 4
    elif shape == 'triangle':
        k, offset = 3, np.pi / 2
    else:
        k, offset = 32, 0.
    t = angle + offset + 2 * np.pi * np.arange(k) / k
    return np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], axis=1)


def _background(rng, h: int, w: int) -> np.ndarray:
    c0, c1 = rng.uniform(20, 120, 3), rng.uniform(20, 120, 3)
    ramp = np.linspace(0, 1, w)[None, :, None] if rng.random() < .5 else \
        np.linspace(0, 1, h)[:, None, None]
    img = c0 + (c1 - c0) * ramp + rng.normal(0, 8, (h, w, 3))
    return np.broadcast_to(img, (h, w, 3)).copy()


def _overlaps(box, boxes, margin=2.) -> bool:
    x0, y0, x1, y1 = box
    return any(x0 < b[2] + margin and b[0] < x1 + margin and y0 < b[3] +
               margin and b[1] < y1 + margin for b in boxes)


def _scene(rng, h: int, w: int, max_objects: int, empty: bool):
    """A background and up to ``max_objects`` non-overlapping shapes:
    list of (class index, polygon)."""
    img = _background(rng, h, w)
    objects: List[Tuple[int, np.ndarray]] = []
    boxes = []
    n = 0 if empty else int(rng.integers(1, max_objects + 1))
    for _ in range(n * 20):
        if len(objects) == n:
            break
        cls = int(rng.integers(len(SHAPES)))
        r = rng.uniform(0.08, 0.22) * min(h, w)
        cx, cy = rng.uniform(r, w - r), rng.uniform(r, h - r)
        poly = _polygon(SHAPES[cls], cx, cy, r, rng.uniform(0, 2 * np.pi))
        box = (*poly.min(0), *poly.max(0))
        if _overlaps(box, boxes):
            continue
        boxes.append(box)
        objects.append((cls, poly))
        colour = rng.uniform(150, 255, 3) * rng.permutation([1., .6, .3])
        cv2.fillPoly(img, [np.round(poly).astype(np.int32)], colour.tolist())
    img = np.clip(img, 0, 255).astype(np.uint8)
    return img, objects


def make_shapes_image(height: int,
                      width: int,
                      seed: int = 0,
                      max_objects: int = 4) -> np.ndarray:
    """One image of the sets' kind, (H, W, 3) uint8 BGR, with 1 to
    ``max_objects`` shapes."""
    return _scene(
        np.random.default_rng(seed), height, width, max_objects, False)[0]


def _sizes(rng, n: int, lo: int, hi: int):
    return [(int(rng.integers(lo, hi + 1)), int(rng.integers(lo, hi + 1)))
            for _ in range(n)]


def scenes(rng, scene, count: int, size_range: Tuple[int, int], max_items: int,
           empty_every: int):
    """``count`` images of ``scene(rng, H, W, max_items, empty)`` at sizes
    drawn from ``size_range`` first, every ``empty_every``-th one empty:
    yields ``(idx, H, W, image, items)``."""
    for idx, (h, w) in enumerate(_sizes(rng, count, *size_range)):
        img, items = scene(
            rng, h, w, max_items, empty=idx % empty_every == empty_every - 1)
        yield idx, h, w, img, items


def write_coco(path: str, images: list, annotations: list,
               categories: list) -> None:
    """A COCO annotation file."""
    with open(path, 'w') as f:
        json.dump(
            dict(
                images=images, annotations=annotations, categories=categories),
            f)


def make_coco_shapes(root: str,
                     num_train: int = 200,
                     num_val: int = 50,
                     size_range: Tuple[int, int] = (180, 260),
                     max_objects: int = 4,
                     empty_every: int = 20,
                     seed: int = 0) -> dict:
    """Write a COCO-format detection / instance segmentation set.

    Layout: ``root/{train,val}/*.jpg`` and
    ``root/annotations/instances_{train,val}.json`` with polygon masks and
    the categories ``square``, ``circle``, ``triangle`` (ids 1-3). Every
    ``empty_every``-th image has no object.

    Returns:
        dict: image and annotation counts per split.
    """
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    categories = [{'id': i + 1, 'name': n} for i, n in enumerate(SHAPES)]
    stats = {}
    for split, count in (('train', num_train), ('val', num_val)):
        os.makedirs(osp.join(root, split), exist_ok=True)
        images, annotations = [], []
        for idx, h, w, img, objects in scenes(rng, _scene, count, size_range,
                                              max_objects, empty_every):
            name = f'{idx:05d}.jpg'
            cv2.imwrite(osp.join(root, split, name), img)
            images.append(dict(id=idx + 1, file_name=name, width=w, height=h))
            for cls, poly in objects:
                x0, y0 = poly.min(0)
                x1, y1 = poly.max(0)
                annotations.append(
                    dict(
                        id=len(annotations) + 1,
                        image_id=idx + 1,
                        category_id=cls + 1,
                        bbox=[
                            float(x0),
                            float(y0),
                            float(x1 - x0),
                            float(y1 - y0)
                        ],
                        area=float(cv2.contourArea(poly.astype(np.float32))),
                        segmentation=[poly.reshape(-1).round(2).tolist()],
                        iscrowd=0))
        write_coco(
            osp.join(root, 'annotations', f'instances_{split}.json'), images,
            annotations, categories)
        stats[split] = dict(images=len(images), objects=len(annotations))
    return stats


def make_ade_shapes(root: str,
                    num_train: int = 200,
                    num_val: int = 50,
                    size_range: Tuple[int, int] = (200, 300),
                    max_objects: int = 4,
                    empty_every: int = 20,
                    seed: int = 0) -> dict:
    """Write an ADE20K-format semantic segmentation set.

    Layout: ``root/images/{training,validation}/*.jpg`` and
    ``root/annotations/{training,validation}/*.png``. Label values: 0 =
    unlabelled (a 2-pixel band on object borders; ignored with
    ``reduce_zero_label=True``), 1 = background, 2-4 = square, circle,
    triangle, i.e. the classes :data:`SEG_CLASSES` after reduction.

    Returns:
        dict: image counts and labelled-pixel fractions per split.
    """
    rng = np.random.default_rng(seed)
    stats = {}
    for split, count in (('training', num_train), ('validation', num_val)):
        img_dir = osp.join(root, 'images', split)
        ann_dir = osp.join(root, 'annotations', split)
        os.makedirs(img_dir, exist_ok=True)
        os.makedirs(ann_dir, exist_ok=True)
        counts = np.zeros(len(SEG_CLASSES) + 1, dtype=np.int64)
        for idx, h, w, img, objects in scenes(rng, _scene, count, size_range,
                                              max_objects, empty_every):
            label = np.ones((h, w), dtype=np.uint8)
            for cls, poly in objects:
                pts = [np.round(poly).astype(np.int32)]
                cv2.fillPoly(label, pts, cls + 2)
                cv2.polylines(label, pts, True, 0, thickness=2)
            name = f'ADE_tiny_{split}_{idx:05d}'
            cv2.imwrite(osp.join(img_dir, name + '.jpg'), img)
            cv2.imwrite(osp.join(ann_dir, name + '.png'), label)
            counts += np.bincount(label.ravel(), minlength=len(counts))
        stats[split] = dict(
            images=count,
            pixel_fraction={
                name: round(float(counts[i + 1] / counts.sum()), 4)
                for i, name in enumerate(SEG_CLASSES)
            })
    return stats
