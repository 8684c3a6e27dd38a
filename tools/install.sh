#!/usr/bin/env bash
# Install what mmscalablevit needs, skipping what is already there, then the
# package itself (editable). Safe to run again: a second run takes seconds.
#
#   torch / torchvision   kept if importable (bring your own CUDA build);
#                         otherwise torch==2.14.1 torchvision==0.29.1
#   setuptools>=77,<81    torch 2.14 needs >= 77, mmcv 2.1.0's setup.py
#                         needs pkg_resources (gone in 81)
#   mmengine==0.10.7
#   mmcv==2.1.0           built from source with ops (MMCV_WITH_OPS=1)
#                         against the installed torch; the wheel is cached
#                         per torch version, never reused across versions
#   mmdet==3.3.0 mmsegmentation==1.2.2 mmpretrain==1.2.0 pytest
#   onnx==1.23.2 onnxruntime==1.32.0 onnxscript==0.7.2 (ONNX export)
#   mmpose==1.3.2         without its dependencies (chumpy cannot import on
#                         python 3.11 and mmpose never imports it), plus
#                         xtcocotools==1.14.3 built from source (its wheel
#                         is built against numpy 1 and fails with numpy 2),
#                         json-tricks and munkres
#   openmim==0.3.9 (without its openxlab dependencies)
#   mmdeploy==1.3.1       whole-model ONNX export, without its pins
#                         (protobuf<=3.20.2 would downgrade onnx to 1.17 and
#                         break onnxruntime 1.32), plus aenum, the one
#                         dependency it imports that the stack lacks
#
# Environment: PYTHON (default python3), MMCV_CACHE (default
# ~/.cache/mmscalablevit), MAX_JOBS (default: all cores).
#
#   bash tools/install.sh --check   # exit 0 if all of it is in place
#                                   # (a few seconds, no pip)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
PIP=("$PY" -m pip install --disable-pip-version-check --root-user-action=ignore -q)
CACHE="${MMCV_CACHE:-$HOME/.cache/mmscalablevit}"
MMCV_VERSION=2.1.0

say() { echo "[install] $*"; }

if [ "${1:-}" = --check ]; then
    exec "$PY" - "$ROOT" <<'EOF'
import os, os.path as osp, sys
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
sys.path = [p for p in sys.path if p not in ('', os.getcwd())]
pins = dict(mmengine='0.10.7', mmcv='2.1.0', mmdet='3.3.0',
            mmsegmentation='1.2.2', mmpretrain='1.2.0', onnx='1.23.2',
            onnxruntime='1.32.0', onnxscript='0.7.2', openmim='0.3.9',
            mmpose='1.3.2', mmdeploy='1.3.1')
try:
    wrong = [f'{n}=={v}' for n, v in pins.items() if version(n) != v]
    import mmcv.ops  # noqa: F401 (the compiled ops load)
    import mmpose.apis  # noqa: F401 (its source-built xtcocotools loads)
    import mmdeploy.apis  # noqa: F401 (aenum, its one missing dependency)
    spec = find_spec('mmscalablevit')
    here = spec and osp.realpath(spec.submodule_search_locations[0])
except (PackageNotFoundError, ImportError) as error:
    sys.exit(f'[install] missing: {error}')
if wrong:
    sys.exit(f'[install] other versions than {wrong}')
if here != osp.realpath(osp.join(sys.argv[1], 'mmscalablevit')):
    sys.exit(f'[install] mmscalablevit is not installed from {sys.argv[1]}')
print('[install] everything is in place')
EOF
fi

# 1. torch
if "$PY" -c "import torch, torchvision" 2>/dev/null; then
    say "torch $("$PY" -c 'import torch; print(torch.__version__)') already installed: kept"
else
    say "installing torch==2.14.1 torchvision==0.29.1"
    "${PIP[@]}" torch==2.14.1 torchvision==0.29.1
fi
TORCH_VERSION="$("$PY" -c 'import torch; print(torch.__version__)')"

# 2. build tools and mmengine
"${PIP[@]}" "setuptools>=77.0.3,<81" wheel ninja "mmengine==0.10.7"

# 3. mmcv with ops, compiled against this torch
mmcv_ok() {
    "$PY" - <<'EOF' 2>/dev/null
import torch, mmcv
from mmcv.ops import nms
assert mmcv.__version__ == '2.1.0', mmcv.__version__
boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.]])
assert nms(boxes, torch.tensor([0.9, 0.8]), 0.5)[1].tolist() == [0]
EOF
}
if mmcv_ok; then
    say "mmcv $MMCV_VERSION with ops already works with torch $TORCH_VERSION: kept"
