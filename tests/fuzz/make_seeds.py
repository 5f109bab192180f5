#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets whose inputs are built, not plain files:
the folder importers (fuzz_archive.h archives of tiny samples of tests/data), coco-results
(flag byte + archive of ground truth and results), kafka_headers (header lists) and
grpc_queries (call byte + binary request). Run from the repository root:
    python3 tests/fuzz/make_seeds.py
It rewrites the seeds it owns (never the regression_* inputs). Deterministic."""
import json
import os
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "tests", "data")
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


def read(*parts):
    with open(os.path.join(DATA, *parts), "rb") as f:
        return f.read()


def archive(entries):
    """fuzz_archive.h: name_len (1) | name | data_len (2, LE) | data."""
    out = b""
    for name, data in entries:
        name = name.encode()
        assert len(name) < 256 and len(data) < 65536, name
        out += bytes([len(name)]) + name + struct.pack("<H", len(data)) + data
    return out


def write(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


# --- protobuf wire format, enough for the request messages -------------------------------
def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field_varint(num, value):
    return varint(num << 3) + varint(value)


def field_bytes(num, data):
    if isinstance(data, str):
        data = data.encode()
    return varint((num << 3) | 2) + varint(len(data)) + data


def yolo():
    labels = os.path.join("coco128_yolo", "labels", "train2017")
    files = ["000000000009.txt", "000000000025.txt", "000000000030.txt"]
    entries = [("y/y/y/labels/train2017/" + f, read(labels, f)) for f in files]
    entries.append(("y/y/config.yaml", read("coco128_yolo", "config.yaml")))
    write("yolo_importer", "coco128_3labels_config_yaml", archive(entries))
    preds = os.path.join("video_frames_yolov5_predictions", "exp2", "labels")
    entries = [("y/y/y/" + f, read(preds, f)) for f in ["fifa_979.txt", "fifa_1094.txt"]]
    entries.append(("y/y/y/classes.txt", b"person\nball\n"))
    write("yolo_importer", "flat_with_confidence_classes_txt", archive(entries))
    entries = [
        ("y/y/y/a/img1.txt", b"0 0.5 0.5 0.2 0.2\n1 1.2 0.5 0.5 0.5 0.9\nx y\n\n"),
        ("y/y/y/a/empty.txt", b""),
        ("y/data.yaml", b"names: {0: cat, 2: dog}\n"),
    ]
    write("yolo_importer", "map_names_problems", archive(entries))


def voc():
    gts = os.path.join("voc_100_multiformat", "gts", "pascalvoc_format")
    entries = [(f, read(gts, f)) for f in ["2007_000346.xml", "2007_000392.xml"]]
    write("voc_importer", "voc_2files", archive(entries))
    entries = [
        ("Annotations/a.xml", read(gts, "2007_000452.xml")),
        ("Annotations/broken.xml", b"<annotation><size><width>10</width>"),
        ("Annotations/sub/nosize.xml",
         b"<annotation><filename>n.jpg</filename><object><name>cat</name></object></annotation>"),
        ("Annotations/sub/difficult.xml",
         b"<annotation><size><width>100</width><height>50</height></size><object><name>dog"
         b"</name><difficult>1</difficult><bndbox><xmin>-5</xmin><ymin>10</ymin><xmax>50</xmax>"
         b"<ymax>60</ymax></bndbox></object></annotation>"),
    ]
    write("voc_importer", "annotations_folder_problems", archive(entries))


def supervisely():
    tp = os.path.join("supervisely_samples", "tutorial_project")
    entries = [("meta.json", read(tp, "meta.json")),
               ("dataset_01/ann/bicycle-car.json", read(tp, "dataset_01", "ann", "bicycle-car.json")),
               ("dataset_02/ann/bmw.json", read(tp, "dataset_02", "ann", "bmw.json"))]
    write("supervisely_importer", "tutorial_project_2images", archive(entries))
    demo = os.path.join("supervisely_samples", "compare_annotations_demo", "ann")
    entries = [("ann/image_1.jpg.json", read(demo, "image_1.jpg.json"))]
    write("supervisely_importer", "single_dataset_bitmap", archive(entries))


def coco_results():
    gt = json.loads(read("coco128", "instances_train2017.json"))
    ids = [9, 25, 30]
    images = [i for i in gt["images"] if i["id"] in ids]
    anns = [a for a in gt["annotations"] if a["image_id"] in ids]
    used = {a["category_id"] for a in anns}
    small_gt = {
        "images": [{k: i[k] for k in ("id", "file_name", "width", "height")} for i in images],
        "categories": [c for c in gt["categories"] if c["id"] in used or c["id"] <= 3],
    }
    gt_bytes = json.dumps(small_gt).encode()
    preds = json.loads(read("coco128", "yolov5s_predictions.json"))
    indexed = [p for p in preds if p["image_id"] in ids][:12]  # yolov5: category index 0..79
    write("coco_results_importer", "yolov5_index_results",
          b"\x01" + archive([("gt.json", gt_bytes), ("results.json", json.dumps(indexed).encode())]))
    by_id = [{"image_id": a["image_id"], "category_id": a["category_id"], "bbox": a["bbox"],
              "score": 0.5} for a in anns][:12]
    by_id.append({"image_id": 9, "category_id": 999, "bbox": [1, 2, 3, 4], "score": 0.1})
    by_id.append({"image_id": 77, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.1})
    by_id.append({"image_id": 25, "category_id": 1, "bbox": [1, 2, 0, 4], "score": 0.1,
                  "segmentation": [[1, 2, 3, 4]], "area": 3.0})
    write("coco_results_importer", "category_id_results_with_problems",
          b"\x00" + archive([("gt.json", gt_bytes),
                             ("results.json", json.dumps({"annotations": by_id}).encode())]))


def kafka_headers():
    def header(key, value, null=False):
        key = key.encode() if isinstance(key, str) else key
        value = value.encode() if isinstance(value, str) else value
        return bytes([len(key) | (0x80 if null else 0)]) + key + bytes([len(value)]) + value

    head = struct.pack("<iq", 3, 123456)
    write("kafka_headers", "json_content_type",
          head + header("topic", "events") + header("content-type", "application/json"))
    write("kafka_headers", "both_spellings_protobuf",
          head + header("x", "predictions") + header("Content-Type", "application/json") +
          header("content-type", "application/x-protobuf; proto=predwatch.v1.PredictionEvent") +
          header("trace", "abc"))
    write("kafka_headers", "null_and_nul_names",
          struct.pack("<iq", -1, -1) + header("content-type", b"", null=True) +
          header(b"content-type\x00junk", "application/vnd.google.protobuf") +
          header("CONTENT-TYPE", " Application/Problem+JSON ") + header("Content-Type", "text/plain"))


def grpc_queries():
    # byte 0: bits 0-2 the call, bit 3 set = not ready.
    write("grpc_queries", "list_streams", b"\x00")
    write("grpc_queries", "window_stats_all",
          b"\x01" + field_bytes(1, "cam") + field_bytes(2, "c5") + field_varint(5, 1))
    sections = b"".join(varint(s) for s in [1, 2, 5, 8])
    write("grpc_queries", "window_stats_sections_classes_top",
          b"\x01" + field_bytes(1, "ref") + field_bytes(3, sections) + field_bytes(4, "a") +
          field_bytes(4, "c") + field_varint(6, 1))
    write("grpc_queries", "window_stats_not_ready", b"\x09" + field_bytes(1, "cam"))
    write("grpc_queries", "drift_cam_window", b"\x02" + field_bytes(1, "cam") + field_bytes(2, "1m"))
    write("grpc_queries", "alerts_cam", b"\x03" + field_bytes(1, "cam"))
    write("grpc_queries", "exemplars_class", b"\x04" + field_bytes(1, "cam") + field_bytes(3, "b") +
          field_varint(7, 2))
    write("grpc_queries", "exemplars_pair",
          b"\x04" + field_bytes(1, "ref") + field_bytes(4, field_bytes(1, "a") + field_bytes(2, "b")))
    write("grpc_queries", "exemplars_heatmap_cell",
          b"\x04" + field_bytes(1, "cam") + field_bytes(2, "c5") +
          field_bytes(5, field_bytes(1, "a") + field_varint(2, 3) + field_varint(3, 15)))
    write("grpc_queries", "exemplars_count_bucket",
          b"\x04" + field_bytes(1, "cam") + field_bytes(6, field_bytes(1, "d") + field_varint(2, 2)))
    write("grpc_queries", "baseline_cam", b"\x05" + field_bytes(1, "cam"))


if __name__ == "__main__":
    yolo()
    voc()
    supervisely()
    coco_results()
    kafka_headers()
    grpc_queries()
