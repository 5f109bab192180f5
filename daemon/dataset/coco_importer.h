// COCO importers.
//
// "coco": a COCO instances file (object with "images", "categories", "annotations"). Each
// image of "images" becomes one Event (frame id = file_name, or the id when there is none),
// in the file's order; its annotations become detections (bbox [x, y, w, h] in pixels,
// normalised by the image size; "score" when present becomes the confidence, and a score
// outside [0, 1] makes the annotation a kMalformedRecord problem (skipped); "area" becomes
// mask_area, as a fraction of the image capped at 1, when the annotation has a
// "segmentation").
//
// "coco-results": a COCO results file (array of {image_id, category_id, bbox, score}, or an
// object with an "annotations" array) read against ImportOptions::ground_truth, the instances
// file that gives image sizes, frame ids and category names. Every ground-truth image yields
// an Event, with no detections when the results have none for it. With
// ImportOptions::category_id_by_index, category_id is an index into that table (yolov5's
// 0..79 form; coco80_category_ids() is the standard table) and becomes the class_index.
//
// Memory. COCO keeps images and annotations in separate arrays and annotations need not be
// grouped by image, so an image's detections are only complete at the end of the file. The
// importer never holds the file: the JSON is streamed in ~1 MB batches (json_array_scanner.h)
// and passed over several times:
//   A. images + categories -> an image table (about 40 bytes per image plus its file name,
//      plus a hash map id -> row) and a category table;
//   B. annotations, reading only image_id -> a per-image count (for "coco", done during pass
//      A when the annotations array follows the images array, the usual layout);
//   C. annotations again, each one parsed, validated and stored compactly (28 bytes: the
//      normalised box, score, mask area, category row) in a per-image slot (CSR layout);
//      then the images are emitted in order.
// Pass C stores at most ImportOptions::annotation_buffer_bytes of annotations; when the
// dataset needs more, the images are split into consecutive ranges that fit and pass C runs
// once per range. So memory is O(images + min(annotations, budget)), never O(file size):
// a 1 GB COCO file with 100k images and 900k annotations buffers about 25 MB in one pass C.
// Thread-safety: see dataset_importer.h.
#pragma once

#include "daemon/dataset/dataset_importer.h"

namespace predwatch::daemon {

class CocoImporter final : public DatasetImporter {
 public:
  std::string_view format() const override { return "coco"; }
  // `path` is the instances JSON file.
  ImportResult import(const std::filesystem::path& path, const ImportOptions& options,
                      const EventCallback& on_event) const override;
};

class CocoResultsImporter final : public DatasetImporter {
 public:
  std::string_view format() const override { return "coco-results"; }
  // `path` is the results JSON file. REQUIRES: options.ground_truth names the instances file
  // (an error value is returned when it is empty).
  ImportResult import(const std::filesystem::path& path, const ImportOptions& options,
                      const EventCallback& on_event) const override;
};

}  // namespace predwatch::daemon
