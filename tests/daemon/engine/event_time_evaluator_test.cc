// EventTimeEvaluator: evaluations at the multiples of the interval in event time, each seeing
// exactly the events before it; bounded catch-up over gaps; finish() closes a recording.
// Expected tick lists are derived by hand from the event times in each test.
#include "daemon/engine/event_time_evaluator.h"

#include <gtest/gtest.h>

#include <vector>

namespace predwatch::daemon {
namespace {

core::Event event_at(int64_t t, std::string_view id) {
  core::Event e;
  e.stream = "cam";
  e.frame_id = id;
  e.time_ms = t;
  return e;
}

EngineOptions options() {
  EngineOptions o;
  o.stream.windows = {{"1m", core::WindowSpec::Type::kTime, 60'000, 1'000, 5'000, 0}};
  return o;
}

// Frames in the stream's window as each evaluation saw them.
struct Recorder {
  MonitorEngine& engine;
  std::vector<int64_t> ticks;
  std::vector<int64_t> frames;
  void operator()(int64_t t) {
    ticks.push_back(t);
    int64_t n = -1;
    engine.with_stream("cam",
                       [&](const StreamView& v) { n = v.monitor.window(0).frames_in_window(); });
    frames.push_back(n);
  }
};

TEST(EventTimeEvaluator, EvaluatesAtEveryIntervalMultipleBeforeTheEventThatPassesIt) {
  MonitorEngine engine(options());
  Recorder rec{engine, {}, {}};
  EventTimeEvaluator ev(engine, 10'000, [&](int64_t t, const EvaluationSummary&, auto) { rec(t); });
  // First event at 12.5 s: first tick 20 s. Events at 15 s, 19.999 s stay before it; the
  // event at 20 s passes it (evaluated without that event); 41 s passes 30 s and 40 s.
  for (auto [t, id] : std::vector<std::pair<int64_t, const char*>>{
           {12'500, "a"}, {15'000, "b"}, {19'999, "c"}, {20'000, "d"}, {41'000, "e"}}) {
    EXPECT_TRUE(ev.apply(event_at(t, id)).applied);
  }
  EXPECT_EQ(rec.ticks, (std::vector<int64_t>{20'000, 30'000, 40'000}));
  EXPECT_EQ(rec.frames, (std::vector<int64_t>{3, 4, 4}));
  ev.finish();  // one more at 50 s with every event
  EXPECT_EQ(rec.ticks.back(), 50'000);
  EXPECT_EQ(rec.frames.back(), 5);
  EXPECT_EQ(ev.evaluations(), 4u);
  ev.finish();  // nothing new: no evaluation
  EXPECT_EQ(ev.evaluations(), 4u);
}

TEST(EventTimeEvaluator, NegativeTimesFloorDownward) {
  MonitorEngine engine(options());
  Recorder rec{engine, {}, {}};
  EventTimeEvaluator ev(engine, 1'000, [&](int64_t t, const EvaluationSummary&, auto) { rec(t); });
  ev.apply(event_at(-1'500, "a"));  // floor(-1.5 s) = -2 s: first tick -1 s
  ev.apply(event_at(-500, "b"));
  EXPECT_EQ(rec.ticks, (std::vector<int64_t>{-1'000}));
}

TEST(EventTimeEvaluator, AJumpEvaluatesOnlyTheLastCatchupTicks) {
  MonitorEngine engine(options());
  Recorder rec{engine, {}, {}};
  EventTimeEvaluator ev(
      engine, 1'000, [&](int64_t t, const EvaluationSummary&, auto) { rec(t); },
      /*max_catchup_ticks=*/3);
  ev.apply(event_at(500, "a"));  // first tick 1 s
  // A timestamp in microseconds read as milliseconds: ticks 1 s .. 1.7e12 s; only the last
  // three run.
  const int64_t far = 1'700'000'000'000'000;
  ev.apply(event_at(far, "b"));
  EXPECT_EQ(rec.ticks, (std::vector<int64_t>{far - 2'000, far - 1'000, far}));
  EXPECT_EQ(ev.skipped_ticks(), uint64_t(far / 1'000) - 3);
  EXPECT_EQ(ev.next_tick_ms(), far + 1'000);
}

TEST(EventTimeEvaluator, AlertTransitionsCarryTickTimes) {
  // A stream with a baseline of only "dog" frames that suddenly shows "cat" on every frame:
  // class_appeared must fire at a tick, and every transition time is a multiple of 5 s.
  EngineOptions o = options();
  o.alerting.for_evaluations = 2;
  o.alerting.confirm_share = 0;  // fires on the second over tick: this test is about tick times
  o.thresholds = [](std::string_view, std::string_view) {
    core::DriftThresholds t;
    t.min_window_fill = 0;  // judged from the first tick: this test is about tick times
    return t;
  };
  core::Stats base;
  core::Frame f;
  f.detections = {{0, 0.9f, {0.1f, 0.1f, 0.3f, 0.3f}, -1}};
  for (int i = 0; i < 2000; ++i) base.add(f);
  LoadedBaseline b;
  b.stats.stats = base;
  b.stats.class_names = {"dog"};
  b.stats.kind = core::BaselineKind::kTrainingAnnotations;
  o.stream_config = [b](std::string_view) {
    StreamConfig c;
    c.baseline = b;
    return std::optional<StreamConfig>(c);
  };
  MonitorEngine engine(o);
  std::vector<core::AlertTransition> seen;
  engine.subscribe([&](const core::AlertTransition& t) { seen.push_back(t); });
  EventTimeEvaluator ev(engine, 5'000);
  for (int i = 0; i < 600; ++i) {
    core::Event e = event_at(100 * i, "x");
    core::NamedDetection d;
    d.class_name = i < 300 ? "dog" : "cat";
    d.box = {0.1f, 0.1f, 0.3f, 0.3f};
    e.detections = {d};
    ev.apply(e);
  }
  ev.finish();
  bool fired = false;
  for (const auto& t : seen) {
    EXPECT_EQ(t.time_ms % 5'000, 0);
    EXPECT_GE(t.time_ms, 30'000);  // nothing before the cats
    if (t.to == core::AlertState::kFiring &&
        t.alert.last.key.kind == core::AlertKind::kClassAppeared) {
      fired = true;
      EXPECT_EQ(t.alert.last.key.subject, "cat");
    }
  }
  EXPECT_TRUE(fired);
}

TEST(EventTimeEvaluator, AnEventRejectedForClockSkewMovesNoTick) {
  EngineOptions o = options();
  o.max_future_skew_ms = 300'000;
  MonitorEngine engine(o);
  Recorder rec{engine, {}, {}};
  EventTimeEvaluator ev(engine, 10'000, [&](int64_t t, const EvaluationSummary&, auto) { rec(t); });
  EXPECT_TRUE(ev.apply(event_at(12'500, "a")).applied);
  EXPECT_EQ(ev.apply(event_at(15'000'000, "b")).reason, "clock_skew");  // 15 s in microseconds
  EXPECT_TRUE(ev.apply(event_at(21'000, "c")).applied);
  EXPECT_EQ(rec.ticks, (std::vector<int64_t>{20'000}));
  EXPECT_EQ(rec.frames, (std::vector<int64_t>{1}));
  EXPECT_EQ(ev.next_tick_ms(), 30'000);
}

}  // namespace
}  // namespace predwatch::daemon