else
    PY_TAG="$("$PY" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
    WHEELS="$CACHE/mmcv-$MMCV_VERSION-torch-$TORCH_VERSION-$PY_TAG"
    if ! ls "$WHEELS"/mmcv-*.whl >/dev/null 2>&1; then
        say "building mmcv $MMCV_VERSION with ops for torch $TORCH_VERSION (about 10-20 minutes on 2 cores)"
        mkdir -p "$WHEELS"
        BUILD_ENV=(MMCV_WITH_OPS=1 "MAX_JOBS=${MAX_JOBS:-$(nproc)}")
        # torch >= 2.10 headers need C++20, but mmcv 2.1.0 asks for C++17:
        # compile through a wrapper that raises the standard.
        if "$PY" -c "import inspect, torch.utils.cpp_extension as c, sys; sys.exit(0 if '-std=c++20' in inspect.getsource(c) else 1)"; then
            WRAP="$(mktemp -d)/cxx20"
            REAL_CXX="$(command -v "${CXX:-g++}")"
            cat > "$WRAP" <<EOF
#!/usr/bin/env bash
args=()
for a in "\$@"; do
    case "\$a" in -std=c++14|-std=c++17) args+=(-std=c++20) ;; *) args+=("\$a") ;; esac
done
exec "$REAL_CXX" "\${args[@]}"
EOF
            chmod +x "$WRAP"
            BUILD_ENV+=("CXX=$WRAP")
        fi
        env "${BUILD_ENV[@]}" "$PY" -m pip wheel --disable-pip-version-check -q \
            --no-deps --no-build-isolation --no-cache-dir \
            -w "$WHEELS" "mmcv==$MMCV_VERSION"
    else
        say "using the cached mmcv wheel built for torch $TORCH_VERSION"
    fi
    "${PIP[@]}" --force-reinstall --no-deps "$WHEELS"/mmcv-*.whl
    "${PIP[@]}" "$(ls "$WHEELS"/mmcv-*.whl)"  # its dependencies
    mmcv_ok || { echo "[install] mmcv $MMCV_VERSION does not work after the build" >&2; exit 1; }
fi

# 4. the toolkits and test tools
# mmseg 1.2.2 imports ftfy and regex without declaring them; onnx,
# onnxruntime and onnxscript export and check ONNX files
# (tools/deployment/pytorch2onnx.py; onnxscript drives torch's dynamo exporter)
"${PIP[@]}" mmdet==3.3.0 mmsegmentation==1.2.2 mmpretrain==1.2.0 ftfy regex pytest \
    onnx==1.23.2 onnxruntime==1.32.0 onnxscript==0.7.2
# mmdeploy (tools/deployment/deploy.py) without its stale pins; it imports
# aenum, prettytable and terminaltables (the last two come with mmseg and
# mmdet) on the paths used; grpcio (SNPE) and multiprocess (a fallback for
# torch.multiprocessing) are never imported there
mmdeploy_ok() {
    "$PY" - <<'EOF' 2>/dev/null
import mmdeploy
from mmdeploy.apis import build_task_processor
from mmdeploy.apis.onnx import export
from mmdeploy.backend.onnxruntime import ORTWrapper
from mmdeploy.utils.config_utils import register_codebase
register_codebase('mmdet')  # imports aenum
assert mmdeploy.__version__ == '1.3.1', mmdeploy.__version__
EOF
}
if mmdeploy_ok; then
    say "mmdeploy 1.3.1 already works: kept"
else
    say "installing mmdeploy 1.3.1 without its pins"
    "${PIP[@]}" --no-deps mmdeploy==1.3.1
    "${PIP[@]}" aenum
    mmdeploy_ok || { echo "[install] mmdeploy 1.3.1 does not import after the install" >&2; exit 1; }
fi
# mim (OpenMMLab's package manager) without its opendatalab/openxlab
# dependencies, which pin setuptools~=60 (torch needs >= 77); mim never
# imports them
"${PIP[@]}" --no-deps openmim==0.3.9
"${PIP[@]}" click colorama model-index pandas tabulate requests rich

# 5. mmpose (pose estimation), checked by importing its APIs and CocoMetric
mmpose_ok() {
    "$PY" - <<'EOF' 2>/dev/null
import mmpose
import mmpose.apis
from mmpose.evaluation import CocoMetric
assert mmpose.__version__ == '1.3.2', mmpose.__version__
EOF
}
if mmpose_ok; then
    say "mmpose 1.3.2 already works: kept"
else
    say "installing mmpose 1.3.2 (xtcocotools built from source, without chumpy)"
    "${PIP[@]}" --force-reinstall --no-deps --no-binary xtcocotools xtcocotools==1.14.3
    "${PIP[@]}" --no-deps mmpose==1.3.2
    # what both import (the source-built xtcocotools is kept)
    "${PIP[@]}" xtcocotools==1.14.3 json-tricks munkres matplotlib scipy
    mmpose_ok || { echo "[install] mmpose 1.3.2 does not import after the install" >&2; exit 1; }
fi

# 6. this package, editable (PEP 660; setup.py makes mim and mmengine find
# its .mim folder and installs the startup hook for mmscalablevit:: configs)
"${PIP[@]}" --no-build-isolation --no-deps -e "$ROOT"
say "done: torch $TORCH_VERSION, mmcv $MMCV_VERSION, mmdet 3.3.0, mmseg 1.2.2, mmpretrain 1.2.0, mmpose 1.3.2, mmscalablevit"
