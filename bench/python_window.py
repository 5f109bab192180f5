#!/usr/bin/env python3
"""Plain-Python reference sliding window over a JSON-lines file of prediction events.

The yardstick of issue 13 ("`predwatch replay` >= 25x a plain-Python sliding window on the
same file"). Standard library only, single thread, written the obvious way (json.loads,
Counters), no tricks that would make either side look better than it is.

What it computes, per stream, in the default windows of config/predwatch.example.yaml
(5m of 10 s panes, 1h of 1 min panes, the last 10000 frames), for each pane or frame:
  frames; objects; class balance (objects per class); images with each class; co-occurrence
  (frames with both classes of each pair); objects-per-image distribution per class (over
  the frames that have the class); a 16x16 heatmap of box centres per class.
Time-window totals are kept incrementally like predwatch's TimeWindow: the panes other
than the head are summed in `closed` (head folded in on rotation, evicted pane subtracted);
reading a window materialises closed + head. Late frames within allowed_lateness (one pane)
go to their pane; older ones are counted and dropped. The count window keeps each frame's
digest to subtract it when it drops out. Every 10 s of event time it reads every window:
class shares, their Jensen-Shannon distance (base 2) to a fixed baseline (the class shares
of the 5m window the first time it is full), the largest change in a class's image rate,
and the highest pair rate, so that the work is not optimised away.

What it does NOT do that predwatch replay does (core/stats.h, docs/DRIFT.md): per
detection, confidence bins and sums, box width/height/area bins and sums, box-size min/max;
per frame and class, the union area of the class's boxes; per frame, objects-per-frame and
classes-per-frame histograms and the covered area on a 64x64 raster; exemplars; event
validation beyond what it reads; the class limit and __other__; the count window's block
sub-totals. At each evaluation predwatch scores every table (JS, PSI, Hellinger, rate tests
with p-values, dispersion corrections for correlated frames) against the baseline and its
learned reference and updates alert state; this script scores class shares only. So it
does less work per frame and per evaluation: the ratio flatters Python, not predwatch.
"""
import argparse, json, math, sys, time
from collections import Counter, deque

GRID = 16
TABLES = ("class_objects", "class_images", "per_image", "pairs", "heat")

class Stats:
    def __init__(self):
        self.frames = self.objects = 0
        for name in TABLES: setattr(self, name, Counter())
    def apply(self, digest, sign=1):  # add (sign 1) or subtract (-1) one frame's digest
        n, counts, pairs, cells = digest
        self.frames += sign; self.objects += sign * n
        for c, k in counts.items():
            self.class_objects[c] += sign * k; self.class_images[c] += sign
            self.per_image[c, k] += sign
        for p in pairs: self.pairs[p] += sign
        for cell in cells: self.heat[cell] += sign
    def merge(self, other, sign=1):   # add or subtract a whole pane
        self.frames += sign * other.frames; self.objects += sign * other.objects
        for name in TABLES:
            mine = getattr(self, name)
            (mine.update if sign > 0 else mine.subtract)(getattr(other, name))

def digest(event):
    """(objects, objects per class, class pairs on the frame, heatmap cells) of one event."""
    counts, cells = Counter(), []
    image = event.get("image") or {}
    for d in event.get("detections") or ():
        c = d.get("class_name") or str(d.get("class_id"))
        b = d["box"]
        cx, cy = (b["x_min"] + b["x_max"]) / 2, (b["y_min"] + b["y_max"]) / 2
        if not b.get("normalized"): cx, cy = cx / image["width"], cy / image["height"]
        counts[c] += 1
        cells.append((c, min(max(int(cx * GRID), 0), GRID - 1), min(max(int(cy * GRID), 0), GRID - 1)))
    names = sorted(counts)
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    return sum(counts.values()), counts, pairs, cells

class TimeWindow:
    def __init__(self, length_ms, pane_ms):
        self.pane_ms, self.n = pane_ms, length_ms // pane_ms
        self.panes, self.closed, self.head, self.head_index = deque(), Stats(), Stats(), None
        self.watermark, self.late = -math.inf, 0
    def add(self, t, d):
        p = t // self.pane_ms
        if self.head_index is None: self.head_index = self.first = p
        if t < self.watermark - self.pane_ms or p <= self.head_index - self.n:
            self.late += 1; return
        self.watermark = max(self.watermark, t)
        if p > self.head_index:  # rotate: fold the head into closed, evict old panes
            self.closed.merge(self.head); self.panes.append((self.head_index, self.head))
            while self.panes and self.panes[0][0] <= p - self.n:
                self.closed.merge(self.panes.popleft()[1], -1)
            self.head, self.head_index = Stats(), p
        if p == self.head_index: self.head.apply(d); return
        for index, pane in self.panes:  # late but inside the window: its own pane
            if index == p: pane.apply(d); self.closed.apply(d); return
        self.late += 1  # its pane had no frame when it closed: keep it simple, drop it
    def totals(self):
        view = Stats(); view.merge(self.closed); view.merge(self.head); return view

