#include "daemon/ingest/event_mapping.h"

#include <simdjson.h>

#include <filesystem>

#include "daemon/dataset/yolo_importer.h"

namespace predwatch::daemon {
namespace {

using config::BoxFormat;
using config::BoxUnits;
using config::DetectionLayout;
using config::MappingPreset;

// Where a preset finds each field. Frame fields default to PredictionEvent's names.
struct Preset {
  const char* stream = "stream";
  const char* frame_id = "frame_id";
  const char* timestamp = "timestamp";
  const char* model_name = "model.name";
  const char* model_version = "model.version";
  const char* detections = "detections";  // layout rows only
  const char* class_name = "";
  const char* class_id = "";
  const char* confidence = "";
  const char* box = "";
  DetectionLayout layout = DetectionLayout::kRows;
  BoxFormat box_format = BoxFormat::kXyxy;
  std::array<const char*, 4> box_keys = {"x_min", "y_min", "x_max", "y_max"};
  std::vector<std::string> detection_extras = {};
};

const Preset& preset(MappingPreset p) {
  static const Preset kNone{
      .class_name = "class_name", .class_id = "class_id", .confidence = "confidence", .box = "box"};
  static const Preset kUltralytics{.class_name = "name",
                                   .class_id = "class",
                                   .confidence = "confidence",
                                   .box = "box",
                                   .box_keys = {"x1", "y1", "x2", "y2"}};
  static const Preset kTorchvision{.class_id = "labels",
                                   .confidence = "scores",
                                   .box = "boxes",
                                   .layout = DetectionLayout::kColumns};
  static const Preset kCocoResults{.frame_id = "image_id",
                                   .class_id = "category_id",
                                   .confidence = "score",
                                   .box = "bbox",
                                   .box_format = BoxFormat::kXywh,
                                   .box_keys = {"x", "y", "w", "h"},
                                   .detection_extras = {"image_id", "id", "area", "iscrowd"}};
  // A KServe v2 / Triton inference response forwarded as the message (the camera as its
  // key): output tensors by name, boxes flattened.
  static const Preset kKserveV2{.stream = "@key",
                                .frame_id = "id",
                                .timestamp = "@timestamp",
                                .model_name = "model_name",
                                .model_version = "model_version",
                                .class_id = "outputs[name=labels].data",
                                .confidence = "outputs[name=scores].data",
                                .box = "outputs[name=boxes].data",
                                .layout = DetectionLayout::kColumns};
  switch (p) {
    case MappingPreset::kUltralytics:
      return kUltralytics;
    case MappingPreset::kTorchvision:
      return kTorchvision;
    case MappingPreset::kCocoResults:
      return kCocoResults;
    case MappingPreset::kKserveV2:
      return kKserveV2;
    case MappingPreset::kNone:
      break;
  }
  return kNone;
}

std::array<std::string, 4> format_keys(BoxFormat f) {
  switch (f) {
    case BoxFormat::kXywh:
      return {"x", "y", "w", "h"};
    case BoxFormat::kCxcywh:
      return {"cx", "cy", "w", "h"};
    case BoxFormat::kXyxy:
      break;
  }
  return {"x_min", "y_min", "x_max", "y_max"};
}

FieldSource source_or(const std::string& configured, const char* fallback) {
  return FieldSource::parse(configured.empty() ? std::string_view(fallback) : configured);
}

bool load_coco_categories(const std::string& file, std::map<int64_t, std::string>& names,
                          std::string& error) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto e = parser.load(file).get(root)) {
    error = file + ": not JSON: " + simdjson::error_message(e);
    return false;
  }
  simdjson::dom::array categories;
  if (root["categories"].get_array().get(categories)) {
    error = file + ": no `categories` list (a COCO JSON file has one)";
    return false;
  }
  size_t i = 0;
  for (simdjson::dom::element c : categories) {
    int64_t id = 0;
    std::string_view name;
    if (c["id"].get_int64().get(id) || c["name"].get_string().get(name) || name.empty()) {
      error = file + ": categories[" + std::to_string(i) + "] needs an integer id and a name";
      return false;
    }
    names[id] = std::string(name);
    ++i;
  }
  return true;
}

}  // namespace

