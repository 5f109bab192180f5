#!/usr/bin/env python3
"""whylogs profiling of the same detections, one profile per 10 s pane of event time.

The second yardstick of issue 13 ("`predwatch replay` >= 50x whylogs profiling the same
detections"). Reads a JSON-lines file of prediction events (docs/EVENTS.md) and, for each
stream and each 10 s pane of event time, logs two pandas DataFrames with whylogs' default
(standard) schema:
  detections: class_name, confidence, box centre x and y, box width and height (one row
              per detection, boxes as fractions of the image);
  frames:     objects (detections per frame, one row per frame).
The pane's two profile views are kept (the last 30 per stream, a 5-minute window of panes)
so that nothing is thrown away before it is built. Timing covers reading and parsing the
file too, as for predwatch replay and bench/python_window.py.

whylogs does not keep sliding-window totals, class pairs, per-class heatmaps or
distributions, or compare anything with a baseline here: this measures profiling alone.
Needs the venv made by bench/setup_python.sh (whylogs, pandas).
"""
import argparse, json, sys, time
from collections import deque

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("events", help="JSON-lines file of prediction events")
    ap.add_argument("--pane-s", type=float, default=10.0, help="pane length, seconds (10)")
    ap.add_argument("--json", action="store_true", help="print a JSON result on stdout")
    args = ap.parse_args()
    import pandas as pd, whylogs as why
    pane_ms = int(args.pane_s * 1000)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    streams, frames, profiles, detections = {}, 0, 0, 0

    def new_pane(index):
        return {"index": index, "det": {k: [] for k in ("class_name", "confidence", "center_x",
                "center_y", "width", "height")}, "objects": []}

    def profile(state):
        nonlocal profiles
        pane = state["pane"]
        if not pane["objects"]: return
        views = (why.log(pd.DataFrame(pane["det"])).view(),
                 why.log(pd.DataFrame({"objects": pane["objects"]})).view())
        state["views"].append(views); profiles += 1

    with open(args.events, "rb") as f:
        for line in f:
            if not line.strip(): continue
            event = json.loads(line)
            t = event.get("timestamp_ms")
            if t is None:
                from datetime import datetime
                t = datetime.fromisoformat(event["timestamp"]).timestamp() * 1000
            index = int(t) // pane_ms
            state = streams.get(event["stream"])
            if state is None:
                state = streams[event["stream"]] = {"pane": new_pane(index), "views": deque(maxlen=30)}
            if index > state["pane"]["index"]:
                profile(state); state["pane"] = new_pane(index)
            pane, image = state["pane"], event.get("image") or {}
            dets = event.get("detections") or ()
            for d in dets:
                b = d["box"]
                sx, sy = (1, 1) if b.get("normalized") else (image["width"], image["height"])
                pane["det"]["class_name"].append(d.get("class_name") or str(d.get("class_id")))
                pane["det"]["confidence"].append(d.get("confidence"))
                pane["det"]["center_x"].append((b["x_min"] + b["x_max"]) / 2 / sx)
                pane["det"]["center_y"].append((b["y_min"] + b["y_max"]) / 2 / sy)
                pane["det"]["width"].append((b["x_max"] - b["x_min"]) / sx)
                pane["det"]["height"].append((b["y_max"] - b["y_min"]) / sy)
            pane["objects"].append(len(dets))
            frames += 1; detections += len(dets)
    for state in streams.values(): profile(state)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    out = {"frames": frames, "detections": detections, "streams": len(streams),
           "pane_profiles": profiles, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
           "frames_per_s": round(frames / wall, 1), "whylogs": why.__version__}
    print(f"whylogs_panes: {frames} frames ({detections} detections, {profiles} pane profiles) in "
          f"{wall:.2f} s wall, {cpu:.2f} s CPU: {frames / wall:,.0f} frames/s", file=sys.stderr)
    if args.json: print(json.dumps(out))

if __name__ == "__main__":
    main()