class CountWindow:
    def __init__(self, frames):
        self.capacity, self.ring, self.sums, self.late = frames, deque(), Stats(), 0
    def add(self, t, d):
        self.ring.append(d); self.sums.apply(d)
        if len(self.ring) > self.capacity: self.sums.apply(self.ring.popleft(), -1)
    def totals(self): return self.sums

def shares(counter):
    total = sum(v for v in counter.values() if v > 0)
    return {c: v / total for c, v in counter.items() if v > 0} if total else {}

def js_distance(p, q):
    m = {c: (p.get(c, 0) + q.get(c, 0)) / 2 for c in set(p) | set(q)}
    kl = lambda a: sum(v * math.log2(v / m[c]) for c, v in a.items() if v > 0)
    return math.sqrt(max(0.0, (kl(p) + kl(q)) / 2))

def evaluate(stream, windows, base, result):
    """Reads every window of a stream; the baseline is its 5m window the first time full."""
    five = windows["5m"]
    if stream not in base and five.head_index is not None and five.head_index - five.first >= five.n - 1:
        s = five.totals()
        base[stream] = (shares(s.class_objects), {c: v / s.frames for c, v in s.class_images.items() if v > 0})
    for name, window in windows.items():
        s = window.totals()
        if stream not in base or s.frames == 0: continue
        share = shares(s.class_objects)
        rates = {c: v / s.frames for c, v in s.class_images.items() if v > 0}
        js = js_distance(share, base[stream][0])
        rate_change = max((abs(rates.get(c, 0) - r) for c, r in base[stream][1].items()), default=0)
        r = result.setdefault(name, {"evaluations": 0, "over_0.1": 0, "max_js": 0.0, "max_rate_change": 0.0})
        r["evaluations"] += 1; r["over_0.1"] += js > 0.1
        r["max_js"] = max(r["max_js"], js); r["max_rate_change"] = max(r["max_rate_change"], rate_change)
        r["top_pair_rate"] = max(s.pairs.values(), default=0) / s.frames

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("events", help="JSON-lines file of prediction events")
    ap.add_argument("--json", action="store_true", help="print a JSON result on stdout")
    args = ap.parse_args()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    streams, base, result, frames, next_eval = {}, {}, {}, 0, None
    with open(args.events, "rb") as f:
        for line in f:
            if not line.strip(): continue
            event = json.loads(line)
            t = event.get("timestamp_ms")
            if t is None:
                from datetime import datetime
                t = int(datetime.fromisoformat(event["timestamp"]).timestamp() * 1000)
            t = int(t)
            windows = streams.setdefault(event["stream"], {"5m": TimeWindow(300_000, 10_000),
                                                           "1h": TimeWindow(3_600_000, 60_000),
                                                           "last10k": CountWindow(10_000)})
            if next_eval is None: next_eval = t
            if t >= next_eval:  # event-time evaluation tick, every 10 s
                for name, stream_windows in streams.items(): evaluate(name, stream_windows, base, result)
                next_eval = (t // 10_000 + 1) * 10_000
            d = digest(event)
            for w in windows.values(): w.add(t, d)
            frames += 1
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    late = sum(w.late for ws in streams.values() for w in ws.values())
    out = {"frames": frames, "streams": len(streams), "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
           "frames_per_s": round(frames / wall, 1), "late_frames": late, "windows": result}
    print(f"python_window: {frames} frames in {wall:.2f} s wall, {cpu:.2f} s CPU: "
          f"{frames / wall:,.0f} frames/s; {late} late", file=sys.stderr)
    for name, r in result.items():
        print(f"  {name}: {r['evaluations']} evaluations, JS > 0.1 in {r['over_0.1']}, "
              f"max JS {r['max_js']:.4f}, max image-rate change {r['max_rate_change']:.4f}", file=sys.stderr)
    if args.json: print(json.dumps(out))

if __name__ == "__main__":
    main()
