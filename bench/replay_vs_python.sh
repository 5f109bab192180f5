#!/usr/bin/env bash
# replay_vs_python.sh — issue 13 goal 1: `predwatch replay` (default config) against the
# plain-Python sliding window (bench/python_window.py) and whylogs pane profiling
# (bench/whylogs_panes.py), one after the other on the same events file, in one run.
#
#   bench/replay_vs_python.sh [EVENTS.jsonl]
#
#   EVENTS      JSON-lines prediction events. Default: generated into $WORK with
#               tests/calibration/calibrate.py --only shuffled --hours 6.6667 (240,001 frames
#               of COCO val2017 at 10 fps, one stream).
#   PREDWATCH   predwatch binary (default build/daemon/predwatch).
#   BASELINE    baseline file for --baseline (default: built into $WORK from
#               tests/data/coco_val2017 with `predwatch baseline build --format coco`).
#   WORK        scratch folder (default: a new temporary one, removed at exit).
#   SKIP_WHYLOGS=1  leave whylogs out (otherwise bench/setup_python.sh makes bench/.venv).
#
# Prints a Markdown table: wall and CPU (user + sys) seconds, max RSS, frames per wall and
# per CPU second, and the ratios replay/python and replay/whylogs (> 1: replay is faster).
# All three are single-threaded; on a shared machine CPU seconds are the steadier measure. The runs are sequential so that
# they do not compete for cores; each one's time includes reading and parsing the file.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
predwatch="${PREDWATCH:-$repo/build/daemon/predwatch}"
[ -x "$predwatch" ] || { echo "replay_vs_python: no predwatch binary at $predwatch (set PREDWATCH)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "replay_vs_python: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
if [ -z "${WORK:-}" ]; then work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT; else work="$WORK"; mkdir -p "$work"; fi

events="${1:-}"
if [ -z "$events" ]; then
    events="$work/shuffled.jsonl"
    echo "replay_vs_python: generating $events" >&2
    python3 "$repo/tests/calibration/calibrate.py" --predwatch "$predwatch" --only shuffled \
        --hours 6.6667 --write-events "$events" >&2
fi
baseline="${BASELINE:-}"
if [ -z "$baseline" ]; then
    baseline="$work/coco_val2017.pwb"
    "$predwatch" baseline build "$repo/tests/data/coco_val2017/instances_val2017_boxes.json" \
        --format coco -o "$baseline" >/dev/null
fi
frames=$(grep -c . "$events")

# timed NAME CMD...: runs CMD (stdout to $work/NAME.out, stderr to $work/NAME.err) and
# records "wall user sys maxrss_kb" in $work/NAME.time.
timed() {
    local name="$1"; shift
    echo "replay_vs_python: $name: $*" >&2
    /usr/bin/time -f "%e %U %S %M" -o "$work/$name.time" "$@" >"$work/$name.out" 2>"$work/$name.err" \
        || { echo "replay_vs_python: $name failed:" >&2; tail -5 "$work/$name.err" >&2; exit 1; }
    tail -2 "$work/$name.err" | sed 's/^/    /' >&2
}

timed replay "$predwatch" replay "$events" --baseline "$baseline"
timed python python3 "$repo/bench/python_window.py" "$events"
names=(replay python)
if [ "${SKIP_WHYLOGS:-0}" != 1 ]; then
    venv_python="$(bash "$repo/bench/setup_python.sh" | tail -1)"
    timed whylogs "$venv_python" "$repo/bench/whylogs_panes.py" "$events"
    names+=(whylogs)
fi

python3 - "$work" "$frames" "$events" "${names[@]}" <<'PY'
import sys
work, frames, events, names = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
rows = {}
for n in names:
    wall, user, sys_, rss = open(f"{work}/{n}.time").read().split()[-4:]
    rows[n] = (float(wall), float(user) + float(sys_), int(rss) / 1024)
label = {"replay": "predwatch replay (default config)", "python": "bench/python_window.py",
         "whylogs": "bench/whylogs_panes.py (whylogs)"}
print(f"{frames} frames of {events}\n")
print("| run | wall s | CPU s | max RSS MB | frames/s (wall) | frames/CPU-s | replay ÷ this (wall) | replay ÷ this (CPU) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
rw, rc, _ = rows["replay"]
for n, (wall, cpu, rss) in rows.items():
    print(f"| {label[n]} | {wall:.1f} | {cpu:.1f} | {rss:.0f} | {frames / wall:,.0f} | "
          f"{frames / cpu:,.0f} | {wall / rw:.2f}x | {cpu / rc:.2f}x |")
PY
