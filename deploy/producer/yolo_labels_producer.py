#!/usr/bin/python3
"""Produce prediction events to Kafka from a YOLO / Ultralytics labels folder.

An example producer for predwatch (docs/EVENTS.md): each `<name>_<frame>.txt` of a
labels folder (what `yolo detect --save-txt [--save-conf]` and YOLOv5's detect.py write:
one line per box, `class cx cy w h [confidence]`, normalised to the image) becomes one
PredictionEvent in JSON, keyed by stream, with the header content-type: application/json.
Frames are taken in the order of the number at the end of their file name and stamped
--fps apart from --start-ms (default: now minus the recording's length, so the stream ends
now). Class indices are sent as `class_id`, with `class_name` too when --names gives the
model's class list (one name per line, in index order).

    yolo_labels_producer.py LABELS --brokers HOST:PORT --topic predictions --stream cam-1
    yolo_labels_producer.py LABELS --stream cam-1 --dry-run | predwatch check-event -

Needs confluent-kafka (Debian: python3-confluent-kafka; PyPI: confluent-kafka) unless
--dry-run. Exit code 0 when every event was delivered.
"""
import argparse
import json
import os
import re
import sys
import time


def frame_number(name):
    m = re.search(r"(\d+)\D*$", name)
    return int(m.group(1)) if m else -1


def label_files(folder):
    files = [f for f in os.listdir(folder) if f.endswith(".txt")]
    return sorted(files, key=lambda f: (frame_number(f), f))


def parse_line(line, where):
    parts = line.split()
    if len(parts) not in (5, 6):
        raise ValueError(f"{where}: expected `class cx cy w h [confidence]`, got {line!r}")
    cls = int(parts[0])
    cx, cy, w, h = (float(v) for v in parts[1:5])
    box = {"x_min": cx - w / 2, "y_min": cy - h / 2, "x_max": cx + w / 2, "y_max": cy + h / 2,
           "normalized": True}
    # Boxes that touch the border may poke out by rounding; predwatch clips up to 5 %.
    for k in box:
        if k != "normalized":
            box[k] = min(1.0, max(0.0, box[k]))
    det = {"class_id": cls, "box": box}
    if len(parts) == 6:
        det["confidence"] = float(parts[5])
    return det


def to_event(folder, name, stream, time_ms, names):
    path = os.path.join(folder, name)
    detections = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            det = parse_line(line, f"{path}:{number}")
            if names and det["class_id"] < len(names):
                det["class_name"] = names[det["class_id"]]
            detections.append(det)
    return {"frame_id": os.path.splitext(name)[0], "stream": stream, "timestamp_ms": time_ms,
            "detections": detections}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("labels", help="folder of YOLO label files (class cx cy w h [confidence])")
    ap.add_argument("--brokers", help="Kafka bootstrap servers, host:port[,...]")
    ap.add_argument("--topic", default="predictions")
    ap.add_argument("--stream", required=True, help="stream key of every event (the camera)")
    ap.add_argument("--fps", type=float, default=10.0, help="frame rate for the timestamps")
    ap.add_argument("--start-ms", type=int, help="time of the first frame, ms since the epoch")
    ap.add_argument("--names", help="class names, one per line in index order")
    ap.add_argument("--dry-run", action="store_true", help="print the events as JSON lines")
    args = ap.parse_args()
    if not args.dry_run and not args.brokers:
        ap.error("--brokers is required unless --dry-run")
    names = None
    if args.names:
        with open(args.names) as f:
            names = [l.strip() for l in f if l.strip()]
    files = label_files(args.labels)
    if not files:
        print(f"{args.labels}: no .txt label files", file=sys.stderr)
        return 1
    step = 1000.0 / args.fps
    start = args.start_ms
    if start is None:
        start = int(time.time() * 1000 - step * len(files))
    events = (to_event(args.labels, name, args.stream, start + int(i * step), names)
              for i, name in enumerate(files))
    if args.dry_run:
        for e in events:
            print(json.dumps(e, separators=(",", ":")))
        return 0

    from confluent_kafka import Producer
    failed = []

    def delivered(err, msg):
        if err is not None:
            failed.append(err)

    producer = Producer({"bootstrap.servers": args.brokers, "linger.ms": 20})
    sent = 0
    for e in events:
        payload = json.dumps(e, separators=(",", ":")).encode()
        while True:
            try:
                producer.produce(args.topic, payload, key=args.stream.encode(),
                                 headers=[("content-type", b"application/json")],
                                 on_delivery=delivered)
                break
            except BufferError:  # the local queue is full: let deliveries drain it
                producer.poll(0.1)
        sent += 1
        producer.poll(0)
    left = producer.flush(30)
    print(f"{sent} events to {args.topic} (stream {args.stream}); {len(failed)} failed, "
          f"{left} undelivered", file=sys.stderr)
    return 0 if not failed and left == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
