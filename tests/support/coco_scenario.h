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

#include "core/class_registry.h"
#include "core/scenario.h"
#include "core/stats.h"
#include "daemon/baseline/baseline_file.h"
#include "daemon/dataset/dataset_importer.h"

namespace predwatch::testing {

// Fills `pool` with the frames of a COCO instances file and writes the baseline of the same
// annotations (training kind, default layout) to `baseline_file`. Fails the test on error.
inline void LoadCocoPoolAndBaseline(const std::filesystem::path& coco_file,
                                    const std::filesystem::path& baseline_file,
                                    std::vector<core::PoolFrame>& pool) {
  core::ClassRegistry registry(1000);
  core::Stats stats;
  core::Frame frame;
  const daemon::ImportResult imported =
      daemon::make_importer("coco")->import(coco_file, {}, [&](const core::Event& e) {
        core::PoolFrame p;
        p.frame_id = std::string(e.frame_id);
        frame.clear();
        for (const core::NamedDetection& d : e.detections) {
          p.detections.push_back({std::string(d.class_name), d.confidence, d.box});
          frame.detections.push_back({registry.resolve(d.class_name), d.confidence, d.box, -1});
        }
        stats.add(frame);
        pool.push_back(std::move(p));
      });
  ASSERT_TRUE(imported.ok()) << imported.error;
  ASSERT_EQ(daemon::save_baseline(baseline_file,
                                  daemon::make_baseline(stats, registry.names(),
                                                        core::BaselineKind::kTrainingAnnotations)),
            "");
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
