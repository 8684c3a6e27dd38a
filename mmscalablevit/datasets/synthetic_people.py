"""A small synthetic COCO-keypoints set for the pose quick start and tests
(no download needed).

Each image shows up to a few articulated stick figures facing the camera
(their left side is on the image's right, as for a person facing the
viewer, so horizontal flips keep the labels consistent): a filled torso,
limbs as thick lines, a head with eyes, nose and ears, hands and feet.
Joint angles, size, tilt, colours and position are random; figures may
overlap each other, be covered in part by a patch of background, or leave
the image. The 17 COCO keypoints carry COCO's flags: 2 visible, 1 labelled
but hidden (under a later figure or a patch), 0 not labelled (outside the
image, coordinates 0). Everything is a function of the seed.
"""
import json
import os
import os.path as osp
from typing import List, Tuple

import cv2
import numpy as np

from .synthetic import _background, scenes, write_coco

KEYPOINTS = ('nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear',
             'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
             'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee',
             'right_knee', 'left_ankle', 'right_ankle')
# COCO's person skeleton (1-based keypoint ids)
SKELETON = [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13],
            [6, 7], [6, 8], [7, 9], [8, 10], [9, 11], [2, 3], [1, 2], [1, 3],
            [2, 4], [3, 5], [4, 6], [5, 7]]
# COCO's convention for annotations without a segmentation: mmpose's
# estimate of a person's area from its box (a figure is thinner).
AREA_PER_BOX = 0.53


def _limb(start: np.ndarray, angle: float, length: float) -> np.ndarray:
    """End of a limb hanging from ``start``, turned ``angle`` radians from
    straight down towards +x."""
    return start + length * np.array([np.sin(angle), np.cos(angle)])


def _pose(rng) -> np.ndarray:
    """Keypoints (17, 2) of a figure of height about 1 in its own frame
    (pelvis at the origin, y down, the figure's left towards +x)."""
    kpt = np.zeros((17, 2))
    neck = np.array([0., -0.30])
    head = neck + [rng.uniform(-.02, .02), -0.12]
    kpt[0] = head + [0., 0.025]  # nose
    kpt[1:3] = head + [[0.028, -0.012], [-0.028, -0.012]]  # eyes
    kpt[3:5] = head + [[0.066, 0.], [-0.066, 0.]]  # ears
    kpt[5:7] = neck + [[0.11, 0.], [-0.11, 0.]]  # shoulders
    kpt[11:13] = [[0.075, 0.], [-0.075, 0.]]  # hips
    for side, sign in ((0, 1.), (1, -1.)):  # left, then right
        upper = rng.uniform(-0.3, 2.6)  # from hanging down to raised
        fore = upper + rng.uniform(-0.4, 2.0)
        kpt[7 + side] = _limb(kpt[5 + side], sign * upper, 0.16)
        kpt[9 + side] = _limb(kpt[7 + side], sign * fore, 0.14)
        thigh = rng.uniform(-0.15, 0.6)
        shin = thigh + rng.uniform(-0.6, 0.3)
        kpt[13 + side] = _limb(kpt[11 + side], sign * thigh, 0.24)
        kpt[15 + side] = _limb(kpt[13 + side], sign * shin, 0.23)
    return kpt


def _draw(canvas: np.ndarray,
          kpt: np.ndarray,
          height: float,
          colours,
          fill=None) -> None:
    """Draw a figure with keypoints ``kpt`` (17, 2) in pixels; ``fill``
    replaces every colour (to draw its mask)."""
    body, limbs, skin = [fill or c for c in colours]
    shift = 4  # sub-pixel precision of cv2's drawing
    pt = np.round(kpt * (1 << shift)).astype(np.int32)

    def line(a, b, colour, width):
        cv2.line(canvas, tuple(pt[a]), tuple(pt[b]), colour,
                 max(1, int(round(width * height))), cv2.LINE_AA, shift)

    def dot(a, colour, radius):
        cv2.circle(canvas, tuple(pt[a]),
                   max(1, int(round(radius * height * (1 << shift)))), colour,
                   -1, cv2.LINE_AA, shift)

    cv2.fillPoly(canvas, [pt[[5, 6, 12, 11]]], body, cv2.LINE_AA, shift)
    for a, b in ((5, 7), (7, 9), (6, 8), (8, 10), (11, 13), (13, 15), (12, 14),
                 (14, 16)):
        line(a, b, limbs, 0.045)
    neck = np.round((kpt[5] + kpt[6]) / 2 * (1 << shift)).astype(np.int32)
    centre = np.round((kpt[1] + kpt[2]) / 2 * (1 << shift) +
                      [0, 0.012 * height * (1 << shift)]).astype(np.int32)
    cv2.line(canvas, tuple(neck), tuple(centre), body,
             max(1, int(round(0.04 * height))), cv2.LINE_AA, shift)
    dot(3, skin, 0.02)
    dot(4, skin, 0.02)
    cv2.circle(canvas, tuple(centre),
               int(round(0.065 * height * (1 << shift))), skin, -1,
               cv2.LINE_AA, shift)
    for a in (9, 10, 15, 16):  # hands and feet
        dot(a, skin, 0.025)
    if fill is None:  # the face: dark eyes, a red nose
        dot(1, (20, 20, 20), 0.01)
        dot(2, (20, 20, 20), 0.01)
        dot(0, (40, 40, 200), 0.01)


