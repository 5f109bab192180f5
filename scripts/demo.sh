#!/usr/bin/env bash
# The main job, from a fresh clone: installs what is missing, builds, and runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec ./build/daemon/predwatch dataset report tests/data/coco128/instances_train2017.json --format coco "$@"
