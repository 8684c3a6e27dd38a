"""mmpose's COCO body-keypoint dataset, with the annotation checks it lacks.

Imported on first use of ``type='mmscalablevit.CheckedCocoDataset'`` (the
registry's location), so that importing the package never imports mmpose.
The module is named ``body`` as mmpose's own ``datasets/body/``: mmpose's
inferencers pick their default person detector from that folder name.
"""
from typing import List, Optional

from mmpose.datasets import CocoDataset

from ..registry import DATASETS


@DATASETS.register_module()
class CheckedCocoDataset(CocoDataset):
    """mmpose's ``CocoDataset`` (same arguments, same samples) that rejects
    annotation files it would misread, with an error naming the file:

    * an annotation whose ``keypoints`` list is not ``3 x K`` numbers (x, y,
      flag for each of the K keypoints of the dataset's metainfo, 17 for
      COCO): mmpose reads it as another number of keypoints and fails later
      in a flip or the loss;
    * a file whose annotations have no ``keypoints`` at all (e.g. a
      detection ``instances_*.json``): mmpose skips every annotation and
      trains on nothing, or fails at the end of testing.

    What mmpose already handles is kept: ground-truth boxes are clipped to
    the image, and annotations left without a box or without a labelled
    keypoint are skipped; a detected box (``bbox_file``) partly or wholly
    outside the image is cropped with zero padding around the image; images
    of any size are cropped and resized to the model's input size.
    """

    def parse_data_info(self, raw_data_info: dict) -> Optional[dict]:
        ann = raw_data_info['raw_ann_info']
        if 'keypoints' in ann:
            self._check_keypoints(ann)
        return super().parse_data_info(raw_data_info)

    def _load_detection_results(self) -> List[dict]:
        data_list = super()._load_detection_results()
        annotations = self.coco.dataset.get('annotations', [])
        for ann in annotations:
            if 'keypoints' in ann:
                self._check_keypoints(ann)
        # an image list without annotations is a test set (format_only)
        if annotations and not any('keypoints' in a for a in annotations):
            raise self._no_keypoints()
        return data_list

    def load_data_list(self) -> List[dict]:
        data_list = super().load_data_list()
        if not data_list and not self.bbox_file:
            raise self._no_keypoints()
        return data_list

    def _check_keypoints(self, ann: dict) -> None:
        num = self.metainfo['num_keypoints']
        found = len(ann['keypoints'])
        if found != 3 * num:
            raise ValueError(
                f'{self.ann_file}: annotation {ann.get("id")} has {found} '
                f'numbers in "keypoints"; {self.metainfo["dataset_name"]} '
                f'has {num} keypoints, i.e. {3 * num} numbers (x, y, flag '
                'per keypoint). Fix the file, or for another skeleton give '
                'the dataset metainfo=dict(from_file=...) describing it and '
                'the head out_channels=<its keypoints>.')

    def _no_keypoints(self) -> ValueError:
        return ValueError(
            f'{self.ann_file}: no annotation with "keypoints" (and a box) '
            f'to {"evaluate" if self.bbox_file else "train or test"} on. '
            'Top-down pose needs a COCO-keypoints file (annotations with '
            '"bbox" and "keypoints", e.g. person_keypoints_val2017.json), '
            'not a detection (instances_*.json) file.')
