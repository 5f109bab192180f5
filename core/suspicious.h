// Dataset QA: finds suspicious annotations (or predictions) in a stream of images.
//
// Per image (check_image), over that image's detections:
//   duplicate_box   two detections of the same class with IoU >= duplicate_iou (default 0.9);
//                   one record per pair
//   degenerate_box  a box with non-positive width or height, a non-finite coordinate, or a
//                   coordinate outside [0, 1] of the image (beyond 1e-6)
// Reported by importers and turned into records with make_record():
//   unknown_category  an object whose category the dataset does not declare
// Over the whole dataset (finish(), the second pass over collected counts):
//   class_count_outlier  an image whose count of class c is far beyond c's usual range.
//     Rule: over the images that contain c (count >= 1), take the quartiles Q1, Q3 of the
//     per-image counts (linear interpolation between order statistics, NumPy's default
//     "type 7"); flag an image when its count > max(Q3 + outlier_iqr_factor * (Q3 - Q1),
//     outlier_floor). Classes present on fewer than outlier_min_images images are not
//     checked (their quartiles say little). The floor keeps classes that are almost always
//     single (IQR 0) from flagging every image with two objects.
//     Memory: one (image ordinal, count) pair per image containing the class, plus the frame
//     ids (one string per image), i.e. O(images + sum over classes of images containing it).
// A class is identified by its name, or "#<class_index>" when the detection has no name.
//
// Pure computation: no I/O. Thread-safety: not thread-safe; one checker per dataset pass.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"

namespace predwatch::core {

enum class SuspicionReason : uint8_t {
  kDuplicateBox,
  kDegenerateBox,
  kUnknownCategory,
  kClassCountOutlier,
};

// "duplicate_box", "degenerate_box", "unknown_category", "class_count_outlier".
std::string_view suspicion_reason_name(SuspicionReason reason);

struct SuspiciousRecord {
  std::string image;  // frame id
  SuspicionReason reason;
  std::string class_name;
  std::string detail;  // human-readable specifics (which boxes, IoU, count vs threshold)
};

struct SuspiciousOptions {
  double duplicate_iou = 0.9;
  double outlier_iqr_factor = 3.0;
  uint32_t outlier_floor = 10;
  uint32_t outlier_min_images = 10;
};

// The class-count threshold for a class whose per-image counts (over images containing it)
// are `counts`: max(Q3 + factor * IQR, floor). Exposed for reports and tests.
// REQUIRES: counts is not empty. Sorts `counts`.
double class_count_threshold(std::vector<uint32_t>& counts, const SuspiciousOptions& options);

class SuspiciousChecker {
 public:
  explicit SuspiciousChecker(SuspiciousOptions options = {});

  // Checks one image's detections and appends duplicate/degenerate records to `out`;
  // remembers the image's per-class counts for finish().
  void check_image(const Event& event, std::vector<SuspiciousRecord>& out);

  // The per-class count outliers over every image seen so far, ordered by class name, then
  // by image order.
  std::vector<SuspiciousRecord> finish() const;

  // A record for a problem found elsewhere (an importer's unknown category).
  static SuspiciousRecord make_record(std::string_view image, SuspicionReason reason,
                                      std::string_view class_name, std::string_view detail);

  uint64_t images() const { return image_name_end_.size(); }

 private:
  struct ClassCounts {
    std::string name;
    std::vector<std::pair<uint32_t, uint32_t>> per_image;  // (image ordinal, count)
  };

  uint32_t class_slot(const NamedDetection& d);
  std::string_view image_name(uint32_t ordinal) const;

  SuspiciousOptions options_;
  absl::flat_hash_map<std::string, uint32_t> class_ids_;
  std::vector<ClassCounts> classes_;
  std::string image_names_;               // frame ids, concatenated
  std::vector<uint32_t> image_name_end_;  // end offset of each image's name
  // Scratch reused between images.
  std::vector<uint32_t> slot_of_detection_, order_, seen_count_;
  std::string key_;
};

}  // namespace predwatch::core
