#include "daemon/demo/demo_scenario.h"

#include <unistd.h>

#include "daemon/dataset/class_mapping.h"
#include "daemon/dataset/dataset_importer.h"

namespace predwatch::daemon {
namespace {

constexpr const char* kCocoFile = "instances_val2017_boxes.json";

std::filesystem::path executable_dir() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : p.parent_path();
}

}  // namespace

std::vector<ScheduledEpisode> demo_schedule(int64_t start_ms, const DemoTiming& timing) {
  const int64_t len = timing.episode.count();
  const int64_t step = len + timing.gap.count();
  int64_t t = start_ms + timing.warmup.count();
  std::vector<ScheduledEpisode> out;
  auto add = [&](core::Episode e, std::string kind, std::string subject,
                 std::vector<std::string> side) {
    e.start_ms = t;
    e.end_ms = t + len;
    t += step;
    out.push_back({std::move(e), std::move(kind), std::move(subject), std::move(side)});
  };
  {
    core::Episode e;
    e.kind = core::Episode::Kind::kInjectPair;
    e.a = "giraffe";
    e.b = "toilet";
    e.rate = 0.02;
    e.label = "novel pair giraffe+toilet";
    add(e, "novel_pair", "giraffe|toilet", {"pair_rate", "class_distribution"});
  }
  {
    core::Episode e;
    e.kind = core::Episode::Kind::kCollapseCount;
    e.a = "chair";
    e.count = 4;
    e.label = "count collapse: every frame with chairs has exactly 4";
    add(e, "objects_per_image", "chair",
        {"class_distribution", "objects_per_frame", "spatial", "box_size", "pair_rate"});
  }
  {
    // Persons, not a rarer class: a heatmap's sampling noise shrinks with the number of
    // frames showing the class, and the alert only resolves once the window's JS distance
    // falls below resolve_ratio x threshold (0.08). With cars (1 frame in 10) the noise of
    // a demo-sized window alone stays above that, so the alert would never resolve.
    core::Episode e;
    e.kind = core::Episode::Kind::kShiftRegion;
    e.a = "person";
    e.region = {0.0f, 0.0f, 1.0f, 0.25f};
    e.label = "spatial shift: persons in the top quarter";
    add(e, "spatial", "person", {"box_size"});
  }
  {
    core::Episode e;
    e.kind = core::Episode::Kind::kVanish;
    e.a = "car";
    e.label = "vanished class: car";
    add(e, "class_vanished", "car",
        {"class_distribution", "objects_per_frame", "pair_rate", "objects_per_image", "spatial",
         "box_size"});
  }
  return out;
}

int64_t demo_schedule_end(const std::vector<ScheduledEpisode>& schedule, const DemoTiming& timing) {
  return schedule.empty() ? 0 : schedule.back().episode.end_ms + timing.gap.count();
}

std::filesystem::path find_demo_data(const std::filesystem::path& explicit_path,
                                     std::string& error) {
  std::error_code ec;
  return find_demo_data(explicit_path, executable_dir(), std::filesystem::current_path(ec), error);
}

std::filesystem::path find_demo_data(const std::filesystem::path& explicit_path,
                                     const std::filesystem::path& exe_dir,
                                     const std::filesystem::path& cwd, std::string& error) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!explicit_path.empty()) {
    fs::path p = explicit_path;
    if (fs::is_directory(p, ec)) p /= kCocoFile;
    if (fs::is_regular_file(p, ec)) return p;
    error = "demo data: " + p.string() + " does not exist (expected the COCO file " +
            std::string(kCocoFile) + " or its folder)";
    return {};
  }
  if (!exe_dir.empty()) {
    const fs::path installed =
        exe_dir.parent_path() / "share" / "predwatch" / "coco_val2017" / kCocoFile;
    if (fs::is_regular_file(installed, ec)) return installed;
  }
  std::vector<fs::path> roots;
  for (fs::path d = exe_dir; !d.empty() && roots.size() < 4; d = d.parent_path()) {
    roots.push_back(d);
    if (d == d.parent_path()) break;
  }
  if (!cwd.empty()) roots.push_back(cwd);
  for (const fs::path& r : roots) {
    fs::path p = r / "tests" / "data" / "coco_val2017" / kCocoFile;
    if (fs::is_regular_file(p, ec)) return p;
  }
  error = "demo data: " + std::string(kCocoFile) + " not found in " +
          (exe_dir.parent_path() / "share" / "predwatch" / "coco_val2017").string() +
          ", nor in tests/data/coco_val2017 near the executable or the current directory; "
          "pass --data";
  return {};
}

std::optional<std::vector<core::PoolFrame>> load_pool(const std::filesystem::path& coco_file,
                                                      std::string& error) {
  auto importer = make_importer("coco");
  std::vector<core::PoolFrame> pool;
  ImportOptions options;
  ImportResult r = importer->import(coco_file, options, [&](const core::Event& e) {
    core::PoolFrame f;
    f.frame_id = std::string(e.frame_id);
    f.width = e.width;
    f.height = e.height;
    for (const auto& d : e.detections) {
      f.detections.push_back({std::string(d.class_name), d.confidence, d.box});
    }
    pool.push_back(std::move(f));
  });
  if (!r.ok()) {
    error = r.error;
    return std::nullopt;
  }
  if (pool.empty()) {
    error = coco_file.string() + ": no frames";
    return std::nullopt;
  }
  return pool;
}

std::optional<v1::Baseline> build_demo_baseline(const std::filesystem::path& coco_file,
                                                const core::StatsLayout& layout,
                                                std::string& error) {
  DatasetBuild build;
  ClassMapping identity;
  if (std::string err =
          build_dataset_stats(coco_file, "coco", ImportOptions{}, identity, layout, build);
      !err.empty()) {
    error = err;
    return std::nullopt;
  }
  v1::Baseline proto =
      make_baseline(build.stats, build.class_names, core::BaselineKind::kTrainingAnnotations);
  proto.mutable_dataset()->set_format("coco");
  proto.mutable_dataset()->set_path(coco_file.string());
  return proto;
}

}  // namespace predwatch::daemon
