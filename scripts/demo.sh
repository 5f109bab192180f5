#!/usr/bin/env bash
# The main job, from a fresh clone: installs what is missing, builds, and runs the demo.
# With arguments, they are passed to `predwatch dataset report` on COCO128 (e.g. --json).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
PREDWATCH=./build/daemon/predwatch
GT=tests/data/coco128/instances_train2017.json
PRED=tests/data/coco128/yolov5s_predictions.json
if [ $# -gt 0 ]; then
  exec "$PREDWATCH" dataset report "$GT" --format coco "$@"
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
echo "== predwatch dataset report: COCO128 ground truth (128 images)"
"$PREDWATCH" dataset report "$GT" --format coco --max-classes 20
echo
echo "== predwatch baseline build: YOLOv5s predictions on the same images"
"$PREDWATCH" baseline build "$PRED" --format coco-results --ground-truth "$GT" --coco80 \
  -o "$OUT/yolov5s.pwb"
echo
echo "== predwatch baseline show"
"$PREDWATCH" baseline show "$OUT/yolov5s.pwb" --max-classes 15
