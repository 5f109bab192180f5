// DemoScenario: what `predwatchd --demo` and `predwatch generate` play — real COCO val2017
// frames resampled by core::ScenarioGenerator, with four drift episodes after a quiet
// warm-up, and the matching baseline (the same annotations' statistics).
//
// Schedule (times from the start; defaults in DemoTiming):
//   warm-up                      quiet: the stream follows the baseline
//   1. novel pair giraffe+toilet  1% of frames become a giraffe-only frame plus a toilet box
//   2. count collapse chair=4     every frame with chairs gets exactly 4 chairs
//   3. spatial shift person->top  person boxes move into the top quarter of the image
//   4. vanished class car         every car box is dropped
// separated by quiet gaps at least one window long, so each alert fires and then resolves.
// Each episode names the alert it must raise (kind + subject) and the kinds it may also
// raise as side effects (a vanished class also changes the class mix and objects per
// frame); the demo smoke test checks exactly that.
//
// Thread-safety: plain functions and values.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/settings.h"
#include "core/scenario.h"
#include "daemon/baseline/baseline_file.h"

namespace predwatch::daemon {

struct DemoTiming {
  std::chrono::milliseconds warmup{30'000};
  std::chrono::milliseconds episode{75'000};  // > window + a few evaluations (vanish)
  std::chrono::milliseconds gap{75'000};      // quiet time after each episode
};

struct ScheduledEpisode {
  core::Episode episode;
  std::string expected_kind;              // the alert it must raise ("novel_pair", ...)
  std::string expected_subject;           // "giraffe|toilet", "chair", ...
  std::vector<std::string> side_effects;  // further kinds it may raise, any subject
};

// The four episodes, the first starting at start_ms + warmup.
std::vector<ScheduledEpisode> demo_schedule(int64_t start_ms, const DemoTiming& timing);

// The end of the last episode's quiet gap: when the whole schedule has played.
int64_t demo_schedule_end(const std::vector<ScheduledEpisode>& schedule, const DemoTiming& timing);

// The COCO instances file of tests/data/coco_val2017: `explicit_path` when given (a file or
// the folder holding it), else the first that exists of
//   <exe_dir>/../share/predwatch/coco_val2017/FILE   (an installed copy: the container image)
//   <d>/tests/data/coco_val2017/FILE                 for exe_dir and up to 3 of its parents
//                                                     (a build tree), then for `cwd`.
// Empty with `error` set when not found. The first form uses this executable's folder and
// the current directory.
std::filesystem::path find_demo_data(const std::filesystem::path& explicit_path,
                                     std::string& error);
std::filesystem::path find_demo_data(const std::filesystem::path& explicit_path,
                                     const std::filesystem::path& exe_dir,
                                     const std::filesystem::path& cwd, std::string& error);

// Frames of a COCO instances file, as the generator's pool.
std::optional<std::vector<core::PoolFrame>> load_pool(const std::filesystem::path& coco_file,
                                                      std::string& error);

// The baseline of the same file with `layout` (training annotations).
std::optional<v1::Baseline> build_demo_baseline(const std::filesystem::path& coco_file,
                                                const core::StatsLayout& layout,
                                                std::string& error);

}  // namespace predwatch::daemon
