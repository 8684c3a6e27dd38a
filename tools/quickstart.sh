#!/usr/bin/env bash
# The quick start: install what is missing (skipped when
# `tools/install.sh --check` passes, or with --no-install: this checkout is
# then put on PYTHONPATH), write the built-in tiny datasets,
# then train and test on them (CPU is fine):
#   1. Mask R-CNN + a small backbone on tiny COCO-format shapes:
#      tools/train.py, then tools/test.py (COCO box and mask mAP);
#   2. Semantic FPN + the same backbone on tiny ADE20K-format shapes:
#      tools/train.py, then tools/test.py (mIoU).
# Each test draws its predictions (--show-dir), each job gets a training
# curve, and the run ends with a summary of the metrics.
#
#   bash tools/quickstart.sh                     # ScalableViT (about 15 min)
#   bash tools/quickstart.sh --backbone scopevit # ScopeViT (about 18 min)
#   bash tools/quickstart.sh --backbone all      # both (about 33 min)
#   bash tools/quickstart.sh --no-install        # never run tools/install.sh
# (times: an idle 2-core x86-64 CPU, torch's default threads)
# Results land in work_dirs/quickstart/<backbone>/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
BACKBONES=scalablevit
INSTALL=1
while [ $# -gt 0 ]; do
    case "$1" in
        --backbone) BACKBONES="$2"; shift 2 ;;
        --backbone=*) BACKBONES="${1#*=}"; shift ;;
        --no-install) INSTALL=0; shift ;;
        *) echo "usage: $0 [--backbone scalablevit|scopevit|all] [--no-install]" >&2; exit 2 ;;
    esac
done
[ "$BACKBONES" = all ] && BACKBONES="scalablevit scopevit"
for b in $BACKBONES; do
    case "$b" in scalablevit|scopevit) ;; *)
        echo "unknown backbone '$b': scalablevit, scopevit or all" >&2; exit 2 ;;
    esac
done

if [ "$INSTALL" = 1 ]; then
    bash "$ROOT/tools/install.sh" --check || bash "$ROOT/tools/install.sh"
else
    export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
fi
cd "$ROOT"
"$PY" tools/misc/make_tiny_datasets.py --out data

JOBS=()
for b in $BACKBONES; do
    WORK="work_dirs/quickstart/$b"
    for job in "mask_rcnn epoch_12.pth" "semfpn iter_400.pth"; do
        set -- $job
        CONFIG="configs/quickstart/${1}_${b}_tiny_shapes.py"
        echo "== $b: $1 on the tiny shapes: train =="
        "$PY" tools/train.py "$CONFIG" --work-dir "$WORK/$1"
        echo "== $b: $1 on the tiny shapes: test =="
        "$PY" tools/test.py "$CONFIG" "$WORK/$1/$2" --work-dir "$WORK/$1" \
            --show-dir "$ROOT/$WORK/$1/predictions"
        JOBS+=("$WORK/$1")
    done
done

echo "== Quick start results =="
"$PY" tools/misc/quickstart_report.py "${JOBS[@]}"
for job in "${JOBS[@]}"; do
    echo "drawn test predictions: $(find "$job/predictions" -name '*.png' -o -name '*.jpg' | head -1 | xargs dirname)/"
done
