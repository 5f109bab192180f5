// Fuzzes the YOLO importer (daemon/dataset/yolo_importer.h, make_importer("yolo")) on a
// folder built from the input, a fuzz_archive.h archive extracted into a scratch folder.
// The dataset folder given to the importer is <scratch>/y/y/y: the names-file search looks at
// it and up to three parents, all inside the scratch folder, so archive names are relative to
// the scratch folder ("y/y/y/labels/a.txt", "y/data.yaml", ...).
// Checks: importer_invariants.h (no exception, fatal errors name the folder, boxes in [0, 1]
// with positive area, summary counts equal what was delivered, problems all reported); and,
// YOLO-specific: events carry width = height = 0; a second import of the same folder delivers
// the same images (the importer holds no state).
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_archive.h"
#include "tests/fuzz/importer_invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace predwatch;
  static const auto importer = daemon::make_importer("yolo");
  static const std::filesystem::path root = fuzz::scratch_folder("yolo");
  fuzz::extract_archive(fuzz::parse_archive(data, size), root);
  const std::filesystem::path dataset = root / "y" / "y" / "y";
  const fuzz::ImportRun a = fuzz::run_import(*importer, dataset, {}, {root.string()});
  for (const auto& img : a.images) {
    FUZZ_CHECK(img.width == 0 && img.height == 0, "%s: YOLO image with a size %ux%u",
               img.frame_id.c_str(), img.width, img.height);
  }
  const fuzz::ImportRun b = fuzz::run_import(*importer, dataset, {}, {root.string()});
  FUZZ_CHECK(a.result.error == b.result.error && a.images == b.images,
             "two imports of the same folder differ");
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
  return 0;
}
