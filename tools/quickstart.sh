#!/usr/bin/env bash
# The quick start: install what is missing (skipped when
# `tools/install.sh --check` passes, or with --no-install: this checkout is
# then put on PYTHONPATH), write the built-in tiny datasets,
# then train and test on them (CPU is fine):
#   det:  Mask R-CNN + a small backbone on tiny COCO-format shapes:
#         tools/train.py, then tools/test.py (COCO box and mask mAP);
#   seg:  Semantic FPN + the same backbone on tiny ADE20K-format shapes:
#         tools/train.py, then tools/test.py (mIoU);
#   pose: a top-down heatmap model + ScopeViT-XT on tiny COCO-keypoints
#         stick figures: tools/train.py, then tools/test.py (COCO keypoint
#         AP), and the AP of the mean pose placed in each box.
# Each test draws its predictions (--show-dir), each job gets a training
# curve, and the run ends with a summary of the metrics.
#
#   bash tools/quickstart.sh                     # det + seg, ScalableViT (about 15 min)
#   bash tools/quickstart.sh --backbone scopevit # det + seg, ScopeViT (about 18 min)
#   bash tools/quickstart.sh --backbone all      # both (about 33 min)
#   bash tools/quickstart.sh --task pose         # pose, ScopeViT
#   bash tools/quickstart.sh --task all          # det + seg + pose
#   bash tools/quickstart.sh --no-install        # never run tools/install.sh
# (times: an idle 2-core x86-64 CPU, torch's default threads)
# --task takes det, seg, pose or all (several: --task "det pose"). The
# backbone defaults to ScalableViT for det and seg, ScopeViT for pose (the
# ScopeViT authors' recipe); --backbone sets it for every task.
# Results land in work_dirs/quickstart/<backbone>/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
BACKBONES=
TASKS="det seg"
INSTALL=1
usage() {
    echo "usage: $0 [--backbone scalablevit|scopevit|all] [--task det|seg|pose|all] [--no-install]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case "$1" in
        --backbone) [ $# -ge 2 ] || usage; BACKBONES="$2"; shift 2 ;;
        --backbone=*) BACKBONES="${1#*=}"; shift ;;
        --task) [ $# -ge 2 ] || usage; TASKS="$2"; shift 2 ;;
        --task=*) TASKS="${1#*=}"; shift ;;
        --no-install) INSTALL=0; shift ;;
        *) usage ;;
    esac
done
[ "$BACKBONES" = all ] && BACKBONES="scalablevit scopevit"
[ "$TASKS" = all ] && TASKS="det seg pose"
for b in $BACKBONES; do
    case "$b" in scalablevit|scopevit) ;; *)
        echo "unknown backbone '$b': scalablevit, scopevit or all" >&2; exit 2 ;;
    esac
done
for t in $TASKS; do
    case "$t" in det|seg|pose) ;; *)
        echo "unknown task '$t': det, seg, pose or all" >&2; exit 2 ;;
    esac
done

if [ "$INSTALL" = 1 ]; then
    bash "$ROOT/tools/install.sh" --check || bash "$ROOT/tools/install.sh"
else
    export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
fi
cd "$ROOT"
"$PY" tools/misc/make_tiny_datasets.py --out data

# task -> job (work folder), config prefix, dataset, checkpoint
job_of() {
    case "$1" in
        det) echo "mask_rcnn mask_rcnn tiny_shapes epoch_12.pth" ;;
        seg) echo "semfpn semfpn tiny_shapes iter_400.pth" ;;
        pose) echo "topdown topdown tiny_people epoch_16.pth" ;;
    esac
}
JOBS=()
for task in $TASKS; do
    backbones="$BACKBONES"
    if [ -z "$backbones" ]; then
        if [ "$task" = pose ]; then backbones=scopevit; else backbones=scalablevit; fi
    fi
    for b in $backbones; do
        set -- $(job_of "$task")
        WORK="work_dirs/quickstart/$b/$1"
        CONFIG="configs/quickstart/${2}_${b}_${3}.py"
        echo "== $b: $1 on $3: train =="
        "$PY" tools/train.py "$CONFIG" --work-dir "$WORK"
        echo "== $b: $1 on $3: test =="
        "$PY" tools/test.py "$CONFIG" "$WORK/$4" --work-dir "$WORK" \
            --show-dir "$ROOT/$WORK/predictions"
        if [ "$task" = pose ]; then
            echo "== $b: $1: the mean pose placed in each box =="
            "$PY" tools/misc/pose_baseline.py "$CONFIG" --work-dir "$WORK"
        fi
        JOBS+=("$WORK")
    done
done

echo "== Quick start results =="
"$PY" tools/misc/quickstart_report.py "${JOBS[@]}"
for job in "${JOBS[@]}"; do
    echo "drawn test predictions: $(find "$job/predictions" -name '*.png' -o -name '*.jpg' | head -1 | xargs dirname)/"
done
