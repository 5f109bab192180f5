#!/usr/bin/env bash
# setup_python.sh — create bench/.venv (gitignored) with the pinned whylogs used by
# bench/whylogs_panes.py. Idempotent: reuses the venv and skips pip when the pins are met.
#   bash bench/setup_python.sh        # prints the venv's python on the last line
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
python="${PYTHON:-python3}"
# Pinned and tested together: whylogs 1.6.4 is the last release (2024-12), for Python
# 3.7-3.11; it uses np.unicode_, so numpy must stay below 2 (and pandas on a 1.x-numpy build).
pins=(whylogs==1.6.4 whylogs-sketching==3.4.1.dev3 protobuf==7.36.2 numpy==1.26.4 pandas==2.2.3)

if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
    echo "setup_python: $python lacks venv/ensurepip; installing python3-venv" >&2
    apt-get update -qq && apt-get install -y -qq python3-venv >&2
fi
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
if ! "$venv/bin/python" - "${pins[@]}" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
for pin in sys.argv[1:]:
    name, want = pin.split("==")
    assert version(name) == want, pin
PY
then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}" >&2
fi
"$venv/bin/python" -c 'import whylogs' >&2
echo "$venv/bin/python"
