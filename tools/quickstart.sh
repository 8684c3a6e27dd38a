#!/usr/bin/env bash
# The quick start: install what is missing, write the built-in tiny datasets,
# then train and test on them (CPU is fine, about 15 minutes on 2 cores):
#   1. Mask R-CNN + a small ScalableViT on tiny COCO-format shapes:
#      tools/train.py, then tools/test.py printing COCO box and mask mAP;
#   2. Semantic FPN + the same backbone on tiny ADE20K-format shapes:
#      tools/train.py, then tools/test.py printing mIoU.
# Results land in work_dirs/quickstart/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
bash "$ROOT/tools/install.sh"
cd "$ROOT"
"$PY" tools/misc/make_tiny_datasets.py --out data

DET=configs/quickstart/mask_rcnn_scalablevit_tiny_shapes.py
SEG=configs/quickstart/semfpn_scalablevit_tiny_shapes.py
WORK=work_dirs/quickstart

echo "== Mask R-CNN on tiny COCO shapes: train =="
"$PY" tools/train.py "$DET" --work-dir "$WORK/mask_rcnn"
echo "== Mask R-CNN on tiny COCO shapes: test =="
"$PY" tools/test.py "$DET" "$WORK/mask_rcnn/epoch_12.pth" --work-dir "$WORK/mask_rcnn" \
    | tee "$WORK/mask_rcnn_test.log"

echo "== Semantic FPN on tiny ADE20K shapes: train =="
"$PY" tools/train.py "$SEG" --work-dir "$WORK/semfpn"
echo "== Semantic FPN on tiny ADE20K shapes: test =="
"$PY" tools/test.py "$SEG" "$WORK/semfpn/iter_400.pth" --work-dir "$WORK/semfpn" \
    | tee "$WORK/semfpn_test.log"

echo "== Quick start results =="
grep -h "bbox_mAP\|segm_mAP\|mIoU" "$WORK/mask_rcnn_test.log" "$WORK/semfpn_test.log" | grep -v "^|" | tail -n 3
