#!/usr/bin/env python3
"""Calibration of predwatch's drift alerts on streams built from the repo's real data.

Measures (issue 12, deliverable 4):

1. False alarms: firing alerts per stream-day on HEALTHY streams
   - shuffled:  COCO val2017 frames (tests/data/coco_val2017, 5000 images) drawn uniformly;
   - held-<H>s: scene-held, video-like streams: each scene is one COCO frame held for H
                seconds, with per-frame box jitter (+-1.5 % of the box size), a missed box now
                and then (2 %) and a duplicated box rarely (0.5 %), H in 1, 5, 15, 30, 60;
   - video:     the real YOLOv5 predictions on 1106 consecutive frames of a football video
                (tests/data/video_frames_yolov5_predictions/exp2/labels) looped, against a
                baseline built from those same label files (`baseline build --format yolo`).
   All at 10 fps; shuffled and held streams against the COCO val2017 annotations baseline.
2. Detection delays: time from the start of an INJECTED drift (after a healthy stretch) to
   the first `firing` transition of the expected kind and subject, on shuffled and on
   scene-held (H = 15 s) streams, and the other alerts each drift raised.

Events are generated here (JSON lines of proto/predwatch/v1/event.proto's JSON mapping) and
piped straight into `predwatch replay /dev/stdin --baseline B --json` (nothing large is
written to disk); the baselines and class-name files go to a temporary folder that is
deleted at the end. The default configuration is used unless --config is given.

Usage:
    tests/calibration/calibrate.py [--predwatch PATH] [--hours N] [--quick] [--json]
                                   [--only NAME[,NAME...]] [--jobs N] [--check-detection]

PATH defaults to $PREDWATCH or build/daemon/predwatch. Progress goes to stderr; the summary
(tables, or one JSON object with --json) to stdout. Exit status 0, or 1 with
--check-detection when a detectable injected drift was not detected (or on a failed run).
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(REPO, "tests", "data")
COCO_FILE = os.path.join(DATA, "coco_val2017", "instances_val2017_boxes.json")
VIDEO_LABELS = os.path.join(DATA, "video_frames_yolov5_predictions", "exp2", "labels")
VIDEO_FRAMES = 1106

FPS = 10
STEP_MS = 1000 // FPS
T0_MS = 1767225600000  # 2026-01-01T00:00:00Z

HOLDS = [1, 5, 15, 30, 60]
HEALTHY = ["shuffled"] + ["held-%ds" % h for h in HOLDS] + ["video"]
DRIFT_HOLD_S = 15  # the scene-held variant of every drift run

# Scene-held noise (a detector on a still scene): per frame and box.
JITTER = 0.015  # centre shift and size change, as a fraction of the box size
P_MISS = 0.02  # the box is missed on this frame
P_DUP = 0.005  # the box is reported twice (a second, slightly shifted box)

# Injected drifts: name -> (what, expected kind, expected subject, detectable vs a training
# baseline). Pair subjects are compared as sets.
NOVEL_PAIR_RATE = 0.015
APPEARED_FROM, APPEARED_TO = "motorcycle", "motorbike"  # the VOC / darknet label
CONF_CLASS, CONF_FACTOR = "person", 0.4
DRIFTS = [
    ("rare_pair", "a pair with a low baseline rate on 10x as many frames", "pair_rate", None, True),
    ("novel_pair", "giraffe+toilet on %.1f %% of scenes (every %dth)" % (
        NOVEL_PAIR_RATE * 100, round(1 / NOVEL_PAIR_RATE)), "novel_pair",
     ["giraffe", "toilet"], True),
    ("count_collapse", "every frame with chairs has exactly 4 chairs", "objects_per_image",
     ["chair"], True),
    ("spatial_shift", "persons' boxes moved to the top quarter", "spatial", ["person"], True),
    ("vanished_class", "car dropped", "class_vanished", ["car"], True),
    ("appeared_class", "class %s renamed %s (absent from the baseline)" % (APPEARED_FROM,
                                                                          APPEARED_TO),
     "class_appeared", [APPEARED_TO], True),
    ("confidence_drop", "%s confidence x%.1f" % (CONF_CLASS, CONF_FACTOR), "confidence",
     [CONF_CLASS], False),
    ("duplicated_boxes", "every person box duplicated with tiny jitter", "objects_per_image",
     ["person"], True),
]
DRIFT_NAMES = [d[0] for d in DRIFTS]

BASELINE_LABEL = {"coco": "COCO val2017 annotations", "video": "video exp2 labels",
                  "predictions": "COCO val2017 + scores (predictions)"}

WINDOW_SECONDS = {"5m": 300, "1h": 3600, "last10k": 10000 / FPS}
# The learned reference's default length (reference.duration: 1h, reference.frames: 36000).
REFERENCE_MINUTES = 60


def log(msg):
    sys.stderr.write("[calibrate %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


# ---------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------

def synthetic_confidence(rng):
    # A detector's scores cluster near the top (as core/scenario.cc): 1 - 0.75 u^2.
    u = rng.random()
    return 1.0 - 0.75 * u * u


def load_coco():
    """Frames of COCO val2017: list of (frame_id, [(class, x0, y0, x1, y1), ...]),
    normalised boxes; the official category names; names in id order."""
    with open(COCO_FILE) as f:
        d = json.load(f)
    cats = {c["id"]: c["name"] for c in d["categories"]}
    names = [cats[k] for k in sorted(cats)]
    size = {}
    dets = {}
    order = []
    for im in d["images"]:
        size[im["id"]] = (float(im["width"]), float(im["height"]))
        dets[im["id"]] = []
        order.append(im["id"])
    for a in d["annotations"]:
        w, h = size[a["image_id"]]
        x, y, bw, bh = a["bbox"]
        if bw <= 0 or bh <= 0:
            continue  # the one degenerate box; the baseline skips it too
        dets[a["image_id"]].append((cats[a["category_id"]], x / w, y / h, min(1.0, (x + bw) / w),
                                    min(1.0, (y + bh) / h)))
    frames = [("%012d" % i, dets[i]) for i in order]
    return frames, names


def split_coco(frames):
    """Two disjoint halves of the COCO frames, (baseline half, stream half), stratified so
    that every class is on both sides: images in order of their rarest class's image count
    (then id), assigned alternately. Production frames are new images of the training set's
    distribution, like the other half; but a stream of 10 fps draws each of the half's 2500
    images 14 times an hour, so a long window measures the half's own quirks exactly (a
    class on 80 images has an 80-image heatmap), which is a difference the tests rightly
    find and no production stream of fresh images has (--pool split is a stress test)."""
    images_with = {}
    for _, dets in frames:
        for c in {d[0] for d in dets}:
            images_with[c] = images_with.get(c, 0) + 1
    order = sorted(range(len(frames)), key=lambda i: (
        min((images_with[d[0]] for d in frames[i][1]), default=1 << 30), frames[i][0]))
    base = [frames[i] for i in order[0::2]]
    stream = [frames[i] for i in order[1::2]]
    return base, stream


def write_coco_subset(frame_ids, path):
    """The COCO file restricted to the images named in `frame_ids`."""
    with open(COCO_FILE) as f:
        d = json.load(f)
    keep = {int(fid) for fid in frame_ids}
    d["images"] = [im for im in d["images"] if im["id"] in keep]
    d["annotations"] = [a for a in d["annotations"] if a["image_id"] in keep]
    with open(path, "w") as f:
        json.dump(d, f)


def load_video():
    frames = []
    for n in range(1, VIDEO_FRAMES + 1):
        dets = []
        with open(os.path.join(VIDEO_LABELS, "fifa_%d.txt" % n)) as f:
            for line in f:
                p = line.split()
                if len(p) < 5:
                    continue
                cx, cy, w, h = (float(v) for v in p[1:5])
                dets.append((int(p[0]), max(0.0, cx - w / 2), max(0.0, cy - h / 2),
                             min(1.0, cx + w / 2), min(1.0, cy + h / 2)))
        frames.append(("fifa_%d" % n, dets))
    return frames


def det_json(cls, conf, x0, y0, x1, y1):
    return ('{"class_name":"%s","confidence":%.3f,"box":{"x_min":%.5f,"y_min":%.5f,'
            '"x_max":%.5f,"y_max":%.5f,"normalized":true}}' % (cls, conf, x0, y0, x1, y1))


def event_json(frame_id, stream, t_ms, dets_json):
    return ('{"frame_id":"%s","stream":"%s","timestamp_ms":%d,"detections":[%s]}\n' %
            (frame_id, stream, t_ms, dets_json))


# ---------------------------------------------------------------------------------------
# Stream generators: each has next(i) -> one JSON line for frame i (time T0 + i * 100 ms)
# ---------------------------------------------------------------------------------------

class ShuffledHealthy:
    """Uniform draws of COCO frames; each frame's JSON is formatted once (fixed scores)."""

    def __init__(self, stream, frames, rng):
        self.stream = stream
        self.rng = rng
        self.pre = [(fid, ",".join(det_json(c, synthetic_confidence(rng), *b) for c, *b in dets))
                    for fid, dets in frames]

    def next(self, i):
        fid, dj = self.pre[int(self.rng.random() * len(self.pre))]
        return event_json("%s#%d" % (fid, i), self.stream, T0_MS + i * STEP_MS, dj)


