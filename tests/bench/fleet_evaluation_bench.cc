// What drift evaluation of a fleet costs (issue 13, goal 4: 10,000 streams x 3 windows every
// 10 s in < 10 % of one core). One MonitorEngine built as predwatchd builds it
// (daemon/app/engine_config.h from default Settings: windows 5m / 1h / last10k, drift every
// 10 s, judgments_per_window 30, min_window_fill 1), every stream ("*" entry) judged against
// the COCO val2017 baseline of tests/data; S streams of shuffled COCO frames at 10 fps
// (core::ScenarioGenerator, one seed per stream), filled for 3,700 s of event time so that
// every window is full and judged.
//
// One iteration is one evaluation period: 10 s of events for every stream (100 frames each,
// not timed), then one evaluate(now) (timed, process CPU time). Counters:
//   cpu_ms_per_stream  CPU time of evaluate() per stream and period
//   share_10k_streams  the share of one core 10,000 such streams would need
//                      (cpu_ms_per_stream * 10,000 / 10,000 ms)
//   judged_per_stream  (stream, window) judgments per stream and period (the 5m window each
//                      time; 1h every 2 min; last10k every 333 frames)
//   state_MB_per_stream  the engine's measure of the streams' state (windows, exemplars,
//                      learned reference; StreamMonitor::bytes) per stream
// Arg 0 = active streams; Arg 1 = 1 for an idle period (no new events: what an evaluation
// of streams that went quiet costs).
//
//   build/tests/bench/fleet_evaluation_bench --benchmark_min_time=1
#include <benchmark/benchmark.h>
#include <time.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config/settings.h"
#include "core/scenario.h"
#include "daemon/app/engine_config.h"
#include "daemon/engine/monitor_engine.h"
#include "tests/support/coco_pool.h"

namespace {

using namespace predwatch;

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kFrameMs = 100;     // 10 fps
constexpr int64_t kPeriodMs = 10000;  // drift.evaluation_interval's default
constexpr int64_t kFillMs = 3'700'000;

double process_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct Fleet {
  std::vector<core::PoolFrame> pool;
  std::unique_ptr<daemon::MonitorEngine> engine;
  std::vector<std::unique_ptr<core::ScenarioGenerator>> streams;
  int64_t now = kT0;

  explicit Fleet(int count) {
    const std::filesystem::path file =
        std::filesystem::temp_directory_path() / "fleet_evaluation_bench_coco.pwb";
    const std::string loaded = testing::load_coco_pool_and_baseline(
        std::filesystem::path(PREDWATCH_TEST_DATA) / "coco_val2017/instances_val2017_boxes.json",
        file, pool);
    if (!loaded.empty()) {
      std::fprintf(stderr, "%s\n", loaded.c_str());
      std::exit(1);
    }
    config::Settings settings;
    settings.streams.max_memory = 0;
    settings.streams.entries.push_back({.key = "*", .baseline = file.string()});
    std::string error;
    auto engine_config = daemon::make_engine_config(settings, error);
    std::filesystem::remove(file);
    if (!engine_config) {
      std::fprintf(stderr, "%s\n", error.c_str());
      std::exit(1);
    }
    engine = std::make_unique<daemon::MonitorEngine>(std::move(engine_config->options));
    for (int i = 0; i < count; ++i) {
      streams.push_back(
          std::make_unique<core::ScenarioGenerator>(pool, "cam-" + std::to_string(i), i + 1));
    }
    // Fill every window, evaluating every 10 minutes of event time on the way (the windows'
    // judgment bookkeeping starts; cheaper than every 10 s).
    while (now < kT0 + kFillMs) {
      advance(kPeriodMs);
      if ((now - kT0) % 600'000 == 0) engine->evaluate(now);
    }
    engine->evaluate(now);
  }

  // `ms` of events for every stream, frame by frame across streams.
  void advance(int64_t ms) {
    for (int64_t t = now; t < now + ms; t += kFrameMs) {
      for (auto& s : streams) engine->apply(s->next(t));
    }
    now += ms;
  }
};

void BM_FleetEvaluation(benchmark::State& state) {
  const int count = int(state.range(0));
  const bool idle = state.range(1) != 0;
  // Built once per stream count and never freed: tearing down GBs of windows at exit would
  // only lengthen the run (and a profile of it).
  static Fleet* fleet = nullptr;
  if (!fleet || fleet->streams.size() != size_t(count)) {
    delete fleet;
    fleet = new Fleet(count);
  }
  double cpu_ms = 0;
  uint64_t judged = 0, periods = 0;
  for (auto _ : state) {
    if (idle) {
      fleet->now += kPeriodMs;
    } else {
      fleet->advance(kPeriodMs);
    }
    const double c0 = process_cpu_ms();
    const daemon::EvaluationSummary summary = fleet->engine->evaluate(fleet->now);
    const double c1 = process_cpu_ms();
    state.SetIterationTime((c1 - c0) / 1e3);
    cpu_ms += c1 - c0;
    judged += summary.judgments;
    ++periods;
  }
  const double per_stream = cpu_ms / double(periods) / count;
  state.counters["cpu_ms_per_stream"] = per_stream;
  state.counters["share_10k_streams"] = per_stream * 10000 / double(kPeriodMs);
  state.counters["judged_per_stream"] = double(judged) / double(periods) / count;
  state.counters["state_MB_per_stream"] =
      double(fleet->engine->counters().state_bytes) / 1e6 / count;
}
BENCHMARK(BM_FleetEvaluation)
    ->ArgsProduct({{100}, {0, 1}})
    ->ArgNames({"streams", "idle"})
    ->Iterations(36)  // six minutes of event time: three judgments of the 1h window
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
