// Fuzzes the Supervisely importer (daemon/dataset/supervisely_importer.h,
// make_importer("supervisely")) on a project folder built from the input, a fuzz_archive.h
// archive extracted into a scratch folder (archive names relative to the project folder:
// "meta.json", "ds/ann/img.json", or "ann/img.json" for a single dataset folder).
// Checks: importer_invariants.h (no exception, fatal errors name the folder or meta.json,
// boxes in [0, 1] with positive area, mask areas in [0, 1], summary counts equal what was
// delivered, problems all reported); and, Supervisely-specific: every delivered image has a
// positive size and a frame id "<dataset>/<file stem>"; a second import delivers the same.
// Also fuzzes supervisely_bitmap_size on the raw input (no crash; a size is never 0).
#include <cstddef>
#include <cstdint>

#include "daemon/dataset/supervisely_importer.h"
#include "tests/fuzz/fuzz_archive.h"
#include "tests/fuzz/importer_invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace predwatch;
  if (auto s = daemon::supervisely_bitmap_size(
          std::string_view(reinterpret_cast<const char*>(data), size))) {
    FUZZ_CHECK(s->first > 0 && s->second > 0, "bitmap size %ux%u", s->first, s->second);
  }
  static const auto importer = daemon::make_importer("supervisely");
  static const std::filesystem::path root = fuzz::scratch_folder("supervisely");
  fuzz::extract_archive(fuzz::parse_archive(data, size), root);
  const fuzz::ImportRun a = fuzz::run_import(*importer, root, {}, {root.string()});
  for (const auto& img : a.images) {
    FUZZ_CHECK(img.width > 0 && img.height > 0, "%s: image without a size", img.frame_id.c_str());
    FUZZ_CHECK(img.frame_id.find('/') != std::string::npos, "frame id %s without a dataset",
               img.frame_id.c_str());
  }
  const fuzz::ImportRun b = fuzz::run_import(*importer, root, {}, {root.string()});
  FUZZ_CHECK(a.result.error == b.result.error && a.images == b.images,
             "two imports of the same folder differ");
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
  return 0;
}