class VideoLoop:
    """The football video's frames in order, looped; scores synthetic, fixed per box."""

    def __init__(self, stream, frames, names, rng):
        self.stream = stream
        self.pre = [(fid, ",".join(det_json(names[c], synthetic_confidence(rng), *b)
                                   for c, *b in dets)) for fid, dets in frames]

    def next(self, i):
        fid, dj = self.pre[i % len(self.pre)]
        return event_json("%s#%d" % (fid, i), self.stream, T0_MS + i * STEP_MS, dj)


def clip01(v):
    return 0.0 if v < 0.0 else 1.0 if v > 1.0 else v


class ComposedStream:
    """Scenes drawn from the COCO pool (held `hold_frames` frames each, with detector noise
    when held longer than one frame), optionally with one drift from `drift_start` on."""

    def __init__(self, stream, frames, rng, hold_frames=1, drift=None, drift_start=None,
                 pool="split"):
        self.stream = stream
        self.frames = frames
        self.rng = rng
        self.hold = hold_frames
        self.drift = drift
        self.drift_start = drift_start  # frame index
        self.scene = None
        self.scene_left = 0
        self.scene_no = 0
        # Per-scene scores (a detector scores a still object about the same on every frame).
        self.scene_conf = []
        if drift == "rare_pair":
            a, b, k, _ = choose_rare_pair(pool)
            self.pair = (a, b)
            r = k / len(frames)
            self.pair_frames = [f for f in frames if has_pair(f[1], a, b)]
            self.p_pair = 9 * r / (1 - r)  # p + (1 - p) r = 10 r
        elif drift == "novel_pair":
            self.only_giraffe = [f for f in frames
                                 if f[1] and all(d[0] == "giraffe" for d in f[1])]
            self.toilets = [d for _, dets in frames for d in dets if d[0] == "toilet"]
            # Systematic sampling (every 1/rate-th scene, random phase) rather than a coin
            # per scene: on a scene-held stream a coin leaves long stretches without the
            # pair (at H = 15 s, 1.8 pair scenes expected in 30 min, none 16 % of the time).
            self.novel_acc = rng.random()

    def novel_due(self):
        self.novel_acc += NOVEL_PAIR_RATE
        if self.novel_acc >= 1.0:
            self.novel_acc -= 1.0
            return True
        return False

    def draw_scene(self, active):
        rng = self.rng
        if active and self.drift == "rare_pair" and rng.random() < self.p_pair:
            fid, dets = self.pair_frames[int(rng.random() * len(self.pair_frames))]
        elif active and self.drift == "novel_pair" and self.novel_due():
            fid, dets = self.only_giraffe[int(rng.random() * len(self.only_giraffe))]
            dets = dets + [self.toilets[int(rng.random() * len(self.toilets))]]
        else:
            fid, dets = self.frames[int(rng.random() * len(self.frames))]
        self.scene = (fid, dets)
        self.scene_conf = [synthetic_confidence(rng) for _ in dets]
        self.scene_left = self.hold
        self.scene_no += 1

    def next(self, i):
        rng = self.rng
        active = self.drift is not None and i >= self.drift_start
        if self.scene_left == 0 or (active and i == self.drift_start):
            self.draw_scene(active)
        self.scene_left -= 1
        fid, dets = self.scene
        out = []  # [class, conf, x0, y0, x1, y1]
        if self.hold > 1:
            for (c, x0, y0, x1, y1), conf in zip(dets, self.scene_conf):
                if rng.random() < P_MISS:
                    continue
                w, h = x1 - x0, y1 - y0
                cx = (x0 + x1) / 2 + w * JITTER * (2 * rng.random() - 1)
                cy = (y0 + y1) / 2 + h * JITTER * (2 * rng.random() - 1)
                w *= 1 + JITTER * (2 * rng.random() - 1)
                h *= 1 + JITTER * (2 * rng.random() - 1)
                box = [c, conf, clip01(cx - w / 2), clip01(cy - h / 2), clip01(cx + w / 2),
                       clip01(cy + h / 2)]
                out.append(box)
                if rng.random() < P_DUP:
                    dx, dy = w * 0.03 * (2 * rng.random() - 1), h * 0.03 * (2 * rng.random() - 1)
                    out.append([c, conf * 0.8, clip01(box[2] + dx), clip01(box[3] + dy),
                                clip01(box[4] + dx), clip01(box[5] + dy)])
        else:
            out = [[c, conf, x0, y0, x1, y1] for (c, x0, y0, x1, y1), conf in
                   zip(dets, self.scene_conf)]
        if active:
            out = self.apply_drift(out)
        dj = ",".join(det_json(*d) for d in out)
        return event_json("%s#%d" % (fid, i), self.stream, T0_MS + i * STEP_MS, dj)

    def apply_drift(self, out):
        rng = self.rng
        k = self.drift
        if k == "count_collapse":
            chairs = [d for d in out if d[0] == "chair"]
            if chairs:
                out = [d for d in out if d[0] != "chair"]
                for n in range(4):
                    if n < len(chairs):
                        out.append(chairs[n])
                    else:
                        dx, dy = 0.01 * (2 * rng.random() - 1), 0.01 * (2 * rng.random() - 1)
                        c = chairs[0]
                        out.append([c[0], c[1], clip01(c[2] + dx), clip01(c[3] + dy),
                                    clip01(c[4] + dx), clip01(c[5] + dy)])
        elif k == "spatial_shift":
            for d in out:
                if d[0] != "person":
                    continue
                w, h = d[4] - d[2], d[5] - d[3]
                cx, cy = (d[2] + d[4]) / 2, 0.25 * (d[3] + d[5]) / 2
                x0 = min(max(cx - w / 2, 0.0), 1.0 - w)
                y0 = min(max(cy - h / 2, 0.0), 1.0 - h)
                d[2], d[3], d[4], d[5] = x0, y0, x0 + w, y0 + h
        elif k == "vanished_class":
            out = [d for d in out if d[0] != "car"]
        elif k == "appeared_class":
            for d in out:
                if d[0] == APPEARED_FROM:
                    d[0] = APPEARED_TO
        elif k == "confidence_drop":
            for d in out:
                if d[0] == CONF_CLASS:
                    d[1] *= CONF_FACTOR
        elif k == "duplicated_boxes":
            extra = []
            for d in out:
                if d[0] == "person":
                    w, h = d[4] - d[2], d[5] - d[3]
                    dx, dy = w * 0.01 * (2 * rng.random() - 1), h * 0.01 * (2 * rng.random() - 1)
                    extra.append([d[0], d[1], clip01(d[2] + dx), clip01(d[3] + dy),
                                  clip01(d[4] + dx), clip01(d[5] + dy)])
            out = out + extra
        return out


