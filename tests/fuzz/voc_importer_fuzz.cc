// Fuzzes the Pascal VOC importer (daemon/dataset/voc_importer.h, make_importer("voc")) on a
// folder built from the input, a fuzz_archive.h archive extracted into a scratch folder
// (archive names relative to the dataset folder: "a.xml", "Annotations/b.xml", ...).
// Checks: importer_invariants.h (no exception, fatal errors name the folder, boxes in [0, 1]
// with positive area, summary counts equal what was delivered, problems all reported); and,
// VOC-specific: every delivered image has a positive size; with skip_difficult the import
// delivers the same images with a subset of the objects (never more), and the same fatal
// error or none.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_archive.h"
#include "tests/fuzz/importer_invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace predwatch;
  static const auto importer = daemon::make_importer("voc");
  static const std::filesystem::path root = fuzz::scratch_folder("voc");
  fuzz::extract_archive(fuzz::parse_archive(data, size), root);
  const fuzz::ImportRun a = fuzz::run_import(*importer, root, {}, {root.string()});
  for (const auto& img : a.images) {
    FUZZ_CHECK(img.width > 0 && img.height > 0, "%s: VOC image without a size",
               img.frame_id.c_str());
  }
  daemon::ImportOptions skip;
  skip.skip_difficult = true;
  const fuzz::ImportRun b = fuzz::run_import(*importer, root, skip, {root.string()});
  FUZZ_CHECK(a.result.ok() == b.result.ok(), "skip_difficult changes the outcome: '%s' / '%s'",
             a.result.error.c_str(), b.result.error.c_str());
  FUZZ_CHECK(a.images.size() == b.images.size(), "skip_difficult: %zu images, else %zu",
             b.images.size(), a.images.size());
  for (size_t i = 0; i < a.images.size(); ++i) {
    FUZZ_CHECK(a.images[i].frame_id == b.images[i].frame_id &&
                   b.images[i].boxes.size() <= a.images[i].boxes.size(),
               "image %zu: skip_difficult delivers another image or more objects", i);
  }
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
  return 0;
}
