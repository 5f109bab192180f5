// The COCO val2017 annotations of tests/data as a generator pool and as the baseline of the
// same frames, for tests (tests/support/coco_scenario.h wraps it with gtest assertions) and
// benchmarks (no gtest there).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/class_registry.h"
#include "core/scenario.h"
#include "core/stats.h"
#include "daemon/baseline/baseline_file.h"
#include "daemon/dataset/dataset_importer.h"

namespace predwatch::testing {

// Fills `pool` with the frames of a COCO instances file and writes the baseline of the same
// annotations (training kind, default layout) to `baseline_file`. "" or the error.
inline std::string load_coco_pool_and_baseline(const std::filesystem::path& coco_file,
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
  if (!imported.ok()) return imported.error;
  return daemon::save_baseline(
      baseline_file,
      daemon::make_baseline(stats, registry.names(), core::BaselineKind::kTrainingAnnotations));
}

}  // namespace predwatch::testing
