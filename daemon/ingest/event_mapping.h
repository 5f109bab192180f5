// An event mapping (kafka.mappings[], docs/EVENTS.md "Other shapes"), resolved: the preset's
// defaults filled in, every field source parsed, the class-names file read.
//
// Presets name where common detector outputs keep a detection's fields; the frame fields
// (stream, frame_id, timestamp, image.*, model.*) default to PredictionEvent's names in
// every preset, because a detector's output carries none of them and the producer wraps it:
//   none          rows `detections`: class_name, class_id, confidence, box {x_min, y_min,
//                 x_max, y_max}, pixels
//   ultralytics   rows `detections` as Results.summary() writes them: name, class,
//                 confidence, box {x1, y1, x2, y2}, pixels
//   torchvision   columns as a detection model returns them: boxes [[x1, y1, x2, y2]],
//                 labels (indices), scores; pixels
//   coco_results  rows `detections` of COCO results: category_id, bbox [x, y, w, h],
//                 score; pixels; frame id `image_id`
// Settings the user gave win over the preset's.
//
// Thread-safety: plain data after resolve_mapping; safe to share read-only.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/settings.h"

namespace predwatch::daemon {

// Where one field of an event is read from.
struct FieldSource {
  enum class Kind : uint8_t {
    kNone,       // not mapped: the field stays empty
    kPath,       // a path into the payload
    kKey,        // the Kafka message key
    kTimestamp,  // the Kafka message timestamp (ms)
    kTopic,      // the Kafka topic
    kOffset,     // "<partition>:<offset>" of the Kafka message
    kConstant,   // `constant`
  };
  Kind kind = Kind::kNone;
  std::vector<std::string> path;  // kPath: keys and array indices; empty = the payload itself
  std::string constant;           // kConstant
  std::string text;               // as configured ("image.width", "@key"), for messages

  // Parses the syntax config/loader.cc checked: "a.b.0", "$", "$.a", "@key", "=text"; ""
  // is kNone.
  static FieldSource parse(std::string_view text);
  // The first key of a path (what a payload's object must hold), or "" for other kinds.
  std::string_view first_key() const;
};

struct EventMapping {
  std::string topic;
  // Frame fields: paths from the payload's root.
  FieldSource stream, frame_id, timestamp, image_width, image_height, image_uri, model_name,
      model_version;
  // Detection fields: paths relative to one detection (rows) or of parallel lists from the
  // root (columns).
  FieldSource detections, class_name, class_id, confidence, box;
  config::TimestampUnit timestamp_unit = config::TimestampUnit::kAuto;
  config::DetectionLayout layout = config::DetectionLayout::kRows;
  config::BoxFormat box_format = config::BoxFormat::kXyxy;
  config::BoxUnits box_units = config::BoxUnits::kPixels;
  std::array<std::string, 4> box_keys;  // of an object box, in box_format's order
  // Keys of a detection the preset's format carries and predwatch has no use for (COCO
  // results' image_id): not reported as ignored fields.
  std::vector<std::string> detection_extras;
  // Class index -> name from class_names (empty: indices stay indices).
  std::map<int64_t, std::string> class_names;
  std::string class_names_file;  // for messages; "" without one
};

// The mapping `settings` describe with its preset's defaults; reads class_names. nullopt
// with `error` naming the file and the problem when that file cannot be read or parsed.
std::optional<EventMapping> resolve_mapping(const config::EventMappingSettings& settings,
                                            std::string& error);

// Reads index -> name: a YAML file with `names` (a list, or a map index -> name), a COCO
// JSON file (`categories`, id -> name), or a text file of one name per line.
bool load_class_names(const std::string& file, std::map<int64_t, std::string>& names,
                      std::string& error);

}  // namespace predwatch::daemon
