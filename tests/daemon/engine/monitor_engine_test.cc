#include "daemon/engine/monitor_engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/traffic_env.h"

namespace predwatch::daemon {
namespace {

core::Event make_event(std::string_view stream, std::string_view id, int64_t t,
                       std::vector<core::NamedDetection> dets) {
  core::Event e;
  e.stream = stream;
  e.frame_id = id;
  e.time_ms = t;
  e.width = 100;
  e.height = 100;
  e.detections = std::move(dets);
  return e;
}

core::NamedDetection det(std::string_view name, float x = 0.2f) {
  core::NamedDetection d;
  d.class_name = name;
  d.confidence = 0.9f;
  d.box = {x, 0.2f, x + 0.1f, 0.4f};
  return d;
}

EngineOptions options() {
  EngineOptions o;
  o.stream.windows = {{"1m", core::WindowSpec::Type::kTime, 60'000, 1'000, 5'000, 0}};
  o.stream_config = [](std::string_view s) -> std::optional<StreamConfig> {
    if (s == "forbidden") return std::nullopt;
    return StreamConfig{};
  };
  o.max_streams = 3;
  o.max_detections_per_event = 4;
  return o;
}

TEST(MonitorEngine, CreatesStreamsOnFirstEventAndRejectsByReason) {
  MonitorEngine engine(options());
  EXPECT_TRUE(engine.apply(make_event("cam1", "a", 1000, {det("dog")})).applied);
  EXPECT_TRUE(engine.apply(make_event("cam2", "b", 1000, {})).applied);
  auto r = engine.apply(make_event("forbidden", "c", 1000, {det("dog")}));
  EXPECT_FALSE(r.applied);
  EXPECT_EQ(r.reason, "unknown_stream");
  EXPECT_EQ(engine.apply(make_event("", "d", 1000, {})).reason, "missing_stream");
  std::vector<core::NamedDetection> five(5, det("cat"));
  EXPECT_EQ(engine.apply(make_event("cam1", "e", 1000, five)).reason, "too_many_detections");
  EXPECT_TRUE(engine.apply(make_event("cam3", "f", 1000, {})).applied);
  EXPECT_EQ(engine.apply(make_event("cam4", "g", 1000, {})).reason, "too_many_streams");

  const EngineCounters c = engine.counters();
  EXPECT_EQ(c.applied, 3u);
  EXPECT_EQ(c.rejected, 4u);
  EXPECT_EQ(c.rejected_by_reason.at("unknown_stream"), 1u);
  EXPECT_EQ(c.rejected_by_reason.at("too_many_detections"), 1u);
  EXPECT_EQ(engine.stream_names(), (std::vector<std::string>{"cam1", "cam2", "cam3"}));
  bool seen = false;
  EXPECT_TRUE(engine.with_stream("cam1", [&](const StreamView& v) {
    seen = true;
    EXPECT_EQ(v.monitor.window(0).totals().frames(), 1);
    EXPECT_EQ(v.baseline, nullptr);
  }));
  EXPECT_TRUE(seen);
  EXPECT_FALSE(engine.with_stream("nope", [](const StreamView&) {}));
}

TEST(MonitorEngine, RebalanceDropsTheStreamsOfMovedPartitions) {
  MonitorEngine engine(options());
  EventOrigin p0{"events", 0, 10, -1, false}, p1{"events", 1, 10, -1, false};
  engine.apply(make_event("cam1", "a", 1000, {det("dog")}), p0);
  engine.apply(make_event("cam2", "b", 1000, {det("dog")}), p1);
  std::vector<TopicPartition> revoked{{"events", 1}};
  engine.on_partitions_revoked(revoked);
  EXPECT_EQ(engine.stream_names(), (std::vector<std::string>{"cam1"}));
  std::vector<TopicPartition> assigned{{"events", 0}};
  engine.on_partitions_assigned(assigned);  // replayed from the horizon: start empty
  EXPECT_TRUE(engine.stream_names().empty());
  EXPECT_EQ(engine.counters().streams_dropped, 2u);
}

// Alerts fire on the first flagged evaluation; small windows are judged.
EngineOptions alerting_options() {
  EngineOptions o = options();
  o.max_detections_per_event = 100;
  o.alerting.for_evaluations = 1;
  o.thresholds = [](std::string_view, std::string_view) {
    core::DriftThresholds t;
    t.min_frames = 50;
    t.min_class_images = 20;
    return t;
  };
  return o;
}

TEST(MonitorEngine, SnapshotBecomesAProductionBaselineAndAlertsFollowDrift) {
  MonitorEngine engine(alerting_options());
  std::atomic<int> transitions{0};
  engine.subscribe([&](const core::AlertTransition&) { ++transitions; });
  // 600 frames of one dog and one cat, spread over the left half.
  auto left = [](int i) { return 0.05f + 0.05f * float(i % 8); };
  int64_t t = 0;
  for (int i = 0; i < 600; ++i, t += 50)
    engine.apply(
        make_event("cam", "f" + std::to_string(i), t, {det("dog", left(i)), det("cat", left(i))}));
  std::string err;
  auto snap = engine.snapshot_baseline("cam", "1m", /*install=*/true, err);
  ASSERT_TRUE(snap) << err;
  EXPECT_EQ(snap->kind(), v1::Baseline::KIND_PRODUCTION_WINDOW);
  EXPECT_EQ(snap->stats().frames(), 600);
  EXPECT_FALSE(engine.snapshot_baseline("cam", "5h", false, err));
  EXPECT_NE(err.find("no window '5h'"), std::string::npos);

  // Same traffic: nothing fires.
  engine.evaluate(t);
  EXPECT_TRUE(engine.alerts().empty());
  // Now every frame has only cats, on the right: the dog vanishes and cats move.
  for (int i = 0; i < 1200; ++i, t += 50)
    engine.apply(make_event("cam", "g" + std::to_string(i), t, {det("cat", 0.5f + left(i))}));
  engine.evaluate(t);
  const auto alerts = engine.alerts("cam");
  ASSERT_FALSE(alerts.empty());
  bool vanished = false, spatial = false;
  for (const auto& a : alerts) {
    vanished |= a.last.key.kind == core::AlertKind::kClassVanished && a.last.key.subject == "dog";
    spatial |= a.last.key.kind == core::AlertKind::kSpatial && a.last.key.subject == "cat";
    EXPECT_EQ(a.state, core::AlertState::kFiring);
  }
  EXPECT_TRUE(vanished);
  EXPECT_TRUE(spatial);
  EXPECT_GE(transitions.load(), 2 * int(alerts.size()));  // pending and firing each
  engine.with_stream("cam", [](const StreamView& v) {
    ASSERT_EQ(v.drift.size(), 1u);
    EXPECT_FALSE(v.drift[0].findings.empty());
  });
}

// One alert per (stream, kind, subject) over three windows: the windows are its details, it
// fires once and resolves only when every window is calm; the pairs of a class the baseline
// lacks fold into that class's class_appeared alert.
TEST(MonitorEngine, OneAlertPerSubjectWhateverNumberOfWindowsAgree) {
  EngineOptions o = options();
  o.stream.windows = {{"10s", core::WindowSpec::Type::kTime, 10'000, 1'000, 1'000, 0},
                      {"1m", core::WindowSpec::Type::kTime, 60'000, 1'000, 1'000, 0},
                      {"last400", core::WindowSpec::Type::kCount, 0, 0, 0, 400}};
  o.max_detections_per_event = 100;
  // Fires and resolves on one evaluation each (confirm_share 0: no share of the windows must
  // renew first): this test is about merging windows into one alert.
  o.alerting = {.for_evaluations = 1,
                .resolve_evaluations = 1,
                .resolve_ratio = 0.8,
                .confirm_share = 0,
                .immediate_p = 1e-5};
  o.thresholds = [](std::string_view, std::string_view) {
    core::DriftThresholds t;
    t.min_frames = 50;
    t.min_class_images = 20;
    return t;
  };
  MonitorEngine engine(o);
  std::vector<core::AlertTransition> transitions;
  engine.subscribe([&](const core::AlertTransition& tr) { transitions.push_back(tr); });
  auto left = [](int i) { return 0.05f + 0.05f * float(i % 8); };
  int64_t t = 0;
  int n = 0;
  auto quiet = [&](int frames) {  // one dog and one cat on the left, as the baseline
    for (int i = 0; i < frames; ++i, t += 50, ++n)
      engine.apply(make_event("cam", "q" + std::to_string(n), t,
                              {det("dog", left(i)), det("cat", left(i))}));
  };
  quiet(1200);
  std::string err;
  ASSERT_TRUE(engine.snapshot_baseline("cam", "1m", /*install=*/true, err)) << err;
  engine.evaluate(t);
  EXPECT_TRUE(engine.alerts().empty());

  // 60 s of drift fill all three windows: cats on the right next to a zebra, no dog.
  for (int i = 0; i < 1200; ++i, t += 50, ++n)
    engine.apply(make_event("cam", "d" + std::to_string(n), t,
                            {det("cat", 0.5f + left(i)), det("zebra", 0.5f + left(i))}));
  engine.evaluate(t);
  std::vector<core::Alert> alerts = engine.alerts("cam");
  std::set<std::pair<core::AlertKind, std::string>> keys;
  const core::Alert *spatial = nullptr, *appeared = nullptr, *vanished = nullptr;
  for (const core::Alert& a : alerts) {
    const core::AlertKey& k = a.last.key;
    EXPECT_TRUE(keys.insert({k.kind, k.subject}).second) << "two alerts for one key";
    EXPECT_EQ(a.state, core::AlertState::kFiring);
    EXPECT_EQ(k.subject.find("zebra|"), std::string::npos) << "a pair of the new class";
    EXPECT_EQ(k.subject.find("|zebra"), std::string::npos) << "a pair of the new class";
    if (k.kind == core::AlertKind::kSpatial && k.subject == "cat") spatial = &a;
    if (k.kind == core::AlertKind::kClassAppeared && k.subject == "zebra") appeared = &a;
    if (k.kind == core::AlertKind::kClassVanished && k.subject == "dog") vanished = &a;
  }
  ASSERT_NE(spatial, nullptr);
  ASSERT_NE(appeared, nullptr);
  ASSERT_NE(vanished, nullptr);
  for (const core::Alert* a : {spatial, appeared, vanished}) {
    ASSERT_EQ(a->last.windows.size(), 3u) << core::alert_kind_name(a->last.key.kind);
    EXPECT_EQ(a->last.windows[0].window, "10s");
    EXPECT_EQ(a->last.windows[1].window, "1m");
    EXPECT_EQ(a->last.windows[2].window, "last400");
    for (const core::AlertWindow& w : a->last.windows) EXPECT_TRUE(w.over) << w.window;
    EXPECT_TRUE(a->last.over_threshold);
  }
  EXPECT_EQ(appeared->last.related_subjects, (std::vector<std::string>{"cat"}));
  EXPECT_FALSE(spatial->last.exemplar_ids.empty());
  // One pending and one firing transition per alert, not per window.
  EXPECT_EQ(transitions.size(), 2 * alerts.size());

  // 15 s of quiet traffic: the 10 s window is calm, the 1 m window still sees the drift (its
  // score stays above the hysteresis band, whether or not the quiet quarter's dispersion
  // lets its evidence through), so the spatial alert keeps firing.
  const uint64_t fp = spatial->fingerprint;
  quiet(300);
  engine.evaluate(t);
  alerts = engine.alerts("cam");
  auto find = [&](uint64_t f) -> const core::Alert* {
    for (const core::Alert& a : alerts)
      if (a.fingerprint == f) return &a;
    return nullptr;
  };
  const core::Alert* still = find(fp);
  ASSERT_NE(still, nullptr);
  EXPECT_EQ(still->state, core::AlertState::kFiring);
  ASSERT_EQ(still->last.windows.size(), 3u);
  EXPECT_FALSE(still->last.windows[0].over);
  const core::AlertWindow& minute = still->last.windows[1];
  EXPECT_TRUE(minute.over || minute.score >= 0.8 * minute.threshold)
      << minute.score << " vs " << minute.threshold;
  EXPECT_NE(still->last.window, "10s");  // the payload comes from a window that is over
  // 70 s more: every window is quiet again, and the alert resolves.
  quiet(1400);
  transitions.clear();
  engine.evaluate(t);
  alerts = engine.alerts("cam");
  EXPECT_EQ(find(fp), nullptr);
  bool resolved = false;
  for (const auto& tr : transitions)
    resolved |= tr.alert.fingerprint == fp && tr.to == core::AlertState::kResolved;
  EXPECT_TRUE(resolved);
}

TEST(MonitorEngine, SetBaselineRejectsAnotherLayout) {
  MonitorEngine engine(options());
  engine.apply(make_event("cam", "a", 0, {det("dog")}));
  core::StatsLayout other;
  other.heatmap_grid = 8;
  core::Stats s(other);
  core::Frame f;
  f.detections.push_back({0, 0.9f, {0.1f, 0.1f, 0.2f, 0.2f}});
  s.add(f);
  std::string err;
  auto loaded =
      baseline_from_proto(make_baseline(s, {"dog"}, core::BaselineKind::kProductionWindow), err);
  ASSERT_TRUE(loaded) << err;
  EXPECT_NE(engine.set_baseline("cam", *loaded).find("layout"), std::string::npos);
  EXPECT_NE(engine.set_baseline("forbidden", *loaded).find("not accepted"), std::string::npos);
}

// ---- clock skew (issue 14): one event with its time in microseconds ----

constexpr int64_t kT0 = 1'700'000'000'000;  // 2023-11-14, in ms

EngineOptions skew_options() {
  EngineOptions o = options();
  o.max_future_skew_ms = 300'000;
  return o;
}

// 4,001 events 10 ms apart, the middle one stamped in microseconds; `origin` gives each
// event's Kafka message timestamp (its true time) or none.
void apply_with_one_microsecond_event(MonitorEngine& engine, bool broker_time) {
  for (int i = 0; i <= 4000; ++i) {
    const int64_t t = kT0 + i * 10;
    const std::string id = "f" + std::to_string(i);  // the event's views point into it
    const core::Event e = make_event("cam", id, i == 2000 ? t * 1000 : t, {det("dog")});
    const SinkResult r =
        broker_time ? engine.apply(e, EventOrigin{"events", 0, i, t, false}) : engine.apply(e);
    EXPECT_EQ(r.applied, i != 2000) << i;
    if (i == 2000) {
      EXPECT_EQ(r.reason, "clock_skew");
    }
  }
}

void expect_windows_kept_every_good_frame(MonitorEngine& engine, uint64_t rejected = 1) {
  engine.evaluate(kT0 + 40'000);
  const EngineCounters c = engine.counters();
  EXPECT_EQ(c.applied, 4000u);
  EXPECT_EQ(c.rejected_by_reason.at("clock_skew"), rejected);
  EXPECT_TRUE(c.late_by_stream.empty());
  EXPECT_TRUE(engine.with_stream("cam", [](const StreamView& v) {
    EXPECT_EQ(v.monitor.window(0).totals().frames(), 4000);
    EXPECT_EQ(v.monitor.window(0).late_frames(), 0u);
    EXPECT_EQ(v.monitor.last_event_ms(), kT0 + 40'000);
  }));
}

TEST(MonitorEngine, MicrosecondTimestampIsRejectedAgainstTheStreamsOwnTime) {
  MonitorEngine engine(skew_options());
  apply_with_one_microsecond_event(engine, false);
  expect_windows_kept_every_good_frame(engine);
}

TEST(MonitorEngine, MicrosecondTimestampIsRejectedAgainstTheKafkaMessageTimestamp) {
  MonitorEngine engine(skew_options());
  // With a broker clock even a new stream's first event is judged.
  const SinkResult first = engine.apply(make_event("cam2", "x", kT0 * 1000, {det("dog")}),
                                        EventOrigin{"events", 0, 0, kT0, false});
  EXPECT_EQ(first.reason, "clock_skew");
  apply_with_one_microsecond_event(engine, true);
  expect_windows_kept_every_good_frame(engine, 2);
}

TEST(MonitorEngine, AGapInARecordingIsAcceptedOnceThreeEventsConfirmIt) {
  MonitorEngine engine(skew_options());
  EXPECT_TRUE(engine.apply(make_event("cam", "a", kT0, {})).applied);
  const int64_t later = kT0 + 3'600'000;  // an hour later: beyond the 5 min bound
  EXPECT_EQ(engine.apply(make_event("cam", "b", later, {})).reason, "clock_skew");
  EXPECT_EQ(engine.apply(make_event("cam", "c", later + 10, {})).reason, "clock_skew");
  EXPECT_TRUE(engine.apply(make_event("cam", "d", later + 20, {})).applied);
  EXPECT_TRUE(engine.apply(make_event("cam", "e", later + 30, {})).applied);
  // An isolated outlier between two beyond-bound events does not count as a confirmation.
  EXPECT_EQ(engine.apply(make_event("cam", "f", later * 1000, {})).reason, "clock_skew");
  EXPECT_TRUE(engine.apply(make_event("cam", "g", later + 40, {})).applied);
  EXPECT_EQ(engine.apply(make_event("cam", "h", later * 1000, {})).reason, "clock_skew");
  EXPECT_EQ(engine.apply(make_event("cam", "i", later * 2000, {})).reason, "clock_skew");
  EXPECT_EQ(engine.apply(make_event("cam", "j", later * 1000 + 1, {})).reason, "clock_skew");
  EXPECT_TRUE(engine.with_stream(
      "cam", [&](const StreamView& v) { EXPECT_EQ(v.monitor.last_event_ms(), later + 40); }));
}

TEST(MonitorEngine, ClockSkewIsUnboundedWhenTheBoundIsZero) {
  MonitorEngine engine(options());
  EXPECT_TRUE(engine.apply(make_event("cam", "a", kT0, {})).applied);
  EXPECT_TRUE(engine.apply(make_event("cam", "b", kT0 * 1000, {})).applied);
}

// Issue 14: alerts of a stream whose partition moved away stayed firing on the old replica.
TEST(MonitorEngine, AlertsOfADroppedStreamLeaveTheTrackerWithATransition) {
  MonitorEngine engine(alerting_options());
  std::vector<core::AlertTransition> seen, all;
  std::mutex seen_mu;
  engine.subscribe([&](const core::AlertTransition& t) {
    std::lock_guard lock(seen_mu);
    seen.push_back(t);
    all.push_back(t);
  });
  auto left = [](int i) { return 0.05f + 0.05f * float(i % 8); };
  int64_t t = 0;
  // cam on partition 1, other on partition 0: the same traffic, then the same drift.
  const EventOrigin p1{"events", 1, 0, -1, false}, p0{"events", 0, 0, -1, false};
  for (int i = 0; i < 600; ++i, t += 50) {
    for (const auto& [stream, origin] : {std::pair{"cam", p1}, std::pair{"other", p0}}) {
      engine.apply(make_event(stream, "f" + std::to_string(i), t,
                              {det("dog", left(i)), det("cat", left(i))}),
                   origin);
    }
  }
  std::string err;
  ASSERT_TRUE(engine.snapshot_baseline("cam", "1m", true, err)) << err;
  ASSERT_TRUE(engine.snapshot_baseline("other", "1m", true, err)) << err;
  for (int i = 0; i < 1200; ++i, t += 50) {
    for (const auto& [stream, origin] : {std::pair{"cam", p1}, std::pair{"other", p0}}) {
      engine.apply(make_event(stream, "g" + std::to_string(i), t, {det("cat", 0.5f + left(i))}),
                   origin);
    }
  }
  engine.evaluate(t);
  const size_t firing_cam = engine.alerts("cam").size();
  const size_t firing_other = engine.alerts("other").size();
  ASSERT_GT(firing_cam, 0u);
  ASSERT_EQ(firing_other, firing_cam);
  seen.clear();

  const std::vector<TopicPartition> revoked{{"events", 1}};
  engine.on_partitions_revoked(revoked);
  EXPECT_TRUE(engine.alerts("cam").empty());
  EXPECT_EQ(engine.alerts().size(), firing_other);
  ASSERT_EQ(seen.size(), firing_cam);
  for (const core::AlertTransition& tr : seen) {
    EXPECT_EQ(tr.alert.last.key.stream, "cam");
    EXPECT_EQ(tr.from, core::AlertState::kFiring);
    EXPECT_EQ(tr.to, core::AlertState::kInactive);
    EXPECT_EQ(tr.time_ms, t);  // the stream's last evaluation
    EXPECT_NE(tr.note.find("another replica"), std::string::npos) << tr.note;
  }
  // The next evaluation does not bring them back; the other stream's alerts stay.
  seen.clear();
  engine.evaluate(t + 1000);
  EXPECT_TRUE(engine.alerts("cam").empty());
  EXPECT_EQ(engine.alerts("other").size(), firing_other);
  for (const core::AlertTransition& tr : seen) EXPECT_NE(tr.alert.last.key.stream, "cam");

  // An assignment of a partition it already had (a rebuild from the horizon) drops the
  // stream but keeps its alerts, silently: the rebuilt stream goes on with them.
  seen.clear();
  const std::vector<TopicPartition> assigned{{"events", 0}};
  engine.on_partitions_assigned(assigned);
  EXPECT_EQ(engine.stream_names(), std::vector<std::string>{});
  EXPECT_EQ(engine.alerts("other").size(), firing_other);
  EXPECT_TRUE(seen.empty());

  // The engine kept every transition it delivered, in order, with the notes; per stream
  // and limited to the latest.
  auto same = [](const std::vector<core::AlertTransition>& got,
                 const std::vector<core::AlertTransition>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].alert.fingerprint, want[i].alert.fingerprint) << i;
      EXPECT_EQ(got[i].to, want[i].to) << i;
      EXPECT_EQ(got[i].time_ms, want[i].time_ms) << i;
      EXPECT_EQ(got[i].note, want[i].note) << i;
    }
  };
  ASSERT_LT(all.size(), MonitorEngine::kTransitionHistory);
  same(engine.recent_transitions("", MonitorEngine::kTransitionHistory), all);
  std::vector<core::AlertTransition> cam;
  for (const auto& tr : all)
    if (tr.alert.last.key.stream == "cam") cam.push_back(tr);
  ASSERT_GE(cam.size(), 2u);
  same(engine.recent_transitions("cam", 2), {cam.end() - 2, cam.end()});
  EXPECT_TRUE(engine.recent_transitions("nobody", 10).empty());
}

// Issue 14: streams never expired. A stream without events for streams.idle_expiry is
// dropped by the next evaluation, with its firing alerts (a transition with a note); the
// others stay; a stream created by set_baseline without events expires from its first
// evaluation; an expired stream comes back empty with its next event.
TEST(MonitorEngine, IdleStreamsExpireWithTheirAlerts) {
  EngineOptions o = alerting_options();
  o.idle_expiry_ms = 120'000;
  MonitorEngine engine(o);
  std::vector<core::AlertTransition> seen;
  std::mutex seen_mu;
  engine.subscribe([&](const core::AlertTransition& t) {
    std::lock_guard lock(seen_mu);
    seen.push_back(t);
  });
  auto left = [](int i) { return 0.05f + 0.05f * float(i % 8); };
  int64_t t = 0;
  for (int i = 0; i < 600; ++i, t += 50) {
    for (const char* stream : {"cam", "other"}) {
      engine.apply(make_event(stream, "f" + std::to_string(i), t,
                              {det("dog", left(i)), det("cat", left(i))}));
    }
  }
  std::string err;
  ASSERT_TRUE(engine.snapshot_baseline("cam", "1m", true, err)) << err;
  // cam drifts and then stops; other goes on as before.
  for (int i = 0; i < 1200; ++i, t += 50) {
    engine.apply(make_event("cam", "g" + std::to_string(i), t, {det("cat", 0.5f + left(i))}));
    engine.apply(make_event("other", "g" + std::to_string(i), t,
                            {det("dog", left(i)), det("cat", left(i))}));
  }
  const int64_t cam_last = t - 50;
  engine.evaluate(t);
  const size_t firing = engine.alerts("cam").size();
  ASSERT_GT(firing, 0u);
  // A stream that only has a baseline (no events): idle from its first evaluation, at t.
  auto b = engine.snapshot_baseline("other", "1m", false, err);
  ASSERT_TRUE(b) << err;
  auto loaded = baseline_from_proto(*b, err);
  ASSERT_TRUE(loaded) << err;
  ASSERT_EQ(engine.set_baseline("quiet", std::move(*loaded)), "");
  const int64_t quiet_first = t + 1;
  engine.evaluate(quiet_first);
  // other keeps sending; cam does not.
  for (int i = 0; i < 2400; ++i, t += 50) {
    engine.apply(make_event("other", "h" + std::to_string(i), t,
                            {det("dog", left(i)), det("cat", left(i))}));
  }
  ASSERT_LE(t - cam_last, 120'050);  // not idle long enough yet
  seen.clear();
  engine.evaluate(cam_last + 120'000);
  EXPECT_EQ(engine.alerts("cam").size(), firing);
  EXPECT_EQ(engine.counters().streams_expired, 0u);
  engine.evaluate(cam_last + 120'001);  // one millisecond past: cam goes; quiet is 1 ms short
  EXPECT_TRUE(engine.alerts("cam").empty());
  EXPECT_EQ(engine.counters().streams_expired, 1u);
  size_t dropped = 0;
  for (const core::AlertTransition& tr : seen) {
    if (tr.alert.last.key.stream != "cam") continue;
    ++dropped;
    EXPECT_EQ(tr.to, core::AlertState::kInactive);
    EXPECT_NE(tr.note.find("idle"), std::string::npos) << tr.note;
  }
  EXPECT_EQ(dropped, firing);
  auto names = engine.stream_names();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"other", "quiet"}));
  engine.evaluate(quiet_first + 120'001);  // quiet goes; other's last event is 51 ms old
  names = engine.stream_names();
  EXPECT_EQ(names, (std::vector<std::string>{"other"}));
  EXPECT_EQ(engine.counters().streams_expired, 2u);
  // cam returns: a new, empty stream.
  engine.apply(make_event("cam", "back", t, {det("dog")}));
  bool found = false;
  engine.with_stream("cam", [&](const StreamView& v) {
    found = true;
    EXPECT_EQ(v.monitor.applied_events(), 1u);
    EXPECT_EQ(v.baseline, nullptr);
  });
  EXPECT_TRUE(found);
}

// Issue 14: on the wall clock, windows advanced to the wall clock at each evaluation, so a
// consumer catching up a backlog older than a window counted every event late and the
// windows stayed empty. With advance_windows off (drift.evaluation_clock: wall) each window
// ends at its stream's newest event: the 1m window holds the backlog's last minute.
TEST(MonitorEngine, CatchingUpABacklogOnTheWallClockFillsTheWindows) {
  for (const bool advance : {false, true}) {
    SCOPED_TRACE(advance ? "windows follow the evaluation clock" : "windows follow the events");
    EngineOptions o = options();
    o.advance_windows = advance;
    MonitorEngine engine(o);
    // Two minutes of events at 10 per second, recorded three hours before the wall clock;
    // the consumer replays them at 100x, with an evaluation every wall second.
    const int64_t t0 = 1'700'000'000'000, wall0 = t0 + 3 * 3'600'000;
    int64_t wall = wall0;
    for (int i = 0; i < 1200; ++i) {
      ASSERT_TRUE(
          engine.apply(make_event("cam", "f" + std::to_string(i), t0 + 100 * i, {det("dog")}))
              .applied);
      if (i % 1000 == 999) engine.evaluate(wall += 1000);
    }
    engine.evaluate(wall += 1000);
    int64_t frames = -1;
    uint64_t late = 0;
    engine.with_stream("cam", [&](const StreamView& v) {
      frames = v.monitor.window(0).frames_in_window();
      late = v.monitor.window(0).late_frames();
    });
    if (!advance) {
      // The window is the 60 one-second panes ending at the pane of the newest event
      // (t0 + 119.9 s): events 600..1199.
      EXPECT_EQ(frames, 600);
      EXPECT_EQ(late, 0u);
    } else {
      // The old behaviour, kept for event-time evaluations: after the first evaluation at
      // the wall clock every event is hours late, and the window is empty.
      EXPECT_EQ(frames, 0);
      EXPECT_EQ(late, 200u);
    }
  }
}

// Issue 13: judging a 1h window every 10 s repeats the same verdict on the same frames.
// With judgments_per_window N a window is judged again once 1/N of it renewed; its last
// reports stand in between, with the time and window position they were judged at. A new
// baseline or a reconfiguration judges every window at once.
TEST(MonitorEngine, AWindowIsJudgedAgainOnlyOnceAShareOfItRenewed) {
  EngineOptions o = alerting_options();
  o.stream.windows.push_back({"last1200", core::WindowSpec::Type::kCount, 0, 0, 0, 1200});
  o.judgments_per_window = 6;  // 1m: every 10 s of event time; last1200: every 200 frames
  o.advance_windows = false;   // positions follow the events
  MonitorEngine engine(o);
  int64_t t = 0;
  int frame = 0;
  auto feed = [&](int n) {  // n events, 10 per second
    for (int i = 0; i < n; ++i, t += 100) {
      engine.apply(make_event("cam", "f" + std::to_string(frame++), t, {det("dog"), det("cat")}));
    }
  };
  // When each window was last judged, and at which position.
  auto judged = [&](const std::string& window) {
    std::pair<int64_t, double> out{-1, -1};
    engine.with_stream("cam", [&](const StreamView& v) {
      for (const core::DriftReport& r : v.drift)
        if (r.window == window) out = {r.evaluated_at_ms, r.window_position};
    });
    return out;
  };
  feed(600);
  std::string err;
  ASSERT_TRUE(engine.snapshot_baseline("cam", "1m", true, err)) << err;
  const int64_t first = t;
  engine.evaluate(first);
  // The 1m window ends with the pane of the newest event (59.9 s -> 60 s); last1200's
  // position counts frames applied.
  EXPECT_EQ(judged("1m"), std::make_pair(first, 60'000.0));
  EXPECT_EQ(judged("last1200"), std::make_pair(first, 600.0));
  feed(90);  // newest event at 68.9 s (the window ends at 69 s), 90 frames: too little
  engine.evaluate(t);
  EXPECT_EQ(judged("1m"), std::make_pair(first, 60'000.0));
  EXPECT_EQ(judged("last1200"), std::make_pair(first, 600.0));
  feed(10);  // the 1m window's end moved 10 s (1/6 of it); 100 frames (1/12 of last1200)
  const int64_t second = t;
  engine.evaluate(second);
  EXPECT_EQ(judged("1m"), std::make_pair(second, 70'000.0));
  EXPECT_EQ(judged("last1200"), std::make_pair(first, 600.0));
  feed(100);  // 200 frames since last1200's judgment; 10 s since 1m's
  const int64_t third = t;
  engine.evaluate(third);
  EXPECT_EQ(judged("1m"), std::make_pair(third, 80'000.0));
  EXPECT_EQ(judged("last1200"), std::make_pair(third, 800.0));
  // A new baseline: both at once.
  feed(10);
  ASSERT_TRUE(engine.snapshot_baseline("cam", "1m", true, err)) << err;
  engine.evaluate(t);
  EXPECT_EQ(judged("1m").first, t);
  EXPECT_EQ(judged("last1200").first, t);
  // A reconfiguration (thresholds may have changed): both at once.
  feed(10);
  engine.reconfigure(o);
  engine.evaluate(t);
  EXPECT_EQ(judged("1m").first, t);
  EXPECT_EQ(judged("last1200").first, t);
  // Without the setting, every window at every evaluation.
  o.judgments_per_window = 0;
  engine.reconfigure(o);
  feed(1);
  engine.evaluate(t);
  feed(1);
  engine.evaluate(t);
  EXPECT_EQ(judged("1m").first, t);
  EXPECT_EQ(judged("last1200").first, t);
}

// Issue 13 (evaluation of a fleet): a pass that judges no window of a stream anew, when the
// stream has no pending or firing alert, leaves the stream out (the tracker saw those very
// reports and they started nothing); with an alert, the stream is observed as before, so the
// alert's evaluations go on counting.
TEST(MonitorEngine, APassThatJudgesNothingNewLeavesOutAStreamWithoutAlerts) {
  EngineOptions o = testing::engine_options();
  o.judgments_per_window = 30;          // the configuration's default
  testing::TrafficEnv env(8, 3000, o);  // "cam" against a baseline; "ref" has none
  EvaluationSummary first = env.engine->evaluate(env.now_ms);
  EXPECT_GT(first.judgments, 0u);
  EXPECT_EQ(first.unchanged, 0u);
  ASSERT_TRUE(env.engine->alerts("cam").empty());
  int64_t evaluated_at = 0;
  auto reports = [&] {
    std::vector<std::string> out;
    env.engine->with_stream("cam", [&](const StreamView& v) {
      evaluated_at = v.evaluated_at_ms;
      for (const core::DriftReport& r : v.drift) out.push_back(r.window);
    });
    return out;
  };
  const std::vector<std::string> before = reports();
  ASSERT_FALSE(before.empty());
  // No new events: nothing to judge, nothing tracked.
  EvaluationSummary quiet = env.engine->evaluate(env.now_ms + 1000);
  EXPECT_EQ(quiet.judgments, 0u);
  EXPECT_EQ(quiet.unchanged, 1u);
  EXPECT_EQ(quiet.reports, first.reports);  // its reports stand
  EXPECT_EQ(reports(), before);
  EXPECT_EQ(evaluated_at, env.now_ms + 1000);
  // New events: judged again.
  env.feed(300);
  EvaluationSummary fed = env.engine->evaluate(env.now_ms);
  EXPECT_GT(fed.judgments, 0u);
  EXPECT_EQ(fed.unchanged, 0u);
  // A firing alert: the stream stays observed in passes that judge nothing.
  ASSERT_EQ(env.inject_novel_pair(), "");
  ASSERT_FALSE(env.engine->alerts("cam").empty());
  EvaluationSummary alerting = env.engine->evaluate(env.now_ms);
  EXPECT_EQ(alerting.judgments, 0u);
  EXPECT_EQ(alerting.unchanged, 0u);
  EXPECT_EQ(alerting.transitions, 0u);
  EXPECT_FALSE(env.engine->alerts("cam").empty());
}

// Issue 16: a stream entry's min_confidence replaces the global one for that stream only.
TEST(MonitorEngine, AStreamsMinConfidenceAppliesToItAlone) {
  EngineOptions o = options();
  o.stream.min_confidence = 0.2f;
  o.stream_config = [](std::string_view s) -> std::optional<StreamConfig> {
    StreamConfig c;
    if (s == "strict") c.min_confidence = 0.5f;
    return c;
  };
  MonitorEngine engine(o);
  core::NamedDetection low = det("dog"), lower = det("cat");
  low.confidence = 0.3f;
  lower.confidence = 0.1f;
  for (const char* stream : {"strict", "lax"}) {
    ASSERT_TRUE(engine.apply(make_event(stream, "f", 1000, {low, lower})).applied);
  }
  auto objects = [&](const char* stream) {
    int64_t n = -1;
    engine.with_stream(stream,
                       [&](const StreamView& v) { n = v.monitor.window(0).totals().objects(); });
    return n;
  };
  EXPECT_EQ(objects("strict"), 0);  // 0.3 and 0.1 < 0.5
  EXPECT_EQ(objects("lax"), 1);     // 0.3 >= 0.2 > 0.1
}

// Issue 14: on the wall clock, alerts were evaluated on half-rebuilt windows (a restart
// replays the horizon; a window judged half-way holds part of its frames). With
// evaluate_while_rebuilding off, a stream whose latest event came from its partition's
// rebuild is left out (counted) until the source reports the partition rebuilt.
TEST(MonitorEngine, AStreamIsNotJudgedWhileItsPartitionIsRebuilt) {
  EngineOptions o = alerting_options();
  o.evaluate_while_rebuilding = false;
  MonitorEngine engine(o);
  const TopicPartition tp{"events", 0};
  int64_t t = 0;
  auto feed = [&](bool rebuilding, int n) {
    for (int i = 0; i < n; ++i, t += 50) {
      const EventOrigin origin{tp.topic, tp.partition, t, -1, rebuilding};
      ASSERT_TRUE(engine.apply(make_event("cam", "f" + std::to_string(t), t, {det("dog")}), origin)
                      .applied);
    }
  };
  engine.on_partitions_assigned(std::span(&tp, 1));
  feed(true, 600);
  std::string err;
  ASSERT_TRUE(engine.snapshot_baseline("cam", "1m", true, err)) << err;
  auto evaluated_at = [&] {
    int64_t at = -1;
    engine.with_stream("cam", [&](const StreamView& v) { at = v.evaluated_at_ms; });
    return at;
  };
  engine.evaluate(t);
  EXPECT_EQ(evaluated_at(), 0);  // never judged
  EXPECT_EQ(engine.counters().rebuild_deferred, 1u);
  engine.on_partition_rebuilt({"events", 1});  // another partition: still deferred
  engine.evaluate(t);
  EXPECT_EQ(engine.counters().rebuild_deferred, 2u);
  engine.on_partition_rebuilt(tp);
  engine.evaluate(t);
  EXPECT_EQ(evaluated_at(), t);
  EXPECT_EQ(engine.counters().rebuild_deferred, 2u);
  // Live events (not rebuilding) keep it judged.
  feed(false, 10);
  engine.evaluate(t);
  EXPECT_EQ(evaluated_at(), t);
}

// Issue 14: max_streams admitted more streams than memory holds. With a memory budget, a
// new stream is refused (memory_budget) once the measured state plus one more stream of the
// mean size would exceed it; the streams already tracked go on.
TEST(MonitorEngine, NewStreamsAreRefusedBeyondTheMemoryBudget) {
  EngineOptions o = options();
  o.max_streams = 100;
  o.max_detections_per_event = 100;
  MonitorEngine engine(o);
  auto feed = [&](const std::string& stream) {
    for (int i = 0; i < 50; ++i) {
      engine.apply(make_event(stream, "f" + std::to_string(i), 1000 * i,
                              {det("dog"), det("cat"), det("person", 0.5f)}));
    }
  };
  feed("a");
  feed("b");
  engine.evaluate(50'000);
  const uint64_t measured = engine.counters().state_bytes;
  size_t by_hand = 0;  // the same measure, summed here stream by stream
  for (const char* s : {"a", "b"}) {
    engine.with_stream(s, [&](const StreamView& v) { by_hand += v.monitor.bytes(); });
  }
  ASSERT_GT(measured, 0u);
  EXPECT_EQ(measured, by_hand);
  // Room for exactly one more stream of the mean size (measured / 2).
  o.max_state_bytes = measured + measured / 2;
  engine.reconfigure(o);
  EXPECT_TRUE(engine.apply(make_event("c", "f", 1000, {det("dog")})).applied);
  const SinkResult refused = engine.apply(make_event("d", "f", 1000, {det("dog")}));
  EXPECT_FALSE(refused.applied);
  EXPECT_EQ(refused.reason, "memory_budget");
  EXPECT_EQ(engine.counters().rejected_by_reason.at("memory_budget"), 1u);
  EXPECT_TRUE(
      engine.apply(make_event("a", "g", 60'000, {det("dog")})).applied);  // tracked: goes on
  // Without a budget, admitted again.
  o.max_state_bytes = 0;
  engine.reconfigure(o);
  EXPECT_TRUE(engine.apply(make_event("d", "f", 1000, {det("dog")})).applied);
}

// Issue 14: a stream seen on two partitions was dropped only with the last one it arrived
// on, so reassigning the other (whose replay re-applies its events) counted them twice.
TEST(MonitorEngine, AStreamSeenOnTwoPartitionsIsDroppedWithEitherOfThem) {
  MonitorEngine engine(options());
  const EventOrigin p0{"events", 0, 10, -1, false}, p1{"events", 1, 20, -1, false};
  auto frames = [&] {
    int64_t n = -1;
    engine.with_stream("cam",
                       [&](const StreamView& v) { n = v.monitor.window(0).totals().frames(); });
    return n;
  };
  ASSERT_TRUE(engine.apply(make_event("cam", "a", 1000, {det("dog")}), p0).applied);
  ASSERT_TRUE(engine.apply(make_event("cam", "b", 2000, {det("dog")}), p1).applied);
  ASSERT_EQ(frames(), 2);

  // Partition 0 is assigned again: its replay brings "a" back. It must not count twice.
  const std::vector<TopicPartition> assigned{{"events", 0}};
  engine.on_partitions_assigned(assigned);
  engine.apply(make_event("cam", "a", 1000, {det("dog")}), p0);
  EXPECT_EQ(frames(), 1);  // "a" once; "b" (partition 1, not replayed) is gone with the drop
  EXPECT_EQ(engine.counters().split_streams_dropped, 1u);

  // The same through a revoke of the partition it arrived on first.
  ASSERT_TRUE(engine.apply(make_event("cam", "c", 3000, {det("dog")}), p1).applied);
  const std::vector<TopicPartition> revoked{{"events", 0}};
  engine.on_partitions_revoked(revoked);
  EXPECT_TRUE(engine.stream_names().empty());
  EXPECT_EQ(engine.counters().split_streams_dropped, 2u);
  EXPECT_EQ(engine.counters().streams_dropped, 2u);
}

}  // namespace
}  // namespace predwatch::daemon
