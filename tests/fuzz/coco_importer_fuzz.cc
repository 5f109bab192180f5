// Fuzzes the COCO instances importer (daemon/dataset/coco_importer.h, make_importer("coco"))
// on a temporary file holding the input.
// Checks (the dataset_importer.h contract): no crash, no exception; a fatal error has a
// message naming the file; every delivered event has a non-empty frame id and boxes
// normalised to [0, 1] with positive width and height (degenerate boxes are skipped),
// confidence in [0, 1] or kNoConfidence; ImportSummary.images / objects equal what was
// delivered; and the multi-pass mode (a tiny annotation_buffer_bytes) delivers exactly the
// same events as the one-pass mode.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "daemon/dataset/dataset_importer.h"
#include "tests/fuzz/event_invariants.h"

namespace {

struct Delivered {
  std::string frame_id;
  uint32_t width, height;
  std::vector<predwatch::core::NamedDetection> detections;  // class names copied below
  std::vector<std::string> names;
};

std::vector<Delivered> run(const std::filesystem::path& file, size_t buffer_bytes,
                           predwatch::daemon::ImportResult& result) {
  using namespace predwatch;
  static const auto importer = daemon::make_importer("coco");
  daemon::ImportOptions options;
  options.stream = "s";
  options.annotation_buffer_bytes = buffer_bytes;
  std::vector<Delivered> out;
  try {
    result = importer->import(file, options, [&](const core::Event& e) {
      FUZZ_CHECK(!e.frame_id.empty(), "event without frame id");
      FUZZ_CHECK(e.stream == "s", "stream not copied");
      Delivered d{std::string(e.frame_id), e.width, e.height, e.detections, {}};
      for (size_t i = 0; i < e.detections.size(); ++i) {
        const auto& det = e.detections[i];
        const auto& b = det.box;
        FUZZ_CHECK(fuzz::in_unit(b.x_min) && fuzz::in_unit(b.x_max) && fuzz::in_unit(b.y_min) &&
                       fuzz::in_unit(b.y_max),
                   "%s: box (%g, %g)-(%g, %g) not in [0, 1]", d.frame_id.c_str(), b.x_min, b.y_min,
                   b.x_max, b.y_max);
        FUZZ_CHECK(b.x_min < b.x_max && b.y_min < b.y_max, "%s: degenerate box delivered",
                   d.frame_id.c_str());
        FUZZ_CHECK(det.confidence == core::kNoConfidence || fuzz::in_unit(det.confidence),
                   "confidence %g", det.confidence);
        FUZZ_CHECK(det.mask_area == core::kNoMaskArea || fuzz::in_unit(det.mask_area),
                   "mask_area %g", det.mask_area);
        FUZZ_CHECK(!det.class_name.empty() || det.class_index >= 0, "unnamed class");
        d.names.emplace_back(det.class_name);
      }
      out.push_back(std::move(d));
    });
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, "import threw: %s", e.what());
  }
  if (!result.ok()) {
    FUZZ_CHECK(result.error.find(file.filename().string()) != std::string::npos,
               "fatal error does not name the file: %s", result.error.c_str());
  }
  FUZZ_CHECK(result.summary.images == out.size(), "summary.images %llu, delivered %zu",
             static_cast<unsigned long long>(result.summary.images), out.size());
  uint64_t objects = 0;
  for (const auto& d : out) objects += d.detections.size();
  FUZZ_CHECK(result.summary.objects == objects, "summary.objects %llu, delivered %llu",
             static_cast<unsigned long long>(result.summary.objects),
             static_cast<unsigned long long>(objects));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace predwatch;
  static const std::filesystem::path file =
      std::filesystem::temp_directory_path() /
      ("predwatch_coco_fuzz_" + std::to_string(::getpid()) + ".json");
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  daemon::ImportResult one, multi;
  const auto a = run(file, size_t{256} << 20, one);
  const auto b = run(file, 64, multi);
  std::filesystem::remove(file);
  FUZZ_CHECK(one.ok() == multi.ok(), "one pass: '%s', several passes: '%s'", one.error.c_str(),
             multi.error.c_str());
  if (one.ok()) {
    FUZZ_CHECK(a.size() == b.size(), "one pass %zu images, several passes %zu", a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      FUZZ_CHECK(a[i].frame_id == b[i].frame_id && a[i].names == b[i].names &&
                     a[i].detections.size() == b[i].detections.size(),
                 "image %zu differs between one and several passes", i);
      for (size_t k = 0; k < a[i].detections.size(); ++k) {
        const auto &x = a[i].detections[k].box, &y = b[i].detections[k].box;
        FUZZ_CHECK(
            x.x_min == y.x_min && x.y_min == y.y_min && x.x_max == y.x_max && x.y_max == y.y_max,
            "image %zu box %zu differs between passes", i, k);
      }
    }
    for (size_t k = 0; k < daemon::kProblemKindCount; ++k) {
      FUZZ_CHECK(
          one.summary.problems[k] == multi.summary.problems[k],
          "%s problems: one pass %llu, several passes %llu",
          std::string(daemon::problem_kind_name(static_cast<daemon::ProblemKind>(k))).c_str(),
          static_cast<unsigned long long>(one.summary.problems[k]),
          static_cast<unsigned long long>(multi.summary.problems[k]));
    }
  }
  return 0;
}