def has_pair(dets, a, b):
    cs = {d[0] for d in dets}
    return a in cs and b in cs


_pools_cache = {}
_pools_lock = threading.Lock()


def coco_pools(pool):
    """(baseline frames, stream frames, names) for --pool `pool`: "split" (disjoint halves,
    see split_coco) or "same" (the streams draw from the baseline's own images). Cached."""
    with _pools_lock:
        if pool not in _pools_cache:
            frames, names = load_coco()
            base, stream = (frames, frames) if pool == "same" else split_coco(frames)
            _pools_cache[pool] = (base, stream, names)
        return _pools_cache[pool]


def pair_counts(frames):
    counts = {}
    for _, dets in frames:
        cs = sorted({d[0] for d in dets})
        for x in range(len(cs)):
            for y in range(x + 1, len(cs)):
                counts[(cs[x], cs[y])] = counts.get((cs[x], cs[y]), 0) + 1
    return counts


def choose_rare_pair(pool):
    """(a, b, frames of the stream pool with the pair, frames of the baseline with it): the
    pair on 0.2..0.4 % of the stream pool's frames (10..20 of 5000) with the most frames (ties
    by name) and on at least 0.1 % of the baseline's (so that the baseline has a rate): low
    but non-zero, and x10 still well below 1 frame in 10."""
    base_frames, frames, _ = coco_pools(pool)
    counts = pair_counts(frames)
    base = pair_counts(base_frames)
    lo, hi = len(frames) * 0.002, len(frames) * 0.004
    cands = sorted(((k, p) for p, k in counts.items()
                    if lo <= k <= hi and base.get(p, 0) >= len(base_frames) * 0.001),
                   key=lambda t: (-t[0], t[1]))
    k, (a, b) = cands[0]
    return a, b, k, base[(a, b)]


