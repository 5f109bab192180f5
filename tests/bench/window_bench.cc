// Window update throughput, pane rotation cost and state size (core/sliding_window.h).
//
// Frames are pre-generated: k objects per frame, classes uniform over C (the worst case for
// cache locality: with C = 1000 nearly every object is a different class, so a frame of 20
// objects touches ~190 co-occurrence cells scattered over a 2 MB pane), box sides uniform in
// [0.02, 0.3]. Event time advances 10 us per frame (100 k frames/s of event time), so with
// 1 s panes the time-window numbers include one pane rotation per 100 k frames.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/class_registry.h"
#include "core/event.h"
#include "core/exemplars.h"
#include "core/sliding_window.h"
#include "core/stats.h"
#include "daemon/ingest/json_event_decoder.h"

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

// The element type of Window::parts()'s vector (PartData before packed parts, PackedPart
// after), so that this file builds against either to compare them.
template <class Part>
const Part* parts_element_of(void (Window::*)(std::vector<const Part*>&) const);
using PartElement = decltype(parts_element_of(&Window::parts));

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

// Memory per stream on a real stream: the frames of $PREDWATCH_BENCH_STREAM (JSON lines as
// the replay command reads them, e.g. COCO val2017 predictions, C = 80; default
// /tmp/perf/s30k.jsonl), cycled to 40,000 frames at 10 fps (4,000 s: the 1 h window full),
// through the default windows of config/predwatch.example.yaml (5m: 30 panes of 10 s,
// lateness 10 s; 1h: 60 panes of 1 min, lateness 1 min; last10k: 10,000 frames in 16
// blocks), each frame digested once as the stream does. Every 10 s (the default evaluation
// interval) the windows' totals() and parts() are read as the engine does. Reports each
// window's bytes() at the end (KB) and their sum (MB); skipped without the file.
void BM_StreamMemory(benchmark::State& state) {
  const char* env = std::getenv("PREDWATCH_BENCH_STREAM");
  std::ifstream in(env ? env : "/tmp/perf/s30k.jsonl");
  if (!in) {
    state.SkipWithError("no stream file (set PREDWATCH_BENCH_STREAM)");
    return;
  }
  std::vector<Frame> frames;
  ClassRegistry classes(1000);
  daemon::JsonEventDecoder decoder;
  Event e;
  for (std::string line; std::getline(in, line);) {
    e.clear();
    if (!decoder.decode(line, e).ok()) continue;
    Frame& f = frames.emplace_back();
    for (const NamedDetection& d : e.detections) {
      Detection det;
      det.class_id = classes.resolve(d.class_name);
      det.box = d.box;
      det.confidence = d.confidence;
      f.detections.push_back(det);
    }
  }
  constexpr size_t kFrames = 40'000;
  for (auto _ : state) {
    TimeWindow w5m(300'000, 10'000, 10'000), w1h(3'600'000, 60'000, 60'000);
    CountWindow last10k(10'000);
    Window* windows[] = {&w5m, &w1h, &last10k};
    FrameDigester digester;
    FrameDigest digest;
    // Before the compact ring (85487a2): a copy of last10k's ring of digests, for its share.
    std::vector<FrameDigest> ring(10'000);
    std::vector<PartElement> parts;
    for (size_t i = 0; i < kFrames; ++i) {
      const int64_t t = int64_t(i) * 100;
      digester.digest(frames[i % frames.size()], StatsLayout{}, digest);
      for (Window* w : windows) {
        w->advance(t);
        w->add_digest(t, digest);
      }
      ring[i % ring.size()] = digest;
      if (i % 100 == 99) {
        for (Window* w : windows) {
          benchmark::DoNotOptimize(w->totals().frames());
          w->parts(parts);
          benchmark::DoNotOptimize(parts.data());
        }
      }
    }
    state.counters["classes"] = double(w5m.totals().num_classes());
    state.counters["5m_KB"] = double(w5m.bytes()) / 1e3;
    state.counters["1h_KB"] = double(w1h.bytes()) / 1e3;
    state.counters["last10k_KB"] = double(last10k.bytes()) / 1e3;
    state.counters["stream_MB"] = double(w5m.bytes() + w1h.bytes() + last10k.bytes()) / 1e6;
#if !__has_include("core/packed_part.h")
    size_t ring_bytes = ring.capacity() * sizeof(FrameDigest);
    for (const FrameDigest& g : ring) {
      ring_bytes += g.objects.capacity() * sizeof(FrameDigest::Object) +
                    g.classes.capacity() * sizeof(FrameDigest::Class);
    }
    state.counters["ring_KB"] = double(ring_bytes) / 1e3;
#else
    state.counters["ring_KB"] = double(last10k.ring_bytes()) / 1e3;
    // Mean bytes of a packed pane / block (the parts other than the dense one).
    const char* names[] = {"5m_part_KB", "1h_part_KB", "last10k_part_KB"};
    for (size_t k = 0; k < 3; ++k) {
      windows[k]->parts(parts);
      size_t sum = 0;
      for (const PackedPart* p : parts) sum += p->bytes() + sizeof(PackedPart);
      state.counters[names[k]] = double(sum) / double(parts.size()) / 1e3;
    }
#endif
    // A dense part and an int64 copy of the tables (closed, view, count totals) at this C.
    PartData dense;
    dense.init();
    dense.grow(w5m.totals().num_classes());
    Stats sums;
    sums.reserve_classes(w5m.totals().num_classes());
    state.counters["dense_part_KB"] = double(dense.bytes()) / 1e3;
    state.counters["int64_copy_KB"] = double(sums.bytes()) / 1e3;
  }
  state.counters["frames/s"] =
      benchmark::Counter(double(kFrames) * double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StreamMemory)->Iterations(1)->Unit(benchmark::kMillisecond);

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

// ExemplarIndex memory of one stream with the default windows' horizon (1 h + a 1 min
// pane, 10,000 frames: core/exemplars.h) after 40,000 frames at 10 fps (the ring holds
// ~36,600), 5 objects per frame at C = 80. Arg: 0 = COCO-like file names as ids
// ("000000397133.jpg", 16 bytes) without image URI; 1 = a camera's ids and URIs
// ("cam-17/2026-12-08T01:44:14.100Z", 31 bytes; "s3://predwatch-frames/cam-17/2026/12/08/
// 000123.jpg", ~50 bytes). Reports state_MB (ExemplarIndex::bytes()).
void BM_ExemplarMemory(benchmark::State& state) {
  const std::vector<Frame> shapes = make_frames(5, 80);
  const bool camera = state.range(0) != 0;
  ExemplarConfig cfg;
  cfg.horizon_ms = 3'660'000;
  cfg.horizon_frames = 10'000;
  for (auto _ : state) {
    ExemplarIndex x({}, cfg);
    Frame f;
    for (int n = 0; n < 40'000; ++n) {
      f = shapes[size_t(n) & (shapes.size() - 1)];
      f.time_ms = int64_t(n) * 100;
      char id[64], uri[96];
      if (camera) {
        std::snprintf(id, sizeof id, "cam-17/2026-12-08T%02d:%02d:%02d.%03dZ", n / 36000,
                      n / 600 % 60, n / 10 % 60, n % 10 * 100);
        std::snprintf(uri, sizeof uri, "s3://predwatch-frames/cam-17/2026/12/08/%06d.jpg", n);
      } else {
        std::snprintf(id, sizeof id, "%012d.jpg", 397133 + n);
        uri[0] = 0;
      }
      f.frame_id = id;
      f.image_uri = uri;
      x.add(f);
    }
    state.counters["state_MB"] = double(x.bytes()) / 1e6;
  }
}
BENCHMARK(BM_ExemplarMemory)->ArgNames({"camera_ids"})->Arg(0)->Arg(1)->Iterations(1);

// FrameDigester::digest of one frame of n nested boxes of one class (the worst case of the
// per-class union area): up to FrameDigester::kSlabBoxes boxes the slab bitmasks, above it
// union_area_swept. layout: the default one.
void BM_DigestNestedBoxes(benchmark::State& state) {
  const int n = int(state.range(0));
  Frame f;
  for (int i = 0; i < n; ++i) {
    const float r = i == n - 1 ? 0.5f : 0.5f * float(i + 1) / float(n);
    Detection d;
    d.class_id = 0;
    d.box = {0.5f - r, 0.5f - r, 0.5f + r, 0.5f + r};
    d.confidence = 0.5f;
    f.detections.push_back(d);
  }
  const StatsLayout layout;
  FrameDigester digester;
  FrameDigest digest;
  for (auto _ : state) {
    digester.digest(f, layout, digest);
    benchmark::DoNotOptimize(digest.classes.data());
  }
  state.counters["boxes/s"] =
      benchmark::Counter(double(state.iterations()) * n, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DigestNestedBoxes)
    ->ArgName("boxes")
    ->Arg(16)
    ->Arg(64)
    ->Arg(65)
    ->Arg(256)
    ->Arg(4096)
    ->Arg(100000);

}  // namespace
}  // namespace predwatch::core

BENCHMARK_MAIN();
