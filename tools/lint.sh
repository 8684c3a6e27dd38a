#!/usr/bin/env bash
# flake8, isort and yapf (OpenMMLab style, 79 columns; pins in
# requirements/lint.txt, settings in setup.cfg and .style.yapf).
#
#   bash tools/lint.sh                 # check the tracked Python files
#   bash tools/lint.sh --fix [FILE..]  # format FILEs in place (isort, yapf),
#                                      # then check them
#   bash tools/lint.sh --install       # install the pinned tools if missing
# Exits non-zero when a check fails.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
cd "$ROOT"

pinned() {
    "$PY" - <<'PYEOF' 2>/dev/null
from importlib.metadata import version
for line in open('requirements/lint.txt'):
    line = line.split('#')[0].strip()
    if line:
        name, want = line.split('==')
        assert version(name) == want, (name, version(name), want)
PYEOF
}

FIX=0
INSTALL=0
FILES=()
for arg in "$@"; do
    case "$arg" in
        --fix) FIX=1 ;;
        --install) INSTALL=1 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) FILES+=("$arg") ;;
    esac
done
if ! pinned; then
    if [ "$INSTALL" = 1 ]; then
        "$PY" -m pip install --disable-pip-version-check -q -r requirements/lint.txt
    else
        echo "lint: the pinned tools are missing: bash tools/lint.sh --install" >&2
        exit 2
    fi
fi
if [ ${#FILES[@]} -eq 0 ]; then
    [ "$FIX" = 1 ] && { echo "lint: --fix takes the files to format" >&2; exit 2; }
    mapfile -t FILES < <(git ls-files '*.py')
fi

if [ "$FIX" = 1 ]; then
    "$PY" -m isort -q "${FILES[@]}"
    "$PY" -m yapf -i "${FILES[@]}"
fi
status=0
"$PY" -m flake8 "${FILES[@]}" || status=1
"$PY" -m isort --check-only --diff -q "${FILES[@]}" || status=1
"$PY" -m yapf --diff "${FILES[@]}" || status=1
[ "$status" = 0 ] && echo "lint: ${#FILES[@]} files clean"
exit "$status"