# ---------------------------------------------------------------------------------------
# Runs: one `predwatch replay` each; a run holds one or more streams, interleaved in time
# ---------------------------------------------------------------------------------------

def emit(spec, out):
    """Writes the events of run `spec` to the binary stream `out`."""
    rng = random.Random(spec["seed"])
    coco = video = names = None
    gens = []
    for s in spec["streams"]:
        kind = s["kind"]
        if kind in ("shuffled", "held", "drift") and coco is None:
            _, coco, names = coco_pools(spec["pool"])
        if kind == "shuffled":
            gens.append(ShuffledHealthy(s["stream"], coco, rng))
        elif kind == "held":
            gens.append(ComposedStream(s["stream"], coco, rng,
                                       hold_frames=max(1, int(round(s["hold"] * FPS)))))
        elif kind == "video":
            if video is None:
                video = load_video()
                if names is None:
                    _, names = load_coco()
            gens.append(VideoLoop(s["stream"], video, names, rng))
        elif kind == "drift":
            gens.append(ComposedStream(s["stream"], coco, rng,
                                       hold_frames=max(1, int(round(s["hold"] * FPS))),
                                       drift=s["drift"], drift_start=s["drift_start"],
                                       pool=spec["pool"]))
    n = spec["frames"]
    report_every = 36000  # one stream-hour
    buf = []
    for i in range(n):
        for g in gens:
            buf.append(g.next(i))
        if len(buf) >= 2000:
            out.write("".join(buf).encode())
            buf.clear()
        if i and i % report_every == 0:
            log("%s: %.1f of %.1f h generated" % (spec["name"], i / 36000, n / 36000))
    out.write("".join(buf).encode())
    out.flush()


def run_replay(spec, predwatch, baseline, config, workdir, keep_dir=None):
    """Streams the run's events into `predwatch replay`; returns the JSON alert lines."""
    out_path = os.path.join(workdir, spec["name"] + ".alerts.jsonl")
    err_path = os.path.join(workdir, spec["name"] + ".stderr")
    cmd = [predwatch, "replay", "/dev/stdin", "--baseline", baseline, "--json"]
    if config:
        cmd += ["--config", config]
    t = time.time()
    with open(out_path, "wb") as fo, open(err_path, "wb") as fe:
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=fo, stderr=fe)
        try:
            emit(spec, p.stdin)
        except BrokenPipeError:
            pass
        finally:
            try:
                p.stdin.close()
            except BrokenPipeError:
                pass
        rc = p.wait()
    with open(err_path) as f:
        err = f.read()
    if rc != 0:
        raise RuntimeError("%s: %s exited %d: %s" % (spec["name"], " ".join(cmd), rc, err))
    log("%s: replay done in %.0f s: %s" % (spec["name"], time.time() - t, err.strip()))
    alerts = []
    with open(out_path) as f:
        for line in f:
            line = line.strip()
            if line:
                a = json.loads(line)
                # Keep what the summaries use (held streams make hundreds of thousands).
                r = {k: a.get(k) for k in ("state", "kind", "stream", "subject", "time_ms")}
                # One window per alert today; a list (or none) when alerts span windows.
                w = a.get("window", a.get("windows"))
                r["window"] = ",".join(map(str, w)) if isinstance(w, list) else (w or "-")
                alerts.append(r)
    if keep_dir:
        os.makedirs(keep_dir, exist_ok=True)
        shutil.move(out_path, os.path.join(keep_dir, spec["name"] + ".alerts.jsonl"))
    else:
        os.remove(out_path)
    os.remove(err_path)
    return alerts


