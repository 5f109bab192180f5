// The dataset_importer.h contract as fuzz checks, shared by the importer fuzz targets
// (yolo, voc, supervisely, coco_results; coco_importer has its own copy of the box checks).
//
// run_import() runs one import and checks, whatever the input:
//   - no exception escapes import();
//   - a fatal error names one of `names` (the file or folder given, or the ground truth);
//   - every delivered Event has a non-empty frame id, the stream of the options, boxes in
//     [0, 1] with positive width and height, confidence in [0, 1] or kNoConfidence, mask_area
//     in [0, 1] or kNoMaskArea, a class name or an index >= 0;
//   - ImportSummary.images / objects equal what was delivered;
//   - every per-record problem reaches on_problem (their number is total_problems()), names
//     a file and carries a detail; summary.messages keeps min(total, max_messages) of them.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "daemon/dataset/dataset_importer.h"
#include "tests/fuzz/event_invariants.h"
#include "tests/fuzz/fuzz_check.h"

namespace predwatch::fuzz {

// One delivered image, copied out of the callback.
struct DeliveredImage {
  std::string frame_id;
  uint32_t width = 0, height = 0;
  std::vector<std::array<float, 4>> boxes;  // x_min, y_min, x_max, y_max
  std::vector<std::string> names;
  std::vector<int32_t> indices;
  std::vector<float> confidences;

  bool operator==(const DeliveredImage&) const = default;
};

struct ImportRun {
  daemon::ImportResult result;
  std::vector<DeliveredImage> images;
};

inline ImportRun run_import(const daemon::DatasetImporter& importer,
                            const std::filesystem::path& path, daemon::ImportOptions options,
                            const std::vector<std::string>& names) {
  ImportRun run;
  options.stream = "s";
  options.max_messages = 3;
  uint64_t problems = 0;
  options.on_problem = [&](const daemon::ImportProblem& p) {
    ++problems;
    FUZZ_CHECK(static_cast<size_t>(p.kind) < daemon::kProblemKindCount, "problem kind %d",
               static_cast<int>(p.kind));
    FUZZ_CHECK(!p.file.empty(), "problem without a file");
    FUZZ_CHECK(!p.detail.empty(), "problem without a detail");
  };
  try {
    run.result = importer.import(path, options, [&](const core::Event& e) {
      FUZZ_CHECK(!e.frame_id.empty(), "event without frame id");
      FUZZ_CHECK(e.stream == "s", "stream not copied");
      DeliveredImage d;
      d.frame_id = std::string(e.frame_id);
      d.width = e.width;
      d.height = e.height;
      for (const core::NamedDetection& det : e.detections) {
        const core::Box& b = det.box;
        FUZZ_CHECK(in_unit(b.x_min) && in_unit(b.x_max) && in_unit(b.y_min) && in_unit(b.y_max),
                   "%s: box (%g, %g)-(%g, %g) not in [0, 1]", d.frame_id.c_str(), b.x_min, b.y_min,
                   b.x_max, b.y_max);
        FUZZ_CHECK(b.x_min < b.x_max && b.y_min < b.y_max, "%s: degenerate box delivered",
                   d.frame_id.c_str());
        FUZZ_CHECK(det.confidence == core::kNoConfidence || in_unit(det.confidence),
                   "%s: confidence %g", d.frame_id.c_str(), det.confidence);
        FUZZ_CHECK(det.mask_area == core::kNoMaskArea || in_unit(det.mask_area), "%s: mask_area %g",
                   d.frame_id.c_str(), det.mask_area);
        FUZZ_CHECK(!det.class_name.empty() || det.class_index >= 0, "%s: unnamed class",
                   d.frame_id.c_str());
        FUZZ_CHECK(simdjson::validate_utf8(det.class_name.data(), det.class_name.size()),
                   "%s: a class name that is not UTF-8", d.frame_id.c_str());
        d.boxes.push_back({b.x_min, b.y_min, b.x_max, b.y_max});
        d.names.emplace_back(det.class_name);
        d.indices.push_back(det.class_index);
        d.confidences.push_back(det.confidence);
      }
      run.images.push_back(std::move(d));
    });
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, "import threw: %s", e.what());
  }
  const daemon::ImportResult& r = run.result;
  if (!r.ok()) {
    bool named = false;
    for (const std::string& n : names) named |= r.error.find(n) != std::string::npos;
    FUZZ_CHECK(named, "fatal error does not name the file: %s", r.error.c_str());
  }
  FUZZ_CHECK(r.summary.images == run.images.size(), "summary.images %llu, delivered %zu",
             static_cast<unsigned long long>(r.summary.images), run.images.size());
  uint64_t objects = 0;
  for (const auto& d : run.images) objects += d.boxes.size();
  FUZZ_CHECK(r.summary.objects == objects, "summary.objects %llu, delivered %llu",
             static_cast<unsigned long long>(r.summary.objects),
             static_cast<unsigned long long>(objects));
  FUZZ_CHECK(r.summary.total_problems() == problems, "%llu problems counted, %llu reported",
             static_cast<unsigned long long>(r.summary.total_problems()),
             static_cast<unsigned long long>(problems));
  FUZZ_CHECK(r.summary.messages.size() == std::min<uint64_t>(problems, options.max_messages),
             "%zu messages kept of %llu problems", r.summary.messages.size(),
             static_cast<unsigned long long>(problems));
  return run;
}

}  // namespace predwatch::fuzz