FieldSource FieldSource::parse(std::string_view text) {
  FieldSource s;
  s.text = std::string(text);
  if (text.empty()) return s;
  if (text == "@key") {
    s.kind = Kind::kKey;
  } else if (text == "@timestamp") {
    s.kind = Kind::kTimestamp;
  } else if (text == "@topic") {
    s.kind = Kind::kTopic;
  } else if (text == "@offset") {
    s.kind = Kind::kOffset;
  } else if (text.starts_with("=")) {
    s.kind = Kind::kConstant;
    s.constant = std::string(text.substr(1));
  } else {
    s.kind = Kind::kPath;
    if (text == "$") return s;
    if (text.starts_with("$.")) text.remove_prefix(2);
    while (true) {
      const size_t dot = text.find('.');
      std::string_view segment = text.substr(0, dot);
      // "outputs[name=boxes]": the key, then the element of that list whose `name` is
      // "boxes" (kept as the step "[name=boxes]").
      if (const size_t open = segment.find('['); open != std::string_view::npos && open > 0) {
        s.path.emplace_back(segment.substr(0, open));
        segment.remove_prefix(open);
      }
      s.path.emplace_back(segment);
      if (dot == std::string_view::npos) break;
      text.remove_prefix(dot + 1);
    }
  }
  return s;
}

std::string_view FieldSource::first_key() const {
  return kind == Kind::kPath && !path.empty() ? std::string_view(path.front()) : "";
}

bool load_class_names(const std::string& file, std::map<int64_t, std::string>& names,
                      std::string& error) {
  names.clear();
  const std::string ext = std::filesystem::path(file).extension().string();
  if (ext == ".json") return load_coco_categories(file, names, error);
  std::vector<std::string> list;
  if (!load_yolo_names(file, list, error)) return false;
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].empty()) names[static_cast<int64_t>(i)] = std::move(list[i]);
  }
  if (names.empty()) {
    error = file + ": no class names in it";
    return false;
  }
  return true;
}

std::optional<EventMapping> resolve_mapping(const config::EventMappingSettings& s,
                                            std::string& error) {
  const Preset& p = preset(s.preset);
  EventMapping m;
  m.topic = s.topic;
  m.stream = source_or(s.stream, p.stream);
  m.frame_id = source_or(s.frame_id, p.frame_id);
  m.timestamp = source_or(s.timestamp, p.timestamp);
  m.image_width = source_or(s.image_width, "image.width");
  m.image_height = source_or(s.image_height, "image.height");
  m.image_uri = source_or(s.image_uri, "image.uri");
  m.model_name = source_or(s.model_name, p.model_name);
  m.model_version = source_or(s.model_version, p.model_version);
  m.layout = s.layout.value_or(p.layout);
  // Columns have no list of detections (a configured one is only a key the payload may hold).
  m.detections = source_or(s.detections, m.layout == DetectionLayout::kRows ? p.detections : "");
  m.class_name = source_or(s.class_name, p.class_name);
  m.class_id = source_or(s.class_id, p.class_id);
  m.confidence = source_or(s.confidence, p.confidence);
  m.box = source_or(s.box, p.box);
  m.timestamp_unit = s.timestamp_unit.value_or(config::TimestampUnit::kAuto);
  m.box_format = s.box_format.value_or(p.box_format);
  m.box_units = s.box_units.value_or(BoxUnits::kPixels);
  m.detection_extras = p.detection_extras;
  if (s.box_keys.size() == 4) {
    std::copy(s.box_keys.begin(), s.box_keys.end(), m.box_keys.begin());
  } else if (m.box_format == p.box_format) {
    std::copy(p.box_keys.begin(), p.box_keys.end(), m.box_keys.begin());
  } else {
    m.box_keys = format_keys(m.box_format);
  }
  if (s.class_names) {
    m.class_names_file = *s.class_names;
    if (!load_class_names(*s.class_names, m.class_names, error)) return std::nullopt;
  }
  if (m.class_name.kind == FieldSource::Kind::kNone &&
      m.class_id.kind == FieldSource::Kind::kNone) {
    error = "mapping of topic " + s.topic + ": neither class_name nor class_id is mapped";
    return std::nullopt;
  }
  return m;
}

}  // namespace predwatch::daemon