def subject_key(subject):
    if isinstance(subject, str):
        subject = [subject]
    return tuple(sorted(subject or []))


def label(a):
    s = subject_key(a.get("subject"))
    return "%s %s" % (a.get("kind"), "+".join(s) if s else "-")


# ---------------------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------------------

def summarize_healthy(name, alerts, hours, baseline_name):
    firing = [a for a in alerts if a.get("state") == "firing"]
    by = {}
    for a in firing:
        k = "%s [%s]" % (label(a), a.get("window", "-"))
        by[k] = by.get(k, 0) + 1
    distinct = {(a.get("kind"), subject_key(a.get("subject"))) for a in firing}
    by_kind = {}
    by_subject = {}
    for a in firing:
        by_kind[a.get("kind")] = by_kind.get(a.get("kind"), 0) + 1
        by_subject[label(a)] = by_subject.get(label(a), 0) + 1
    return {
        "scenario": name,
        "baseline": baseline_name,
        "stream_hours": round(hours, 3),
        "firing": len(firing),
        "pending": sum(1 for a in alerts if a.get("state") == "pending"),
        "distinct_kind_subject": len(distinct),
        "firing_per_stream_day": round(len(firing) / hours * 24, 2) if hours else None,
        "fired_by_kind": dict(sorted(by_kind.items(), key=lambda kv: -kv[1])),
        "fired_by_kind_subject": dict(sorted(by_subject.items(), key=lambda kv: -kv[1])),
        "fired": dict(sorted(by.items(), key=lambda kv: -kv[1])),
    }


def summarize_drift(stream, drift, hold, alerts, drift_start_ms, hours, expected_subject,
                    detectable, baseline_name, drift_min):
    name, what, kind, _, _ = next(d for d in DRIFTS if d[0] == drift)
    mine = [a for a in alerts if a.get("stream") == stream]
    firing = [a for a in mine if a.get("state") == "firing"]
    before = [a for a in firing if a["time_ms"] < drift_start_ms]
    after = [a for a in firing if a["time_ms"] >= drift_start_ms]
    exp = subject_key(expected_subject)

    def is_expected(a):
        # Pairs fold into the episode's first pair alert (alerting.fold_pairs): the injected
        # frames raise several pairs, and the one flagged first is the alert's subject, the
        # expected pair one of its related subjects ("a|b"; listed in the log only when it
        # folded before a transition). A pair alert sharing a class with the expected pair
        # is that episode's alert.
        if a.get("kind") != kind:
            return False
        subject = subject_key(a.get("subject"))
        if subject == exp:
            return True
        return kind in ("pair_rate", "novel_pair") and bool(set(subject) & set(exp))

    hit = next((a for a in after if is_expected(a)), None)
    # An expected alert already firing (a false alarm of the healthy stretch) when the drift
    # starts makes no new transition: the drift is masked, not missed.
    state = {}
    for a in mine:
        if a["time_ms"] >= drift_start_ms:
            break
        if is_expected(a):
            state[a.get("window", "-")] = a.get("state")
    masked = sorted(w for w, st in state.items() if st == "firing")
    others = {}
    for a in after:
        if is_expected(a):
            continue
        k = label(a)
        if k not in others:
            others[k] = {"first_s": round((a["time_ms"] - drift_start_ms) / 1000), "firing": 0,
                         "windows": []}
        others[k]["firing"] += 1
        w = a.get("window", "-")
        if w not in others[k]["windows"]:
            others[k]["windows"].append(w)
    delay = None if hit is None else (hit["time_ms"] - drift_start_ms) / 1000
    window = None if hit is None else hit.get("window")
    lens = [WINDOW_SECONDS[w] for w in (window or "").split(",") if w in WINDOW_SECONDS]
    if hit is not None and hit.get("against") == "reference":
        window += " vs reference"
    wlen = max(lens) if lens else None
    return {
        "drift": name,
        "stream": stream,
        "what": what,
        "hold_s": hold,
        "baseline": baseline_name,
        "expected": "%s %s" % (kind, "+".join(exp)),
        "detectable": detectable,
        "detected": hit is not None,
        "masked_by_windows": masked,
        "expected_firing": sum(1 for a in after if is_expected(a)),
        "delay_s": delay,
        "first_window": window,
        "within_window": (delay <= wlen) if (delay is not None and wlen) else None,
        "drift_minutes": drift_min,
        "stream_hours": round(hours, 3),
        "firing_before_drift": len(before),
        "firing_before_drift_kinds": sorted({label(a) for a in before}),
        "other_firing": others,
    }


