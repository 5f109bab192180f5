// Dataset importers: read a labelled dataset (COCO, COCO results, YOLO, Pascal VOC,
// Supervisely) and hand it to the caller image by image as core::Event values, the same form
// the live decoders produce, so that one statistics path serves baselines and streams.
//
// Contract shared by every importer:
//   - import() calls `on_event` once per image, in a deterministic order (the dataset's image
//     order for COCO, sorted file names for the folder formats). The Event and its
//     string_views are valid only during the call: copy what you keep.
//   - Images without objects are delivered with an empty detection list.
//   - Boxes are normalised to [0, 1] of the image and clipped to it; a box with no area after
//     clipping is a per-record problem (kDegenerateBox) and is skipped. When the format carries
//     no image size (YOLO) the Event has width = height = 0.
//   - Per-record problems (missing fields, unknown category, image without size, degenerate
//     box, malformed record) are counted by kind in ImportSummary, the first
//     ImportOptions::max_messages messages are kept, every problem is also passed to
//     ImportOptions::on_problem when set, and the record is skipped (a box that only extends
//     beyond the image, kBoxOutsideImage, is clipped and kept). They never abort.
//     Messages read "<file>: <record> (image <frame id>): <kind>: <detail>", where the
//     record is e.g. "annotations[17] (id 42, image_id 7)", "line 3", "object[2] (line 14)".
//   - Fatal problems (missing file or folder, malformed top-level JSON/XML, no images at all)
//     end the import: ImportResult::error holds a message naming the file and the place.
//     Events already delivered before a fatal problem stay delivered.
// Thread-safety: an importer object holds no state between calls; one import() runs on the
// calling thread. Different importer objects may run concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"

namespace predwatch::daemon {

// Kinds of per-record problems. Keep kProblemKindCount last.
enum class ProblemKind : uint8_t {
  kMalformedRecord,      // a record that is not valid JSON/XML/text of the expected shape
  kMissingField,         // a required field is absent or has the wrong type
  kUnknownCategory,      // category id / class index / class title not declared
  kUnknownImage,         // an annotation names an image id the dataset does not list
  kNoImageSize,          // image without a usable width/height: its objects are skipped
  kDegenerateBox,        // box with non-positive size (after clipping to the image)
  kBoxOutsideImage,      // box extending beyond the image: clipped, kept
  kUnsupportedGeometry,  // Supervisely geometry that has no box (point, graph, ...)
  kProblemKindCount
};
inline constexpr size_t kProblemKindCount = static_cast<size_t>(ProblemKind::kProblemKindCount);

// Stable snake_case name of a kind ("unknown_category"), for reports and metric labels.
std::string_view problem_kind_name(ProblemKind kind);

// One per-record problem, as passed to ImportOptions::on_problem (views valid during the call).
struct ImportProblem {
  ProblemKind kind;
  std::string_view file;      // the file the record is in
  std::string_view record;    // e.g. "annotations[17] (id 42, image_id 7)", "line 3"
  std::string_view image;     // the image's frame id when known, else empty
  std::string_view category;  // the category name/id concerned when relevant, else empty
  std::string_view detail;    // what is wrong
};

struct ImportOptions {
  // Copied into every Event.
  std::string stream;
  std::string model_name;
  std::string model_version;
  int64_t time_ms = 0;

  // coco-results: the ground-truth COCO instances file that lists images (sizes) and
  // categories (names). Required by the coco-results importer.
  std::filesystem::path ground_truth;
  // coco-results: when non-empty, a result's category_id is an index into this table, which
  // maps it to the COCO category id (yolov5-style 0..79 output; see coco80_category_ids()).
  std::vector<int64_t> category_id_by_index;

  // yolo: class-names file (data.yaml/config.yaml with `names`, classes.txt, obj.names).
  // Empty: searched for in the label folder and up to three parent folders.
  std::filesystem::path names_file;

  // coco: skip annotations with "iscrowd": 1 (crowd regions). Default: kept, as in the
  // dataset's own object counts.
  bool skip_crowd = false;

  // voc: skip objects marked <difficult>1</difficult>.
  bool skip_difficult = false;

  // coco: upper bound on the memory spent buffering annotations (bytes). Above it the
  // annotations are read in several passes over the file. See coco_importer.h.
  size_t annotation_buffer_bytes = size_t{256} << 20;

  // How many problem messages ImportSummary keeps.
  size_t max_messages = 20;
  // Called for every per-record problem, when set.
  std::function<void(const ImportProblem&)> on_problem;
};

struct ImportSummary {
  uint64_t images = 0;           // events delivered
  uint64_t objects = 0;          // detections delivered
  uint64_t skipped_images = 0;   // images not delivered (no size, malformed file)
  uint64_t skipped_objects = 0;  // objects not delivered (any per-record problem)
  std::array<uint64_t, kProblemKindCount> problems{};
  std::vector<std::string> messages;  // the first max_messages problem messages

  uint64_t problem_count(ProblemKind kind) const { return problems[static_cast<size_t>(kind)]; }
  uint64_t total_problems() const;
};

struct ImportResult {
  std::string error;  // empty on success; otherwise the fatal problem, naming file and place
  ImportSummary summary;

  bool ok() const { return error.empty(); }
};

using EventCallback = std::function<void(const core::Event&)>;

class DatasetImporter {
 public:
  virtual ~DatasetImporter() = default;

  // The --format name ("coco", "yolo", ...).
  virtual std::string_view format() const = 0;

  // Reads the dataset at `path` (a file or folder, see each importer) and calls `on_event`
  // once per image. REQUIRES: on_event is callable.
  virtual ImportResult import(const std::filesystem::path& path, const ImportOptions& options,
                              const EventCallback& on_event) const = 0;
};

// The importer for a --format name, or nullptr when the name is unknown.
std::unique_ptr<DatasetImporter> make_importer(std::string_view format);

// The accepted --format names: coco, coco-results, yolo, voc, supervisely.
std::span<const std::string_view> importer_formats();

// The COCO 80-class index -> COCO category id table (index 0 -> 1, ..., 79 -> 90).
std::span<const int64_t> coco80_category_ids();

}  // namespace predwatch::daemon
