#!/usr/bin/env bash
# The main job, from a fresh clone: installs what is missing, builds, and runs the demo —
# predwatchd --demo: embedded Kafka, generated COCO val2017 traffic with drift episodes,
# a live terminal view. Ctrl-C stops it cleanly.
#
#   bash scripts/demo.sh [--duration SECONDS] [other predwatchd --demo flags, see --help]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec "${BUILD_DIR:-build}/daemon/predwatchd" --demo --data tests/data/coco_val2017 "$@"
