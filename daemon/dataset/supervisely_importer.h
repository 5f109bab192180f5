// Supervisely importer ("supervisely"): a project folder with an optional meta.json
// ({"classes": [{"title", "shape"}...]}) and dataset folders <dataset>/ann/<image>.json, or a
// single dataset folder holding ann/ directly. Datasets and files are read in sorted order;
// the frame id is "<dataset>/<annotation file name without .json>".
//
// Both annotation formats are read: the current one (objects carry "geometryType") and the
// older one (the shape comes from meta.json's class). Geometries become boxes:
//   rectangle  points.exterior [[left, top], [right, bottom]], inclusive pixels -> right + 1
//   polygon    bounding box of points.exterior; mask_area = shoelace area minus the holes
//              (points.interior), as a fraction of the image
//   bitmap     bitmap.origin + the size of the mask, read from the PNG header inside
//              bitmap.data (base64 of zlib-compressed PNG); mask_area is not computed
// Other geometries (point, polyline, graph...) are kUnsupportedGeometry and skipped. With a
// meta.json, a classTitle it does not declare is kUnknownCategory.
// Fatal: path missing, meta.json malformed, no ann/*.json at all. A malformed annotation
// file is a per-record problem (the image is skipped).
// Thread-safety: see dataset_importer.h.
#pragma once

#include <optional>
#include <string_view>
#include <utility>

#include "daemon/dataset/dataset_importer.h"

namespace predwatch::daemon {

class SuperviselyImporter final : public DatasetImporter {
 public:
  std::string_view format() const override { return "supervisely"; }
  ImportResult import(const std::filesystem::path& path, const ImportOptions& options,
                      const EventCallback& on_event) const override;
};

// Width and height of the PNG inside a Supervisely bitmap's "data" (base64 of zlib-compressed
// PNG bytes), or nullopt when it is not that.
std::optional<std::pair<uint32_t, uint32_t>> supervisely_bitmap_size(std::string_view base64_data);

}  // namespace predwatch::daemon
