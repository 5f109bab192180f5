// FrameBuilder: turns a decoded Event (classes by name) into a Frame (dense ClassIds) for
// one stream: applies the stream's class map, names index-only detections, and resolves
// names through the stream's ClassRegistry. Used by live streams (StreamMonitor) and by
// baseline builds alike, so both see classes the same way.
//
// Not thread-safe; holds a scratch string so that steady state does not allocate.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/class_registry.h"
#include "core/event.h"
#include "core/frame.h"

namespace predwatch::core {

struct ClassNaming {
  // Dataset/model name -> name used by the stream; an empty value drops the class.
  absl::flat_hash_map<std::string, std::string> class_map;
  // The model's class list, naming detections that carry only a class index; without it
  // such a detection is named "#<index>".
  std::vector<std::string> index_names;
};

// The name detection `d` is counted under: its class name, or its index through
// naming.index_names ("#<index>" beyond them, written into `scratch`), then through
// naming.class_map; nullopt when the class map drops it (maps it to "").
std::optional<std::string_view> counted_name(const ClassNaming& naming, const NamedDetection& d,
                                             std::string& scratch);

class FrameBuilder {
 public:
  // REQUIRES: naming and registry outlive the builder.
  FrameBuilder(const ClassNaming& naming, ClassRegistry& registry)
      : naming_(naming), registry_(registry) {}

  // Fills `out` from `event`; returns how many detections the class map dropped.
  uint32_t build(const Event& event, Frame& out);

 private:
  const ClassNaming& naming_;
  ClassRegistry& registry_;
  std::string scratch_;
};

}  // namespace predwatch::core
