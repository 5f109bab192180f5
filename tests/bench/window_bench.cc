// Window update throughput, pane rotation cost and state size (core/sliding_window.h).
//
// Frames are pre-generated: k objects per frame, classes uniform over C (the worst case for
// cache locality: with C = 1000 nearly every object is a different class, so a frame of 20
// objects touches ~190 co-occurrence cells scattered over a 2 MB pane), box sides uniform in
// [0.02, 0.3]. Event time advances 10 us per frame (100 k frames/s of event time), so with
// 1 s panes the time-window numbers include one pane rotation per 100 k frames.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "core/exemplars.h"
#include "core/sliding_window.h"
#include "core/stats.h"

namespace predwatch::core {
namespace {

// zipf = false: classes uniform over C. zipf = true: P(class k) ~ 1/(k+1), a long tail like
// real detection streams (COCO val2017: person alone is 30% of the boxes).
std::vector<Frame> make_frames(int objects, uint32_t classes, size_t count = 4096,
                               bool zipf = false) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> side(0.02f, 0.3f), pos(0.f, 0.7f), conf(0.25f, 1.f);
  std::vector<double> weights(classes);
  for (uint32_t k = 0; k < classes; ++k) weights[k] = zipf ? 1.0 / (k + 1) : 1.0;
  std::discrete_distribution<uint32_t> cls(weights.begin(), weights.end());
  std::vector<Frame> frames(count);
  for (size_t i = 0; i < count; ++i) {
    Frame& f = frames[i];
    f.frame_id = "frame-" + std::to_string(i);
    f.width = 640;
    f.height = 480;
    for (int j = 0; j < objects; ++j) {
      Detection d;
      d.class_id = cls(rng);
      const float x = pos(rng), y = pos(rng);
      d.box = {x, y, x + side(rng), y + side(rng)};
      d.confidence = conf(rng);
      f.detections.push_back(d);
    }
  }
  // Make sure every class exists from the start (steady state: tables fully grown).
  frames[0].detections[0].class_id = classes - 1;
  return frames;
}

constexpr int64_t kPaneMs = 1000, kPanes = 60, kFrameStepUs = 10;

void BM_TimeWindowAdd(benchmark::State& state) {
  const int objects = int(state.range(0));
  const uint32_t classes = uint32_t(state.range(1));
  std::vector<Frame> frames = make_frames(objects, classes, 4096, state.range(2) != 0);
  TimeWindow w(kPaneMs * kPanes, kPaneMs, 5000);
  int64_t t_us = 0;
  size_t i = 0;
  for (auto _ : state) {
    Frame& f = frames[i++ & (frames.size() - 1)];
    f.time_ms = t_us / 1000;  // only the time changes between reuses of a frame
    t_us += kFrameStepUs;
    benchmark::DoNotOptimize(w.add(f));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["frames/s"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["state_MB"] = double(w.bytes()) / 1e6;
  state.counters["rotations"] = double(w.rotations());
}
BENCHMARK(BM_TimeWindowAdd)
    ->ArgNames({"objects", "classes", "zipf"})
    ->Args({5, 80, 0})
    ->Args({20, 80, 0})
    ->Args({50, 80, 0})
    ->Args({5, 1000, 0})
    ->Args({20, 1000, 0})
    ->Args({50, 1000, 0})
    ->Args({20, 1000, 1})
    ->Args({50, 1000, 1});

void BM_CountWindowAdd(benchmark::State& state) {
  const int objects = int(state.range(0));
  const uint32_t classes = uint32_t(state.range(1));
  const std::vector<Frame> frames = make_frames(objects, classes);
  CountWindow w(10000);
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(w.add(frames[i++ & (frames.size() - 1)]));
  state.SetItemsProcessed(state.iterations());
  state.counters["frames/s"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["state_MB"] = double(w.bytes()) / 1e6;
}
BENCHMARK(BM_CountWindowAdd)
    ->ArgNames({"objects", "classes"})
    ->Args({5, 80})
    ->Args({20, 80})
    ->Args({20, 1000});

// One pane rotation of a 60-pane window whose panes are all grown to C classes.
void BM_PaneRotation(benchmark::State& state) {
  const uint32_t classes = uint32_t(state.range(0));
  const std::vector<Frame> frames = make_frames(20, classes, 256);
  TimeWindow w(kPaneMs * kPanes, kPaneMs, 0);
  int64_t now = 0;
  for (int p = 0; p < kPanes; ++p, now += kPaneMs) {
    for (Frame f : frames) {
      f.time_ms = now;
      w.add(f);
    }
  }
  for (auto _ : state) {
    now += kPaneMs;
    w.advance(now);
  }
  state.counters["state_MB"] = double(w.bytes()) / 1e6;
}
BENCHMARK(BM_PaneRotation)
    ->ArgNames({"classes"})
    ->Arg(80)
    ->Arg(1000)
    ->Unit(benchmark::kMicrosecond);

// totals(): materialising the window's Stats after a change.
void BM_TotalsAfterChange(benchmark::State& state) {
  const uint32_t classes = uint32_t(state.range(0));
  std::vector<Frame> frames = make_frames(20, classes, 256);
  TimeWindow w(kPaneMs * kPanes, kPaneMs, 0);
  for (int p = 0; p < kPanes; ++p)
    for (Frame& f : frames) {
      f.time_ms = p * kPaneMs;
      w.add(f);
    }
  for (auto _ : state) {
    w.add(frames[0]);
    benchmark::DoNotOptimize(w.totals().frames());
  }
}
BENCHMARK(BM_TotalsAfterChange)
    ->ArgNames({"classes"})
    ->Arg(80)
    ->Arg(1000)
    ->Unit(benchmark::kMicrosecond);

// ExemplarIndex::add per frame (a separate cost from the window update).
void BM_ExemplarAdd(benchmark::State& state) {
  const std::vector<Frame> frames = make_frames(int(state.range(0)), uint32_t(state.range(1)));
  ExemplarIndex x;
  size_t i = 0;
  for (auto _ : state) x.add(frames[i++ & (frames.size() - 1)]);
  state.counters["frames/s"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["state_MB"] = double(x.bytes()) / 1e6;
}
BENCHMARK(BM_ExemplarAdd)
    ->ArgNames({"objects", "classes"})
    ->Args({5, 80})
    ->Args({20, 80})
    ->Args({20, 1000});

}  // namespace
}  // namespace predwatch::core

BENCHMARK_MAIN();
