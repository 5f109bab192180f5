#include "core/frame_builder.h"

namespace predwatch::core {

std::optional<std::string_view> counted_name(const ClassNaming& naming, const NamedDetection& d,
                                             std::string& scratch) {
  std::string_view name = d.class_name;
  if (name.empty() && d.class_index >= 0) {
    if (size_t(d.class_index) < naming.index_names.size()) {
      name = naming.index_names[size_t(d.class_index)];
    } else {
      scratch = "#" + std::to_string(d.class_index);
      name = scratch;
    }
  }
  if (!naming.class_map.empty()) {
    if (auto it = naming.class_map.find(absl::string_view(name.data(), name.size()));
        it != naming.class_map.end()) {
      if (it->second.empty()) return std::nullopt;
      name = it->second;
    }
  }
  return name;
}

uint32_t FrameBuilder::build(const Event& event, Frame& out) {
  out.frame_id.assign(event.frame_id.data(), event.frame_id.size());
  out.image_uri.assign(event.image_uri.data(), event.image_uri.size());
  out.time_ms = event.time_ms;
  out.width = event.width;
  out.height = event.height;
  out.detections.clear();
  uint32_t dropped = 0;
  for (const NamedDetection& d : event.detections) {
    const std::optional<std::string_view> name = counted_name(naming_, d, scratch_);
    if (!name) {
      ++dropped;
      continue;
    }
    Detection det;
    det.class_id = registry_.resolve(*name);
    det.confidence = d.confidence;
    det.box = d.box;
    det.mask_area = d.mask_area;
    out.detections.push_back(det);
  }
  return dropped;
}

}  // namespace predwatch::core
