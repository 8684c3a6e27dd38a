#!/usr/bin/env bash
# Install what is missing (tools/install.sh, skipped when its --check
# passes), then run the test suite. Extra arguments go to pytest, e.g.
# tools/run_tests.sh -k backbone
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/install.sh" --check || bash "$ROOT/tools/install.sh"
cd "$ROOT"
exec "${PYTHON:-python3}" -m pytest tests "$@"