def summarize_run(spec, base, post, alerts, d_min):
    baseline_label = dict(BASELINE_LABEL)
    if spec["pool"] == "split":
        for k in ("coco", "predictions"):
            baseline_label[k] += ", other half"
    out = []
    if post[0] == "healthy":
        out.append(("healthy", summarize_healthy(post[1], alerts, post[2],
                                                    baseline_label[base])))
    else:
        for s in spec["streams"]:
            exp_subject = next(d[3] for d in DRIFTS if d[0] == s["drift"])
            if s["drift"] == "rare_pair":
                a, b, _, _ = choose_rare_pair(spec["pool"])
                exp_subject = [a, b]
            # A training baseline has no scores: the confidence drop is judged against the
            # learned reference, which is complete after REFERENCE_MINUTES of healthy frames
            # (the default reference settings).
            detectable = next(d[4] for d in DRIFTS if d[0] == s["drift"]) or \
                base == "predictions" or \
                s["drift_start"] >= REFERENCE_MINUTES * 60 * FPS
            hold = s["hold"]
            out.append(("drifts", summarize_drift(
                s["stream"], s["drift"], hold, alerts, T0_MS + s["drift_start"] * STEP_MS,
                spec["frames"] / 36000, exp_subject, detectable, baseline_label[base],
                d_min)))
    return out


