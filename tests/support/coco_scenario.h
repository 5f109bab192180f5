// Recorded-traffic helpers shared by the replay tests and the replay/predwatchd parity test:
// the COCO val2017 annotations of tests/data as a generator pool and as the baseline of the
// same frames, and one PredictionEvent as a JSON line (the producers' format).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "core/event.h"
#include "tests/support/coco_pool.h"

namespace predwatch::testing {

// load_coco_pool_and_baseline (tests/support/coco_pool.h), failing the test on error.
inline void LoadCocoPoolAndBaseline(const std::filesystem::path& coco_file,
                                    const std::filesystem::path& baseline_file,
                                    std::vector<core::PoolFrame>& pool) {
  ASSERT_EQ(load_coco_pool_and_baseline(coco_file, baseline_file, pool), "");
}

// One event as a JSON line of proto/predwatch/v1/event.proto's JSON mapping.
inline std::string EventJson(const core::Event& e) {
  std::string out = "{\"frame_id\":\"" + std::string(e.frame_id) + "\",\"stream\":\"" +
                    std::string(e.stream) + "\",\"timestamp_ms\":" + std::to_string(e.time_ms) +
                    ",\"detections\":[";
  char buf[256];
  for (size_t i = 0; i < e.detections.size(); ++i) {
    const core::NamedDetection& d = e.detections[i];
    std::snprintf(buf, sizeof buf,
                  "%s{\"class_name\":\"%.*s\",\"confidence\":%.6g,\"box\":{\"x_min\":%.7g,"
                  "\"y_min\":%.7g,\"x_max\":%.7g,\"y_max\":%.7g,\"normalized\":true}}",
                  i ? "," : "", int(d.class_name.size()), d.class_name.data(), d.confidence,
                  d.box.x_min, d.box.y_min, d.box.x_max, d.box.y_max);
    out += buf;
  }
  return out + "]}";
}

}  // namespace predwatch::testing
