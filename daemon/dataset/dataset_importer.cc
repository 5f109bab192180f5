#include "daemon/dataset/dataset_importer.h"

#include <numeric>

#include "daemon/dataset/coco_importer.h"
#include "daemon/dataset/supervisely_importer.h"
#include "daemon/dataset/voc_importer.h"
#include "daemon/dataset/yolo_importer.h"

namespace predwatch::daemon {

std::string_view problem_kind_name(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::kMalformedRecord:
      return "malformed_record";
    case ProblemKind::kMissingField:
      return "missing_field";
    case ProblemKind::kUnknownCategory:
      return "unknown_category";
    case ProblemKind::kUnknownImage:
      return "unknown_image";
    case ProblemKind::kNoImageSize:
      return "no_image_size";
    case ProblemKind::kDegenerateBox:
      return "degenerate_box";
    case ProblemKind::kBoxOutsideImage:
      return "box_outside_image";
    case ProblemKind::kUnsupportedGeometry:
      return "unsupported_geometry";
    case ProblemKind::kProblemKindCount:
      break;
  }
  return "unknown";
}

uint64_t ImportSummary::total_problems() const {
  return std::accumulate(problems.begin(), problems.end(), uint64_t{0});
}

std::unique_ptr<DatasetImporter> make_importer(std::string_view format) {
  if (format == "coco") return std::make_unique<CocoImporter>();
  if (format == "coco-results") return std::make_unique<CocoResultsImporter>();
  if (format == "yolo") return std::make_unique<YoloImporter>();
  if (format == "voc") return std::make_unique<VocImporter>();
  if (format == "supervisely") return std::make_unique<SuperviselyImporter>();
  return nullptr;
}

std::span<const std::string_view> importer_formats() {
  static constexpr std::string_view kFormats[] = {"coco", "coco-results", "yolo", "voc",
                                                  "supervisely"};
  return kFormats;
}

std::span<const int64_t> coco80_category_ids() {
  static constexpr int64_t kIds[] = {
      1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21,
      22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
      46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65,
      67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90};
  static_assert(std::size(kIds) == 80);
  return kIds;
}

}  // namespace predwatch::daemon
