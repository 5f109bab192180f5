#!/usr/bin/env python3
"""Writes the event-mapping samples of this folder from real detector output.

Source: ../coco128/yolov5s_predictions.json (real YOLOv5s predictions on COCO128, COCO
results with the 0..79 class index as category_id; see ../coco128/SOURCE.predictions.txt),
class names from ../coco128/coco128.yaml, image sizes and COCO category ids from
../coco128/instances_train2017.json. The first 12 images (by image id) with their
predictions scored >= 0.25, each written in the shape a producer of that detector output
would send (docs/EVENTS.md "Other shapes"):

  ultralytics.jsonl   Results.summary() rows (name, class, confidence, box x1..y2 pixels)
                      wrapped with stream, frame_id, RFC 3339 timestamp, image size;
  torchvision.jsonl   torchvision detection columns (boxes xyxy pixels, labels = COCO
                      category ids 1..90, scores) with an epoch-millisecond timestamp;
  coco_results.jsonl  COCO results rows as yolov5 writes them (bbox xywh pixels,
                      category_id = the 0..79 index, score) under image_id, with an
                      epoch-seconds timestamp;
  kserve_v2.jsonl     a Triton / KServe v2 inference response (outputs boxes: flat, x1 y1 x2
                      y2 normalised to the image; scores; labels = the 0..79 index) and
                      nothing else: the stream and time travel as the Kafka key and
                      timestamp.

Run from anywhere: python3 tests/data/mapping_samples/make_samples.py
"""
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
COCO128 = os.path.join(HERE, "..", "coco128")
COCO80_TO_91 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
                46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64,
                65, 67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88,
                89, 90]
START_MS = 1_796_119_200_000  # 2026-12-01T10:00:00Z
IMAGES = 12
MIN_SCORE = 0.25


def names():
    text = open(os.path.join(COCO128, "coco128.yaml")).read()
    out = {}
    for m in re.finditer(r"^\s+(\d+): (.+)$", text, re.M):
        out[int(m.group(1))] = m.group(2).strip()
    return out


def main():
    class_names = names()
    gt = json.load(open(os.path.join(COCO128, "instances_train2017.json")))
    sizes = {im["id"]: (im["width"], im["height"]) for im in gt["images"]}
    preds = json.load(open(os.path.join(COCO128, "yolov5s_predictions.json")))
    by_image = {}
    for p in preds:
        if p["score"] >= MIN_SCORE:
            by_image.setdefault(p["image_id"], []).append(p)
    ids = sorted(i for i in sizes if i in by_image)[:IMAGES]
    with open(os.path.join(HERE, "ultralytics.jsonl"), "w") as u, \
            open(os.path.join(HERE, "torchvision.jsonl"), "w") as t, \
            open(os.path.join(HERE, "coco_results.jsonl"), "w") as c, \
            open(os.path.join(HERE, "kserve_v2.jsonl"), "w") as k:
        for n, image_id in enumerate(ids):
            w, h = sizes[image_id]
            ms = START_MS + 100 * n
            rows = by_image[image_id]
            frame = "%012d" % image_id
            u.write(json.dumps({
                "stream": "cam-ultralytics", "frame_id": frame,
                "timestamp": "2026-12-01T10:00:%02d.%03dZ" % (ms // 1000 % 60, ms % 1000),
                "image": {"width": w, "height": h},
                "detections": [{
                    "name": class_names[p["category_id"]], "class": p["category_id"],
                    "confidence": p["score"],
                    "box": {"x1": p["bbox"][0], "y1": p["bbox"][1],
                            "x2": round(p["bbox"][0] + p["bbox"][2], 3),
                            "y2": round(p["bbox"][1] + p["bbox"][3], 3)}} for p in rows]}) + "\n")
            t.write(json.dumps({
                "stream": "cam-torchvision", "frame_id": frame, "timestamp": ms,
                "image": {"width": w, "height": h},
                "boxes": [[p["bbox"][0], p["bbox"][1], round(p["bbox"][0] + p["bbox"][2], 3),
                           round(p["bbox"][1] + p["bbox"][3], 3)] for p in rows],
                "labels": [COCO80_TO_91[p["category_id"]] for p in rows],
                "scores": [p["score"] for p in rows]}) + "\n")
            c.write(json.dumps({
                "stream": "cam-coco", "image_id": image_id, "timestamp": ms / 1000,
                "image": {"width": w, "height": h}, "detections": rows}) + "\n")
            flat = []
            for p in rows:
                x, y, bw, bh = p["bbox"]
                flat += [round(x / w, 6), round(y / h, 6), round((x + bw) / w, 6),
                         round((y + bh) / h, 6)]
            k.write(json.dumps({
                "model_name": "yolov5s", "model_version": "1", "id": frame,
                "outputs": [
                    {"name": "boxes", "datatype": "FP32", "shape": [len(rows), 4], "data": flat},
                    {"name": "scores", "datatype": "FP32", "shape": [len(rows)],
                     "data": [p["score"] for p in rows]},
                    {"name": "labels", "datatype": "INT64", "shape": [len(rows)],
                     "data": [p["category_id"] for p in rows]}]}) + "\n")


if __name__ == "__main__":
    main()
