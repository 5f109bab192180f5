// Test helpers for the query API and metrics tests: a synthetic frame pool, a MonitorEngine
// with a time window and a count window, traffic from core::ScenarioGenerator recorded
// frame by frame (so tests recompute statistics independently), and a baseline snapshot of
// a reference stream fed from the same pool.
//
// Pool: `classes` classes named "k00", "k01", ...; class frequencies fall off as 1/(rank+1).
// Two extra classes make a pair the baseline never shows: "giraffe" appears only alone,
// "toilet" only next to other classes; an kInjectPair episode (giraffe + toilet) is then a
// novel pair. Header-only (also used by the predwatch_test_server binary).
#pragma once

#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/scenario.h"
#include "daemon/baseline/baseline_file.h"
#include "daemon/engine/monitor_engine.h"

namespace predwatch::testing {

struct RecordedFrame {
  std::string id;
  int64_t time_ms = 0;
  std::vector<std::pair<std::string, core::Box>> detections;
};

inline std::vector<core::PoolFrame> make_pool(int classes, uint64_t seed, size_t frames = 600) {
  std::mt19937_64 rng(seed);
  std::vector<double> weights;
  for (int r = 0; r < classes; ++r) weights.push_back(1.0 / (r + 1));
  std::discrete_distribution<int> pick(weights.begin(), weights.end());
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  auto box = [&]() {
    const float w = 0.05f + 0.3f * u(rng), h = 0.05f + 0.3f * u(rng);
    const float x = (1.0f - w) * u(rng), y = (1.0f - h) * u(rng);
    return core::Box{x, y, x + w, y + h};
  };
  auto name = [](int c) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "k%02d", c);
    return std::string(buf);
  };
  std::vector<core::PoolFrame> pool;
  for (size_t i = 0; i < frames; ++i) {
    core::PoolFrame f{"p" + std::to_string(i), 640, 480, {}};
    const int k = 1 + int(i % 5);
    for (int j = 0; j < k; ++j) {
      f.detections.push_back({name(pick(rng)), 0.3f + 0.7f * u(rng), box()});
    }
    if (i % 10 == 3) f.detections.push_back({"toilet", 0.8f, box()});  // never alone
    if (i % 25 == 7) f.detections = {{"giraffe", 0.9f, box()}};        // always alone
    pool.push_back(std::move(f));
  }
  // Every class at least once, so the registry knows all of them.
  for (int c = 0; c < classes; ++c) {  // frames i % 25 == 1: never a giraffe frame
    pool[(25 * size_t(c) + 1) % frames].detections.push_back({name(c), 0.5f, box()});
  }
  return pool;
}

inline daemon::EngineOptions engine_options() {
  daemon::EngineOptions o;
  core::WindowSpec t;
  t.name = "5m";
  t.type = core::WindowSpec::Type::kTime;
  t.length_ms = 300'000;
  t.pane_ms = 10'000;
  t.allowed_lateness_ms = 30'000;
  core::WindowSpec c;
  c.name = "last2k";
  c.type = core::WindowSpec::Type::kCount;
  c.frames = 2000;
  o.stream.windows = {t, c};
  o.alerting.for_evaluations = 1;
  o.alerting.resolve_evaluations = 1;
  // Keys starting with "x-" are not configured (rejected as unknown_stream).
  o.stream_config = [](std::string_view s) -> std::optional<daemon::StreamConfig> {
    if (s.substr(0, 2) == "x-") return std::nullopt;
    return daemon::StreamConfig{};
  };
  return o;
}

// An engine with stream "ref" (the baseline's source) and stream "cam" (compared with the
// baseline). Time starts at kT0 and advances 100 ms per frame.
struct TrafficEnv {
  static constexpr int64_t kT0 = 1'700'000'000'000;

  std::vector<core::PoolFrame> pool;
  std::unique_ptr<daemon::MonitorEngine> engine;
  std::unique_ptr<core::ScenarioGenerator> cam;
  std::vector<RecordedFrame> cam_frames;
  int64_t now_ms = kT0;
  v1::Baseline baseline;
  bool record = true;  // keep every fed frame in cam_frames

  explicit TrafficEnv(int classes = 8, size_t warmup = 3000,
                      daemon::EngineOptions options = engine_options())
      : pool(make_pool(classes, 7)) {
    engine = std::make_unique<daemon::MonitorEngine>(std::move(options));
    core::ScenarioGenerator ref(pool, "ref", 1);
    for (size_t i = 0; i < 4000; ++i) engine->apply(ref.next(kT0 + int64_t(i) * 100));
    std::string error;
    auto b = engine->snapshot_baseline("ref", "last2k", false, error);
    if (!b) std::abort();
    baseline = *b;
    auto loaded = daemon::baseline_from_proto(baseline, error);
    if (!loaded || !engine->set_baseline("cam", std::move(*loaded)).empty()) std::abort();
    cam = std::make_unique<core::ScenarioGenerator>(pool, "cam", 2);
    feed(warmup);
  }

  // Feeds n frames of "cam" at 100 ms spacing and records them.
  void feed(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      const core::Event& e = cam->next(now_ms);
      RecordedFrame r{std::string(e.frame_id), e.time_ms, {}};
      for (const auto& d : e.detections) r.detections.push_back({std::string(d.class_name), d.box});
      if (record) cam_frames.push_back(std::move(r));
      engine->apply(e);
      now_ms += 100;
    }
  }

  // giraffe + toilet (a pair the baseline never shows) on 30% of the next 2,000 frames of
  // "cam", fed, then one evaluation: a novel_pair alert fires. "" or add_episode's error.
  std::string inject_novel_pair() {
    core::Episode e;
    e.kind = core::Episode::Kind::kInjectPair;
    e.a = "giraffe";
    e.b = "toilet";
    e.rate = 0.3;
    e.start_ms = now_ms;
    e.end_ms = now_ms + 200'000;
    if (std::string error = cam->add_episode(e); !error.empty()) return error;
    feed(2000);
    engine->evaluate(now_ms);
    return "";
  }

  // The last n recorded frames of "cam".
  std::vector<const RecordedFrame*> last(size_t n) const {
    std::vector<const RecordedFrame*> out;
    for (size_t i = cam_frames.size() > n ? cam_frames.size() - n : 0; i < cam_frames.size(); ++i)
      out.push_back(&cam_frames[i]);
    return out;
  }
};

}  // namespace predwatch::testing
