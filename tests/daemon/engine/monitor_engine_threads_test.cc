// MonitorEngine from several threads at once, the way predwatchd uses it: the Kafka consumer
// applies events and rebalances, the evaluation thread evaluates (and delivers transitions to
// listeners), readers (gRPC, web, metrics scrapes) copy snapshots, control calls install and
// snapshot baselines and pin references. In the normal build this checks that the counters
// add up; under ThreadSanitizer (build-tsan, docs/SANITIZERS.md) it is the engine's race test.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "daemon/engine/monitor_engine.h"

namespace predwatch::daemon {
namespace {

core::NamedDetection detection(std::string_view name, float x) {
  core::NamedDetection d;
  d.class_name = name;
  d.confidence = 0.9f;
  d.box = {x, 0.2f, x + 0.1f, 0.4f};
  return d;
}

// core::Event holds views: `id` must outlive the event.
core::Event frame(std::string_view stream, std::string_view id, int i, int64_t t, bool drifted) {
  core::Event e;
  e.stream = stream;
  e.frame_id = id;
  e.time_ms = t;
  e.width = 100;
  e.height = 100;
  const float x = 0.05f + 0.05f * float(i % 8) + (drifted ? 0.45f : 0.f);
  e.detections = {detection("cat", x)};
  if (!drifted) e.detections.push_back(detection("dog", x));
  return e;
}

EngineOptions threaded_options() {
  EngineOptions o;
  o.stream.windows = {{"1m", core::WindowSpec::Type::kTime, 60'000, 1'000, 5'000, 0}};
  o.stream_config = [](std::string_view) -> std::optional<StreamConfig> { return StreamConfig{}; };
  o.max_streams = 10;
  o.alerting.for_evaluations = 1;
  o.reference.learn = {.frames = 200, .duration_ms = 0, .min_frames = 100};
  o.thresholds = [](std::string_view, std::string_view) {
    core::DriftThresholds t;
    t.min_frames = 50;
    t.min_class_images = 20;
    return t;
  };
  return o;
}

TEST(MonitorEngineThreads, SourcesEvaluationReadersAndControlCallsRunConcurrently) {
  MonitorEngine engine(threaded_options());
  // A baseline for "cam" from calm traffic, so evaluations judge it and alerts move.
  int64_t t = 0;
  for (int i = 0; i < 300; ++i, t += 50) {
    const std::string id = "f" + std::to_string(i);
    engine.apply(frame("cam", id, i, t, false));
  }
  std::string err;
  ASSERT_TRUE(engine.snapshot_baseline("cam", "1m", /*install=*/true, err)) << err;
  const int64_t start = t;

  std::atomic<int> transitions{0};
  const uint64_t listener =
      engine.subscribe([&](const core::AlertTransition&) { transitions.fetch_add(1); });
  std::atomic<bool> done{false};
  std::atomic<int64_t> source_time{start};
  constexpr int kEvents = 1500;
  int applied = 0;

  // The consumer: "cam" on partition 0 drifts; "side" on partition 1 is dropped by
  // rebalances now and then.
  std::thread source([&] {
    int64_t now = start;
    for (int i = 0; i < kEvents; ++i, now += 50) {
      EventOrigin p0{"events", 0, i, now, false};
      EventOrigin p1{"events", 1, i, now, false};
      const std::string id = "g" + std::to_string(i);
      applied += engine.apply(frame("cam", id, i, now, true), p0).applied;
      applied += engine.apply(frame("side", id, i, now, false), p1).applied;
      if (i % 250 == 125) {
        std::vector<TopicPartition> moved{{"events", 1}};
        engine.on_partitions_revoked(moved);
        engine.on_partitions_assigned(moved);
        engine.on_partition_rebuilt(moved[0]);
      }
      source_time.store(now, std::memory_order_relaxed);
    }
    done = true;
  });
  // The evaluation loop.
  int evaluations = 0;
  std::thread evaluator([&] {
    while (!done) {
      engine.evaluate(source_time.load(std::memory_order_relaxed));
      ++evaluations;
      std::this_thread::yield();
    }
  });
  // Readers: what the gRPC service, the web view and a metrics scrape copy.
  std::thread reader([&] {
    while (!done) {
      size_t frames = 0;
      engine.for_each_stream([&](const StreamView& v) {
        frames += size_t(v.monitor.window(0).totals().frames()) + v.drift.size();
      });
      engine.with_stream("cam", [&](const StreamView& v) { frames += v.baseline != nullptr; });
      (void)engine.alerts();
      (void)engine.recent_transitions("cam", 50);
      (void)engine.counters();
      (void)engine.stream_names();
      (void)engine.reference_info("side");
      EXPECT_GT(frames, 0u);
    }
  });
  // Control calls: gRPC Snapshot/Pin/Reset and listeners coming and going.
  std::thread control([&] {
    while (!done) {
      std::string e;
      (void)engine.snapshot_baseline("side", "1m", /*install=*/false, e);
      (void)engine.pin_reference("side", "1m");
      (void)engine.reset_reference("side");
      const uint64_t id = engine.subscribe([](const core::AlertTransition&) {});
      engine.unsubscribe(id);
      std::this_thread::yield();
    }
  });
  source.join();
  evaluator.join();
  reader.join();
  control.join();
  engine.evaluate(source_time.load());
  engine.unsubscribe(listener);

  const EngineCounters c = engine.counters();
  EXPECT_EQ(c.applied, uint64_t(300 + applied));
  EXPECT_EQ(c.evaluations, uint64_t(evaluations + 1));
  EXPECT_GT(applied, kEvents);  // "cam" always, "side" between its rebalances
  // "cam" now has only cats on the right: its drift fired, and the listener heard it.
  EXPECT_FALSE(engine.alerts("cam").empty());
  EXPECT_GT(transitions.load(), 0);
}

}  // namespace
}  // namespace predwatch::daemon
