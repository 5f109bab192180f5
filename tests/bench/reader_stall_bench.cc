// Does a large read stall ingestion? (issue 13, goal 5.) One MonitorEngine stream of C
// classes (the synthetic pool of tests/support/traffic_env.h, 1000 frames in its windows);
// each iteration applies one event and times that apply() alone. With a reader, a thread
// asks as fast as it can, the way a dashboard or notebook pulling window statistics does:
// reader 1, GetWindowStats for the whole window (every section, the dense C x C matrix);
// reader 2, GetDrift for every finding of the stream's windows (the stream judged against a
// snapshot of itself). The engine's lock serialises reader and ingestion, so every
// microsecond a read holds it is a microsecond an event waits. Counters: the apply
// latency's p50, p99 and maximum, and the reads done per second.
//
//   build/tests/bench/reader_stall_bench --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "daemon/api/monitor_queries.h"
#include "tests/support/traffic_env.h"

namespace {

using namespace predwatch;
using Clock = std::chrono::steady_clock;

void BM_ApplyWhileReading(benchmark::State& state) {
  const int classes = int(state.range(0));
  const int reader = int(state.range(1));
  auto pool = testing::make_pool(classes, 7, 4000);
  daemon::MonitorEngine engine(testing::engine_options());
  core::ScenarioGenerator gen(pool, "cam", 1);
  int64_t t = testing::TrafficEnv::kT0;
  for (int i = 0; i < 1000; ++i, t += 100) engine.apply(gen.next(t));
  if (reader == 2) {
    std::string error;
    if (!engine.snapshot_baseline("cam", "last2k", true, error)) {
      state.SkipWithError(error.c_str());
      return;
    }
    engine.evaluate(t);
  }

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0};
  std::thread r;
  if (reader == 1) {
    r = std::thread([&] {
      v1::GetWindowStatsRequest req;
      req.set_stream("cam");
      req.set_window("last2k");
      req.set_dense_cooccurrence(true);
      while (!stop) {
        v1::GetWindowStatsResponse resp;
        daemon::query_window_stats(engine, true, req, &resp);
        benchmark::DoNotOptimize(resp);
        ++reads;
      }
    });
  } else if (reader == 2) {
    r = std::thread([&] {
      v1::GetDriftRequest req;
      req.set_stream("cam");
      while (!stop) {
        v1::GetDriftResponse resp;
        daemon::query_drift(engine, true, req, &resp);
        benchmark::DoNotOptimize(resp);
        ++reads;
      }
    });
  }
  std::vector<double> us;
  us.reserve(1 << 20);
  const auto start = Clock::now();
  for (auto _ : state) {
    const core::Event& e = gen.next(t);
    t += 100;
    const auto a = Clock::now();
    engine.apply(e);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  stop = true;
  if (r.joinable()) r.join();
  std::sort(us.begin(), us.end());
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  state.counters["max_us"] = us.back();
  state.counters["reads_per_s"] = double(reads) / seconds;
}
BENCHMARK(BM_ApplyWhileReading)
    ->ArgsProduct({{80, 1000}, {0, 1, 2}})
    ->ArgNames({"classes", "reader"})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