def _person(rng, h: int, w: int):
    """One figure placed in an (h, w) image: keypoints (17, 2) in pixels,
    its height in pixels and its colours."""
    height = rng.uniform(0.45, 0.95) * h
    tilt = float(np.clip(rng.normal(0, 0.25), -0.8, 0.8))
    rot = np.array([[np.cos(tilt), -np.sin(tilt)],
                    [np.sin(tilt), np.cos(tilt)]])
    centre = np.array([rng.uniform(0.1, 0.9) * w, rng.uniform(0.4, 0.65) * h])
    kpt = _pose(rng) @ rot.T * height + centre
    tone = rng.uniform(60, 255, 3)
    colours = [
        tuple(float(c) for c in v)
        for v in (tone * rng.permutation([1., .6, .3]), tone[::-1] * .8,
                  rng.uniform([90, 120, 160], [150, 190, 240]))
    ]
    return kpt, height, colours


def _scene(rng, h: int, w: int, max_people: int, empty: bool):
    """An image and its people: list of (keypoints (17, 2), flags (17,),
    mask (h, w) bool)."""
    img = _background(rng, h, w)
    people = []
    n = 0 if empty else int(rng.integers(1, max_people + 1))
    for _ in range(n * 20):
        if len(people) == n:
            break
        kpt, height, colours = _person(rng, h, w)
        inside = ((kpt >= 0) & (kpt < [w, h])).all(1)
        if inside.sum() < 8:  # mostly outside the image: place again
            continue
        mask = np.zeros((h, w), np.uint8)
        _draw(mask, kpt, height, colours, fill=1)
        _draw(img, kpt, height, colours)
        for other in people:  # what this figure covers is now hidden
            covered = _covered(mask, other[0])
            other[1][covered & (other[1] == 2)] = 1
        people.append([kpt, np.where(inside, 2, 0), mask.astype(bool)])
    if people and rng.random() < 0.3:  # a patch of background over a joint
        kpt, flags, _ = people[int(rng.integers(len(people)))]
        x, y = kpt[rng.choice(np.flatnonzero(flags))]
        side = rng.uniform(0.08, 0.2) * min(h, w)
        x0, y0 = int(max(0, x - side / 2)), int(max(0, y - side / 2))
        x1, y1 = int(min(w, x + side / 2)), int(min(h, y + side / 2))
        img[y0:y1, x0:x1] = _background(rng, y1 - y0, x1 - x0)
        patch = np.zeros((h, w), np.uint8)
        patch[y0:y1, x0:x1] = 1
        for kpt, flags, _ in people:
            flags[_covered(patch, kpt) & (flags == 2)] = 1
    return np.clip(img, 0, 255).astype(np.uint8), people


def _covered(mask: np.ndarray, kpt: np.ndarray) -> np.ndarray:
    """Which keypoints (17, 2) fall on the set pixels of ``mask``."""
    h, w = mask.shape
    x = np.clip(np.floor(kpt[:, 0]).astype(int), 0, w - 1)
    y = np.clip(np.floor(kpt[:, 1]).astype(int), 0, h - 1)
    inside = ((kpt >= 0) & (kpt < [w, h])).all(1)
    return inside & (mask[y, x] > 0)


def _annotation(ann_id: int, image_id: int, kpt, flags, mask) -> dict:
    ys, xs = np.nonzero(mask)
    x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
    keypoints = np.concatenate(
        [np.where(flags[:, None] > 0, kpt, 0.), flags[:, None]], 1)
    return dict(
        id=ann_id,
        image_id=image_id,
        category_id=1,
        bbox=[float(x0), float(y0),
              float(x1 - x0),
              float(y1 - y0)],
        area=round(AREA_PER_BOX * float((x1 - x0) * (y1 - y0)), 2),
        keypoints=[round(float(v), 2) for v in keypoints.reshape(-1)],
        num_keypoints=int((flags > 0).sum()),
        iscrowd=0)


