// Fuzzes the COCO results importer (daemon/dataset/coco_importer.h,
// make_importer("coco-results")): a results file read against a ground-truth instances file.
// Input: one flag byte, then a fuzz_archive.h archive whose first entry is the ground truth
// (written to gt.json) and whose second is the results file (results.json); names are
// ignored, further entries too. Flag bit 0: category_id is an index into the COCO-80 table
// (ImportOptions::category_id_by_index = coco80_category_ids()).
// Checks: importer_invariants.h (no exception, fatal errors name one of the two files, boxes
// in [0, 1] with positive area, mask areas in [0, 1], summary counts equal what was
// delivered, problems all reported); every delivered image has a positive size; with the
// index table, class_index is in [0, 80); and
// the multi-pass mode (annotation_buffer_bytes = 64) delivers exactly the one-pass events
// and problem counts.
#include <cstddef>
#include <cstdint>
#include <fstream>

#include "tests/fuzz/fuzz_archive.h"
#include "tests/fuzz/importer_invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace predwatch;
  if (size < 1) return 0;
  const bool by_index = data[0] & 1;
  static const auto importer = daemon::make_importer("coco-results");
  static const std::filesystem::path root = fuzz::scratch_folder("coco_results");
  const std::vector<fuzz::ArchiveEntry> entries = fuzz::parse_archive(data + 1, size - 1);
  std::error_code ec;
  std::filesystem::create_directories(root, ec);
  const std::filesystem::path gt = root / "gt.json", results = root / "results.json";
  for (size_t i = 0; i < 2; ++i) {
    std::ofstream out(i == 0 ? gt : results, std::ios::binary | std::ios::trunc);
    if (i < entries.size()) {
      out.write(entries[i].data.data(), static_cast<std::streamsize>(entries[i].data.size()));
    }
  }
  daemon::ImportOptions options;
  options.ground_truth = gt;
  if (by_index) {
    const auto table = daemon::coco80_category_ids();
    options.category_id_by_index.assign(table.begin(), table.end());
  }
  const std::vector<std::string> names = {gt.filename().string(), results.filename().string()};
  const fuzz::ImportRun a = fuzz::run_import(*importer, results, options, names);
  for (const auto& img : a.images) {
    FUZZ_CHECK(img.width > 0 && img.height > 0, "%s: image without a size", img.frame_id.c_str());
    for (int32_t idx : img.indices) {
      FUZZ_CHECK(!by_index || (idx >= 0 && idx < 80), "%s: class index %d", img.frame_id.c_str(),
                 idx);
    }
  }
  options.annotation_buffer_bytes = 64;
  const fuzz::ImportRun b = fuzz::run_import(*importer, results, options, names);
  FUZZ_CHECK(a.result.ok() == b.result.ok(), "one pass: '%s', several passes: '%s'",
             a.result.error.c_str(), b.result.error.c_str());
  if (a.result.ok()) {
    FUZZ_CHECK(a.images == b.images, "one pass and several passes deliver different images");
    FUZZ_CHECK(a.result.summary.problems == b.result.summary.problems, "problem counts differ");
  }
  std::filesystem::remove_all(root, ec);
  return 0;
}
