#!/usr/bin/python3
"""The example producer (deploy/producer/yolo_labels_producer.py) against the real broker.

Turns the real YOLOv5 labels of tests/data/video_frames_yolov5_predictions/exp2 (1106 frames)
into events, checks them with `predwatch check-event` (every one accepted), produces them to
a new topic on the kafka_broker fixture's broker and reads them back with a plain
confluent-kafka consumer: every frame once, keyed by stream, with the content-type header,
and boxes equal to a conversion of the label lines written here (cx +- w/2, cy +- h/2).

usage: python_producer_test.py --producer PY --predwatch BIN --labels DIR
(the broker's address from $PREDWATCH_KAFKA_BOOTSTRAP_FILE)
"""
import argparse
import json
import os
import subprocess
import sys
import time
import uuid

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--producer", required=True)
    ap.add_argument("--predwatch", required=True)
    ap.add_argument("--labels", required=True)
    args = ap.parse_args()
    with open(os.environ["PREDWATCH_KAFKA_BOOTSTRAP_FILE"]) as f:
        bootstrap = f.readline().strip()

    # What the labels hold, read here: per frame (file stem) the raw lines.
    truth = {}
    for name in os.listdir(args.labels):
        if name.endswith(".txt"):
            with open(os.path.join(args.labels, name)) as f:
                truth[name[:-4]] = [l.split() for l in f if l.strip()]
    boxes = sum(len(v) for v in truth.values())
    print(f"{len(truth)} frames, {boxes} boxes", flush=True)

    # 1. The events pass predwatch's own check.
    dry = subprocess.run([sys.executable, args.producer, args.labels, "--stream", "cam-py",
                          "--start-ms", "1764998400000", "--dry-run"],
                         capture_output=True, text=True, check=True)
    checked = subprocess.run([args.predwatch, "check-event", "-", "--json", "--limit", "100000"],
                             input=dry.stdout,
                             capture_output=True, text=True)
    check(checked.returncode == 0, f"check-event exit {checked.returncode}: {checked.stderr}")
    verdicts = [json.loads(l) for l in checked.stdout.splitlines() if l.strip()]
    check(len(verdicts) == len(truth), f"check-event saw {len(verdicts)} events")
    check(all(v["accepted"] for v in verdicts), "an event was rejected")
    check(sum(len(v["detections"]) for v in verdicts) == boxes, "detections lost in check-event")

    # 2. Produced to the real broker, read back by an independent consumer.
    topic = "producer-" + uuid.uuid4().hex[:8]
    produced = subprocess.run([sys.executable, args.producer, args.labels, "--stream", "cam-py",
                               "--brokers", bootstrap, "--topic", topic],
                              capture_output=True, text=True)
    check(produced.returncode == 0, f"producer exit {produced.returncode}: {produced.stderr}")
    from confluent_kafka import Consumer
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "reader-" + topic,
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    seen = {}
    deadline = time.time() + 60
    while len(seen) < len(truth) and time.time() < deadline:
        msg = consumer.poll(0.5)
        if msg is None or msg.error():
            continue
        event = json.loads(msg.value())
        check(msg.key() == b"cam-py", f"key {msg.key()!r}")
        check(dict(msg.headers() or []).get("content-type") == b"application/json",
              "content-type header")
        check(event["frame_id"] not in seen, f"{event['frame_id']} twice")
        seen[event["frame_id"]] = event
    consumer.close()
    check(set(seen) == set(truth), f"read back {len(seen)} of {len(truth)} frames")
    times = sorted(e["timestamp_ms"] for e in seen.values())
    check(times[-1] - times[0] == (len(times) - 1) * 100, "frames 100 ms apart (10 fps)")
    for frame, event in seen.items():
        lines = truth.get(frame, [])
        check(len(event["detections"]) == len(lines), f"{frame}: detections")
        for det, raw in zip(event["detections"], lines):
            cls, cx, cy, w, h = int(raw[0]), *(float(v) for v in raw[1:5])
            want = [max(0.0, cx - w / 2), max(0.0, cy - h / 2), min(1.0, cx + w / 2),
                    min(1.0, cy + h / 2)]
            got = [det["box"][k] for k in ("x_min", "y_min", "x_max", "y_max")]
            if det["class_id"] != cls or any(abs(a - b) > 1e-12 for a, b in zip(got, want)):
                check(False, f"{frame}: {det} is not {raw}")
                break
    print("FAILURES:", len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
