#include "daemon/demo/event_json.h"

#include <fmt/format.h>

#include "daemon/common/json_writer.h"

namespace predwatch::daemon {
namespace {

void append_string(std::string_view s, std::string& out) { out += json_quote(s); }

}  // namespace

void append_event_json(const core::Event& event, std::string& out) {
  out += "{\"frame_id\":";
  append_string(event.frame_id, out);
  out += ",\"stream\":";
  append_string(event.stream, out);
  if (!event.model_name.empty() || !event.model_version.empty()) {
    out += ",\"model\":{\"name\":";
    append_string(event.model_name, out);
    out += ",\"version\":";
    append_string(event.model_version, out);
    out += "}";
  }
  out += fmt::format(",\"timestamp_ms\":{}", event.time_ms);
  if (event.width > 0 && event.height > 0) {
    out += fmt::format(",\"image\":{{\"width\":{},\"height\":{}}}", event.width, event.height);
  }
  out += ",\"detections\":[";
  bool first = true;
  for (const core::NamedDetection& d : event.detections) {
    if (!first) out.push_back(',');
    first = false;
    out += "{\"class_name\":";
    append_string(d.class_name, out);
    if (d.class_index >= 0) out += fmt::format(",\"class_id\":{}", d.class_index);
    if (d.confidence != core::kNoConfidence) out += fmt::format(",\"confidence\":{}", d.confidence);
    // Shortest round-trip representation: the decoder gets back the same floats.
    out += fmt::format(
        ",\"box\":{{\"x_min\":{},\"y_min\":{},\"x_max\":{},\"y_max\":{},\"normalized\":true}}",
        d.box.x_min, d.box.y_min, d.box.x_max, d.box.y_max);
    if (d.mask_area != core::kNoMaskArea) out += fmt::format(",\"mask_area\":{}", d.mask_area);
    out += "}";
  }
  out += "]}";
}

}  // namespace predwatch::daemon