def fmt_table(headers, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(headers)]
    lines = ["| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
    return "\n".join(lines)


def print_summary(summary, out):
    out.write("predwatch: %s (%s)\n" % (summary["predwatch"], summary["predwatch_version"]))
    out.write("command: %s\n\n" % summary["command"])
    if summary["healthy"]:
        out.write("Healthy streams (10 fps; default config unless stated)\n\n")
        rows = []
        for h in summary["healthy"]:
            kinds = ", ".join("%s %d" % kv for kv in h["fired_by_kind"].items())
            top = list(h["fired_by_kind_subject"].items())
            subjects = ", ".join("%s %d" % kv for kv in top[:4])
            if len(top) > 4:
                subjects += ", ... (%d more)" % (len(top) - 4)
            rows.append([h["scenario"], h["baseline"], h["stream_hours"], h["firing"],
                         h["firing_per_stream_day"], h["distinct_kind_subject"], kinds or "-",
                         subjects or "-"])
        out.write(fmt_table(["scenario", "baseline", "stream-hours", "firing alerts",
                             "firing / stream-day", "distinct kind+subject", "firing by kind",
                             "top kind+subject"], rows) + "\n\n")
    if summary["drifts"]:
        out.write("Injected drifts (healthy %s min, then the drift for %s min)\n\n" %
                  (summary["drift_healthy_minutes"], summary["drift_minutes"]))
        rows = []
        for d in summary["drifts"]:
            if d["detected"]:
                res = "%.0f s (%s)" % (d["delay_s"], d["first_window"])
                if d["masked_by_windows"]:
                    res += "; already firing (false) at drift start [%s]" % ",".join(
                        d["masked_by_windows"])
            elif d["masked_by_windows"]:
                res = "masked: already firing (false) at drift start [%s]" % ",".join(
                    d["masked_by_windows"])
            else:
                res = "not detected" if d["detectable"] else \
                    "not detectable (training baseline, reference not ready)"
            items = sorted(d["other_firing"].items(), key=lambda kv: kv[1]["first_s"])
            n = sum(v["firing"] for _, v in items)
            others = "-"
            if items:
                kinds = {}
                for k, v in items:
                    kinds[k.split(" ")[0]] = kinds.get(k.split(" ")[0], 0) + v["firing"]
                others = "%d (%s); first: %s" % (
                    n, ", ".join("%s %d" % kv for kv in sorted(kinds.items(),
                                                                key=lambda kv: -kv[1])),
                    ", ".join("%s @%ss" % (k, v["first_s"]) for k, v in items[:3]))
                if len(items) > 3:
                    others += ", ... (%d kind+subject)" % len(items)
            rows.append([d["drift"], "shuffled" if d["hold_s"] == 0 else "held-%ds" % d["hold_s"],
                         d["baseline"], d["expected"], res,
                         d["firing_before_drift"], others])
        out.write(fmt_table(["drift", "stream", "baseline", "expected alert",
                             "time to first firing", "firing before drift",
                             "other firing after drift start (by kind; first ones)"],
                            rows) + "\n")


# ---------------------------------------------------------------------------------------

def build_baselines(predwatch, workdir, need_video, need_predictions, names, pool):
    out = {}
    coco_file = COCO_FILE
    keep = None
    if pool == "split":
        base, _, _ = coco_pools(pool)
        keep = {int(fid) for fid, _ in base}
        coco_file = os.path.join(workdir, "coco_val2017_baseline_half.json")
        write_coco_subset(keep, coco_file)
    coco = os.path.join(workdir, "coco_val2017.pwb")
    subprocess.run([predwatch, "baseline", "build", coco_file, "--format", "coco", "-o", coco],
                   check=True, stdout=subprocess.DEVNULL)
    out["coco"] = coco
    if need_video:
        names_file = os.path.join(workdir, "coco80.names")
        with open(names_file, "w") as f:
            f.write("\n".join(names) + "\n")
        video = os.path.join(workdir, "video_exp2.pwb")
        subprocess.run([predwatch, "baseline", "build", VIDEO_LABELS, "--format", "yolo",
                        "--names", names_file, "-o", video], check=True,
                       stdout=subprocess.DEVNULL)
        out["video"] = video
    if need_predictions:
        # A baseline that carries scores: the COCO annotations as a detector's results with
        # synthetic scores (the same distribution as the streams'), kind "predictions".
        with open(COCO_FILE) as f:
            d = json.load(f)
        rng = random.Random(7)
        res = [{"image_id": a["image_id"], "category_id": a["category_id"], "bbox": a["bbox"],
                "score": round(synthetic_confidence(rng), 3)} for a in d["annotations"]
               if keep is None or a["image_id"] in keep]
        rpath = os.path.join(workdir, "coco_val2017_scored_results.json")
        with open(rpath, "w") as f:
            json.dump(res, f)
        pred = os.path.join(workdir, "coco_val2017_scored.pwb")
        subprocess.run([predwatch, "baseline", "build", rpath, "--format", "coco-results",
                        "--ground-truth", coco_file, "-o", pred], check=True,
                       stdout=subprocess.DEVNULL)
        os.remove(rpath)
        out["predictions"] = pred
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--predwatch", default=os.environ.get("PREDWATCH"),
                    help="predwatch binary (default: $PREDWATCH, else build/daemon/predwatch)")
    ap.add_argument("--hours", type=float, default=None,
                    help="stream-hours per healthy scenario (default 24, 1 with --quick)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: 1 stream-hour per healthy scenario, drift runs of 10 min "
                         "healthy + 30 min drift")
    ap.add_argument("--drift-healthy-minutes", type=float, default=None,
                    help="healthy stretch before each drift (default 70: the learned reference "
                         "and the 1h window are complete before it; 10 with --quick)")
    ap.add_argument("--drift-minutes", type=float, default=None,
                    help="drift duration (default 70, 30 with --quick)")
    ap.add_argument("--only", default="",
                    help="comma list of scenarios: %s, drifts (all drifts) or a drift name (%s)"
                    % (", ".join(HEALTHY), ", ".join(DRIFT_NAMES)))
    ap.add_argument("--config", help="predwatch YAML config for every replay (default: none, "
                                     "the built-in defaults)")
    ap.add_argument("--jobs", type=int, default=1, help="replays run in parallel (default 1)")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--pool", choices=["same", "split"], default="same",
                    help="same (default): the streams draw from the 5000 images the COCO "
                         "baseline is built from (the window is a sample of the baseline's "
                         "own population: conservative, the baseline's sampling error is "
                         "counted but absent); split: the baseline is built from one half "
                         "and the streams draw from the other (a stress test: a window of "
                         "more frames than the 2500-image pool sees the pool's own quirks "
                         "again and again, which no production stream of fresh images does; "
                         "see docs/DRIFT.md \"Calibration\")")
    ap.add_argument("--alerts-dir", help="keep each run's alert transitions (JSON lines) here")
    ap.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    ap.add_argument("--write-events", metavar="FILE",
                    help="write the events of one scenario (--only NAME) to FILE as JSON lines "
                         "instead of replaying them (for `predwatch replay --scores`)")
    ap.add_argument("--check-detection", action="store_true",
                    help="exit 1 if a detectable injected drift on independent (shuffled) "
                         "frames was not detected")
    args = ap.parse_args()

    predwatch = args.predwatch or os.path.join(REPO, "build", "daemon", "predwatch")
    if not (os.path.isfile(predwatch) and os.access(predwatch, os.X_OK)):
        sys.exit("calibrate: predwatch binary not found: %s (pass --predwatch or $PREDWATCH)"
                 % predwatch)
    hours = args.hours if args.hours is not None else (1.0 if args.quick else 24.0)
    dh_min = args.drift_healthy_minutes if args.drift_healthy_minutes is not None else (
        10.0 if args.quick else 70.0)
    d_min = args.drift_minutes if args.drift_minutes is not None else (30.0 if args.quick
                                                                       else 70.0)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    valid = set(HEALTHY) | set(DRIFT_NAMES) | {"drifts"}
    bad = [s for s in only if s not in valid]
    if bad:
        sys.exit("calibrate: unknown scenario(s) %s; choose from %s" %
                 (", ".join(bad), ", ".join(HEALTHY + ["drifts"] + DRIFT_NAMES)))
    healthy = [h for h in HEALTHY if not only or h in only]
    drifts = [d for d in DRIFT_NAMES if not only or "drifts" in only or d in only]

    version = subprocess.run([predwatch, "--version"], capture_output=True, text=True)
    version = (version.stdout.strip() or version.stderr.strip() or "unknown").splitlines()[0] \
        if version.returncode == 0 else "unknown"

    workdir = tempfile.mkdtemp(prefix="predwatch-calibration-")
    try:
        _, names = load_coco()
        baselines = build_baselines(predwatch, workdir, "video" in healthy,
                                    "confidence_drop" in drifts, names, args.pool)
        runs = []  # (spec, baseline key, post-processing)
        frames = int(round(hours * 3600 * FPS))
        for n, h in enumerate(healthy):
            if h == "shuffled":
                s = {"kind": "shuffled", "stream": h}
                base = "coco"
            elif h == "video":
                s = {"kind": "video", "stream": h}
                base = "video"
            else:
                s = {"kind": "held", "stream": h, "hold": int(h[5:-1])}
                base = "coco"
            runs.append(({"name": h, "seed": args.seed * 1000 + n, "frames": frames, "pool": args.pool,
                          "streams": [s]}, base, ("healthy", h, hours)))
        if drifts:
            start = int(round(dh_min * 60 * FPS))
            dframes = start + int(round(d_min * 60 * FPS))
            streams = []
            for dname in drifts:
                for hold in (0, DRIFT_HOLD_S):
                    streams.append({"kind": "drift", "drift": dname, "hold": hold,
                                    "stream": "%s/%s" % (dname, "shuffled" if hold == 0 else
                                                         "held-%ds" % hold),
                                    "drift_start": start})
            train = [s for s in streams if s["drift"] != "confidence_drop"]
            conf = [s for s in streams if s["drift"] == "confidence_drop"]
            if train or conf:
                runs.append(({"name": "drifts", "seed": args.seed * 1000 + 100, "pool": args.pool,
                              "frames": dframes, "streams": train + conf}, "coco",
                             ("drifts", train + conf, dframes)))
            if conf:
                conf2 = [dict(s, stream=s["stream"] + "@predictions") for s in conf]
                runs.append(({"name": "drifts-vs-predictions", "seed": args.seed * 1000 + 200, "pool": args.pool,
                              "frames": dframes, "streams": conf2}, "predictions",
                             ("drifts", conf2, dframes)))
        if args.write_events:
            if len(runs) != 1 and not drifts:
                sys.exit("calibrate: --write-events needs exactly one scenario (--only NAME)")
            # A drift scenario may need two replays (baselines with and without scores):
            # FILE for the first, FILE with the replay's name inserted for the others.
            for n, (spec, base, _) in enumerate(runs):
                stem, ext = os.path.splitext(args.write_events)
                path = args.write_events if n == 0 else "%s.%s%s" % (stem, spec["name"], ext)
                with open(path, "wb") as f:
                    emit(spec, f)
                log("wrote %s (%d frames per stream); baseline: %s" % (path, spec["frames"], base))
            return
        # The drift runs are the longest single replays: start them first.
        runs.sort(key=lambda r: r[2][0] != "drifts")
        results = {}
        lock = threading.Lock()
        errors = []

        def work(item):
            spec, base, _ = item
            log("%s: %d stream(s), %.2f stream-hours each, baseline %s" %
                (spec["name"], len(spec["streams"]), spec["frames"] / 36000, base))
            try:
                alerts = run_replay(spec, predwatch, baselines[base], args.config, workdir,
                                    args.alerts_dir)
                items = summarize_run(spec, base, item[2], alerts, d_min)
                with lock:
                    results[spec["name"]] = items
            except Exception as e:  # noqa: BLE001 - reported below
                with lock:
                    errors.append(str(e))

        pending = list(runs)
        threads = []
        while pending or threads:
            threads = [t for t in threads if t.is_alive()]
            while pending and len(threads) < max(1, args.jobs):
                t = threading.Thread(target=work, args=(pending.pop(0),))
                t.start()
                threads.append(t)
            time.sleep(0.2)
        if errors:
            for e in errors:
                log("ERROR " + e)
            sys.exit(1)

        summary = {
            "predwatch": os.path.abspath(predwatch),
            "predwatch_version": version,
            "command": " ".join([os.path.relpath(sys.argv[0], REPO)] + sys.argv[1:]),
            "config": args.config or "default",
            "fps": FPS,
            "seed": args.seed,
            "pool": args.pool,
            "drift_healthy_minutes": dh_min,
            "drift_minutes": d_min,
            "healthy": [],
            "drifts": [],
        }
        for spec, _, _ in runs:
            for section, item in results[spec["name"]]:
                summary[section].append(item)
        if any(d["drift"] == "rare_pair" for d in summary["drifts"]):
            base, stream, _ = coco_pools(args.pool)
            a, b, k, kb = choose_rare_pair(args.pool)
            summary["rare_pair"] = {"pair": [a, b], "stream_pool_frames": k,
                                    "stream_pool_total": len(stream), "baseline_frames": kb,
                                    "baseline_total": len(base)}
        if args.json:
            json.dump(summary, sys.stdout, indent=1)
            sys.stdout.write("\n")
        else:
            print_summary(summary, sys.stdout)
        # Independent frames must keep their power; on scene-held streams the evidence rests
        # on the number of scenes (docs/DRIFT.md "Correlated frames"), so their detection
        # times are reported, not required.
        missed = [d for d in summary["drifts"]
                  if d["hold_s"] == 0 and d["detectable"] and not d["detected"]
                  and not d["masked_by_windows"]]
        if args.check_detection and missed:
            log("NOT DETECTED: " + ", ".join(d["stream"] for d in missed))
            sys.exit(1)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