def _detections(rng, annotations: List[dict], images: List[dict]):
    """A person detector's output: every figure's box, moved by a few
    percent of its size, scored 0.6-1; and a false box, scored below 0.4,
    in about a third of the images."""
    sizes = {i['id']: (i['width'], i['height']) for i in images}
    dets = []
    for ann in annotations:
        x, y, bw, bh = ann['bbox']
        x0, x1 = np.array([x, x + bw]) + rng.normal(0, 0.04, 2) * bw
        y0, y1 = np.array([y, y + bh]) + rng.normal(0, 0.04, 2) * bh
        w, h = sizes[ann['image_id']]
        x0, x1 = np.clip([x0, x1], 0, w)
        y0, y1 = np.clip([y0, y1], 0, h)
        dets.append(
            dict(
                image_id=ann['image_id'],
                score=rng.uniform(.6, 1.),
                box=(x0, y0, x1, y1)))
    for image in images:
        if rng.random() < 1 / 3:
            w, h = image['width'], image['height']
            bw, bh = rng.uniform(0.2, 0.4) * w, rng.uniform(0.4, 0.7) * h
            x0, y0 = rng.uniform(0, w - bw), rng.uniform(0, h - bh)
            dets.append(
                dict(
                    image_id=image['id'],
                    score=rng.uniform(.05, .4),
                    box=(x0, y0, x0 + bw, y0 + bh)))
    return [
        dict(
            image_id=d['image_id'],
            category_id=1,
            bbox=[
                round(float(v), 2)
                for v in (d['box'][0], d['box'][1], d['box'][2] - d['box'][0],
                          d['box'][3] - d['box'][1])
            ],
            score=round(float(d['score']), 4)) for d in dets
    ]


def make_coco_people(root: str,
                     num_train: int = 200,
                     num_val: int = 50,
                     size_range: Tuple[int, int] = (160, 256),
                     max_people: int = 3,
                     empty_every: int = 20,
                     seed: int = 0) -> dict:
    """Write a COCO-keypoints set of stick figures.

    Layout (COCO's): ``root/{train,val}/*.jpg``,
    ``root/annotations/person_keypoints_{train,val}.json`` (category 1
    ``person`` with COCO's 17 keypoint names and skeleton; per figure
    ``bbox`` (x, y, w, h) around its drawn pixels in the image, 51
    ``keypoints`` numbers (x, y, flag), ``num_keypoints``, ``area`` =
    0.53 x box area) and ``root/person_detection_results/
    detections_val.json``, a detector's boxes for the val images (the
    ``bbox_file`` of top-down testing). Every ``empty_every``-th image has
    no figure.

    Returns:
        dict: image, figure and keypoint-flag counts per split.
    """
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    category = dict(
        id=1,
        name='person',
        supercategory='person',
        keypoints=list(KEYPOINTS),
        skeleton=SKELETON)
    stats = {}
    for split, count in (('train', num_train), ('val', num_val)):
        os.makedirs(osp.join(root, split), exist_ok=True)
        images, annotations = [], []
        for idx, h, w, img, people in scenes(rng, _scene, count, size_range,
                                             max_people, empty_every):
            name = f'{idx:05d}.jpg'
            cv2.imwrite(osp.join(root, split, name), img)
            images.append(dict(id=idx + 1, file_name=name, width=w, height=h))
            for kpt, flags, mask in people:
                annotations.append(
                    _annotation(
                        len(annotations) + 1, idx + 1, kpt, flags, mask))
        write_coco(
            osp.join(root, 'annotations', f'person_keypoints_{split}.json'),
            images, annotations, [category])
        flags = np.array([a['keypoints'][2::3] for a in annotations])
        stats[split] = dict(
            images=len(images),
            people=len(annotations),
            visible=int((flags == 2).sum()),
            hidden=int((flags == 1).sum()),
            unlabelled=int((flags == 0).sum()))
        if split == 'val':
            os.makedirs(
                osp.join(root, 'person_detection_results'), exist_ok=True)
            dets = _detections(rng, annotations, images)
            with open(
                    osp.join(root, 'person_detection_results',
                             'detections_val.json'), 'w') as f:
                json.dump(dets, f)
            stats[split]['detections'] = len(dets)
    return stats
