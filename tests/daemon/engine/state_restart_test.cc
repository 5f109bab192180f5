// What survives a restart through state.dir (docs/KAFKA.md "State across restarts"):
// baselines installed over gRPC and the pending and firing alerts. Each test runs two
// engines on one state directory, the second standing for the restarted daemon.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "daemon/baseline/state_store.h"
#include "daemon/engine/alert_store.h"
#include "daemon/engine/monitor_engine.h"

namespace predwatch::daemon {
namespace {

namespace fs = std::filesystem;
using core::AlertState;

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("predwatch_state_test_" + name);
  fs::remove_all(d);
  return d;
}

constexpr int64_t kT0 = 1'000'000;

// Frame i of a stream of persons and cars (one to three) at 10 fps, confidences around
// `confidence`. The event views its frame id in `id` (and the stream name).
core::Event frame(std::string_view stream, int64_t i, std::mt19937& rng, float confidence,
                  std::string& id) {
  core::Event e;
  e.stream = stream;
  id = "f" + std::to_string(i);
  e.frame_id = id;
  e.time_ms = kT0 + i * 100;
  e.width = 100;
  e.height = 100;
  std::uniform_real_distribution<float> u(0.0f, 0.8f), c(-0.05f, 0.05f);
  const int n = 1 + int(rng() % 3);
  for (int k = 0; k < n; ++k) {
    core::NamedDetection d;
    d.class_name = k % 2 ? "car" : "person";
    d.confidence = confidence + c(rng);
    const float x = u(rng), y = u(rng);
    d.box = {x, y, x + 0.15f, y + 0.15f};
    e.detections.push_back(d);
  }
  return e;
}

// One 30 s window; the reference is the first 500 frames; alerts fire on strong evidence
// after 3 evaluations.
EngineOptions options(const fs::path& dir) {
  EngineOptions o;
  o.stream.windows = {{"30s", core::WindowSpec::Type::kTime, 30'000, 1'000, 5'000, 0}};
  o.stream_config = [](std::string_view) -> std::optional<StreamConfig> { return StreamConfig{}; };
  o.reference.learn = {.frames = 500, .duration_ms = 0, .min_frames = 100};
  o.state_dir = dir.string();
  return o;
}

struct Recorder {
  std::vector<core::AlertTransition> transitions;
  explicit Recorder(MonitorEngine& engine) {
    engine.subscribe([this](const core::AlertTransition& t) { transitions.push_back(t); });
  }
  size_t count(AlertState to) const {
    return size_t(std::count_if(transitions.begin(), transitions.end(),
                                [&](const auto& t) { return t.to == to; }));
  }
};

struct Source {
  std::string stream;
  int32_t partition = -1;  // -1: not from Kafka
};

// Frames [from, to) of every source, evaluating every second.
void run(MonitorEngine& engine, const std::vector<Source>& sources, int64_t from, int64_t to,
         float confidence, std::mt19937& rng) {
  for (int64_t i = from; i < to; ++i) {
    for (const Source& src : sources) {
      std::string id;
      const core::Event e = frame(src.stream, i, rng, confidence, id);
      const EventOrigin origin{"events", src.partition, i, -1, false};
      ASSERT_TRUE((src.partition < 0 ? engine.apply(e) : engine.apply(e, origin)).applied);
    }
    if (i % 10 == 9) engine.evaluate(kT0 + i * 100);
  }
}

// The confidence alert of `stream` (on persons), or null.
const core::Alert* confidence_alert(const std::vector<core::Alert>& alerts,
                                    std::string_view stream) {
  for (const core::Alert& a : alerts) {
    if (a.last.key.kind == core::AlertKind::kConfidence && a.last.key.stream == stream &&
        a.last.key.subject == "person")
      return &a;
  }
  return nullptr;
}

// A confidence drop (0.8 -> 0.4) against the learned reference fires once; the restarted
// engine lists the alert as firing once its partition is assigned, and the same drift after
// the restart makes no transition: no second page. Two streams on partitions 0 and 1: an
// assignment of partition 0 only restores cam-0's alerts, silently; cam-1's stay on disk
// for the replica that owns partition 1.
TEST(StateRestart, AFiringAlertContinuesAcrossARestartWithoutASecondPage) {
  const fs::path dir = fresh_dir("alerts");
  std::mt19937 rng(7);
  std::vector<core::Alert> before;
  {
    MonitorEngine engine(options(dir));
    Recorder rec(engine);
    run(engine, {{"cam-0", 0}, {"cam-1", 1}}, 0, 600, 0.8f, rng);
    ASSERT_EQ(rec.count(AlertState::kFiring), 0u);
    run(engine, {{"cam-0", 0}, {"cam-1", 1}}, 600, 1200, 0.4f, rng);
    // One confidence alert per stream and class.
    ASSERT_EQ(rec.count(AlertState::kFiring), 4u);
    for (const core::Alert& a : engine.alerts())
      if (a.last.key.stream == "cam-0") before.push_back(a);
    ASSERT_EQ(before.size(), 2u);
    ASSERT_NE(confidence_alert(before, "cam-0"), nullptr);
    ASSERT_EQ(confidence_alert(before, "cam-0")->state, AlertState::kFiring);
    engine.save_state(kT0 + 1200 * 100);
  }
  ASSERT_TRUE(fs::exists(AlertStore(dir).path("cam-0")));
  ASSERT_TRUE(fs::exists(AlertStore(dir).path("cam-1")));

  MonitorEngine engine(options(dir));
  Recorder rec(engine);
  EXPECT_EQ(engine.counters().state_load_errors, 0u);
  EXPECT_TRUE(engine.alerts().empty());  // Kafka streams: restored with their partition
  const TopicPartition p0{"events", 0};
  engine.on_partitions_assigned(std::span(&p0, 1));
  EXPECT_TRUE(rec.transitions.empty());
  EXPECT_EQ(engine.counters().alerts_restored, before.size());
  const std::vector<core::Alert> restored = engine.alerts();
  ASSERT_EQ(restored.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(restored[i].fingerprint, before[i].fingerprint);
    EXPECT_EQ(restored[i].state, before[i].state);
    EXPECT_EQ(restored[i].firing_since_ms, before[i].firing_since_ms);
    EXPECT_EQ(restored[i].last.score, before[i].last.score);
    EXPECT_EQ(restored[i].last.windows.size(), before[i].last.windows.size());
  }
  EXPECT_EQ(confidence_alert(engine.alerts(), "cam-1"), nullptr);

  // The rebuild replays the last window's frames (the rebuild horizon) and the drift goes
  // on, judged against the saved reference: no transition at all.
  run(engine, {{"cam-0", 0}}, 900, 1500, 0.4f, rng);
  for (const auto& t : rec.transitions) {
    EXPECT_NE(t.alert.last.key.kind, core::AlertKind::kConfidence)
        << alert_state_name(t.from) << " -> " << alert_state_name(t.to);
  }
  const std::vector<core::Alert> after = engine.alerts();  // `a` points into it
  const core::Alert* a = confidence_alert(after, "cam-0");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->state, AlertState::kFiring);
  EXPECT_EQ(a->firing_since_ms, confidence_alert(before, "cam-0")->firing_since_ms);
  // This replica's saves never touched cam-1's file.
  engine.save_state(kT0 + 1500 * 100);
  std::string error;
  const std::vector<SavedAlert> on_disk = AlertStore(dir).load(error);
  EXPECT_EQ(error, "");
  EXPECT_EQ(std::count_if(on_disk.begin(), on_disk.end(),
                          [](const SavedAlert& s) { return s.alert.last.key.stream == "cam-1"; }),
            2);
}

// The control for the test above: the same restart without the alert file (the references
// are still saved) pages again for the same drift.
TEST(StateRestart, WithoutTheAlertFileTheRestartPagesAgain) {
  const fs::path dir = fresh_dir("control");
  std::mt19937 rng(7);
  {
    MonitorEngine engine(options(dir));
    Recorder rec(engine);
    run(engine, {{"cam-0", 0}}, 0, 600, 0.8f, rng);
    run(engine, {{"cam-0", 0}}, 600, 1200, 0.4f, rng);
    EXPECT_EQ(rec.count(AlertState::kFiring), 2u);  // persons and cars
  }
  ASSERT_TRUE(fs::remove(AlertStore(dir).path("cam-0")));
  MonitorEngine engine(options(dir));
  Recorder rec(engine);
  const TopicPartition p0{"events", 0};
  engine.on_partitions_assigned(std::span(&p0, 1));
  run(engine, {{"cam-0", 0}}, 900, 1500, 0.4f, rng);
  EXPECT_EQ(rec.count(AlertState::kFiring), 2u);
}

// Two replicas on one state directory (the Helm chart's shared claim). Replica A owns
// partitions 0 and 1 and pages for cam-0 and cam-1; partition 1 moves to replica B: A's
// revocation writes cam-1's alerts for B and drops them (a transition saying so), B's
// assignment lists them as firing since the same time, and the drift going on at B does not
// page again. A's later saves leave cam-1's file alone; when the drift ends at B, B's alert
// resolves and the file goes, so a third replica taking partition 1 restores nothing.
TEST(StateRestart, APartitionMoveHandsTheAlertsToTheNextReplicaOnASharedDirectory) {
  const fs::path dir = fresh_dir("handover");
  std::mt19937 rng(11);
  const TopicPartition p0{"events", 0}, p1{"events", 1};
  const std::vector<TopicPartition> both{p0, p1};
  MonitorEngine a(options(dir));
  Recorder rec_a(a);
  a.on_partitions_assigned(both);
  run(a, {{"cam-0", 0}, {"cam-1", 1}}, 0, 600, 0.8f, rng);
  run(a, {{"cam-0", 0}, {"cam-1", 1}}, 600, 1200, 0.4f, rng);
  ASSERT_EQ(rec_a.count(AlertState::kFiring), 4u);
  const std::vector<core::Alert> at_a = a.alerts();
  const int64_t firing_since = confidence_alert(at_a, "cam-1")->firing_since_ms;

  rec_a.transitions.clear();
  a.on_partitions_revoked(std::span(&p1, 1));
  ASSERT_EQ(rec_a.transitions.size(), 2u);
  for (const core::AlertTransition& t : rec_a.transitions) {
    EXPECT_EQ(t.alert.last.key.stream, "cam-1");
    EXPECT_EQ(t.to, AlertState::kInactive);
    EXPECT_NE(t.note.find("moved to another replica"), std::string::npos) << t.note;
  }
  EXPECT_EQ(confidence_alert(a.alerts(), "cam-1"), nullptr);
  ASSERT_TRUE(fs::exists(AlertStore(dir).path("cam-1")));

  MonitorEngine b(options(dir));
  Recorder rec_b(b);
  b.on_partitions_assigned(std::span(&p1, 1));
  const std::vector<core::Alert> at_b = b.alerts();
  ASSERT_EQ(at_b.size(), 2u);  // cam-1's two, not cam-0's
  ASSERT_NE(confidence_alert(at_b, "cam-1"), nullptr);
  EXPECT_EQ(confidence_alert(at_b, "cam-1")->state, AlertState::kFiring);
  EXPECT_EQ(confidence_alert(at_b, "cam-1")->firing_since_ms, firing_since);

  // A goes on with cam-0 and saves (a forced save, and one a minute later); B takes over
  // cam-1's drift from the rebuild on: no page.
  run(a, {{"cam-0", 0}}, 1200, 1800, 0.4f, rng);
  a.save_state(kT0 + 1800 * 100);
  ASSERT_TRUE(fs::exists(AlertStore(dir).path("cam-1")));
  run(b, {{"cam-1", 1}}, 900, 1800, 0.4f, rng);
  EXPECT_EQ(rec_b.count(AlertState::kFiring), 0u);
  EXPECT_EQ(rec_b.count(AlertState::kPending), 0u);

  // Back to normal at B: its alerts resolve and their file is deleted by the next save.
  run(b, {{"cam-1", 1}}, 1800, 3600, 0.8f, rng);
  ASSERT_EQ(confidence_alert(b.alerts(), "cam-1"), nullptr);
  ASSERT_EQ(rec_b.count(AlertState::kResolved), 2u);
  EXPECT_FALSE(fs::exists(AlertStore(dir).path("cam-1")));
  MonitorEngine c(options(dir));
  c.on_partitions_assigned(std::span(&p1, 1));
  EXPECT_TRUE(c.alerts().empty());
}

// A restored alert whose stream never comes back and is not read from Kafka is dropped
// after idle_expiry since its last evaluation; a revocation hands the restored alerts of
// its partitions on, as it does a live stream's.
TEST(StateRestart, UnclaimedRestoredAlertsExpireOrLeaveWithTheirPartition) {
  const fs::path dir = fresh_dir("unclaimed");
  std::mt19937 rng(3);
  int64_t last = 0;
  {
    MonitorEngine engine(options(dir));
    run(engine, {{"local", -1}, {"cam-1", 1}}, 0, 600, 0.8f, rng);
    run(engine, {{"local", -1}, {"cam-1", 1}}, 600, 1200, 0.4f, rng);
    last = kT0 + 1199 * 100;
    ASSERT_NE(confidence_alert(engine.alerts(), "local"), nullptr);
    ASSERT_NE(confidence_alert(engine.alerts(), "cam-1"), nullptr);
    engine.save_state(last);
  }
  EngineOptions o = options(dir);
  o.idle_expiry_ms = 3'600'000;
  MonitorEngine engine(o);
  Recorder rec(engine);
  ASSERT_NE(confidence_alert(engine.alerts(), "local"), nullptr);  // no Kafka: at once
  const TopicPartition p1{"events", 1};
  engine.on_partitions_assigned(std::span(&p1, 1));
  ASSERT_NE(confidence_alert(engine.alerts(), "cam-1"), nullptr);
  engine.on_partitions_revoked(std::span(&p1, 1));
  EXPECT_EQ(confidence_alert(engine.alerts(), "cam-1"), nullptr);
  ASSERT_NE(confidence_alert(engine.alerts(), "local"), nullptr);
  engine.evaluate(last + 3'600'000);  // exactly idle_expiry: kept
  ASSERT_NE(confidence_alert(engine.alerts(), "local"), nullptr);
  engine.evaluate(last + 3'600'001);
  EXPECT_EQ(confidence_alert(engine.alerts(), "local"), nullptr);
  ASSERT_FALSE(rec.transitions.empty());
  EXPECT_NE(rec.transitions.back().note.find("streams.idle_expiry"), std::string::npos);
  // The files follow: a third start restores nothing of "local", and cam-1's alerts wait for
  // partition 1's next owner.
  MonitorEngine third(options(dir));
  EXPECT_TRUE(third.alerts().empty());
  third.on_partitions_assigned(std::span(&p1, 1));
  EXPECT_NE(confidence_alert(third.alerts(), "cam-1"), nullptr);
}

// The single "alerts.pwstate" of earlier versions is split into per-stream files at start
// and deleted; its alerts come back as before (here: a stream read from partition 2 and one
// not read from Kafka).
TEST(StateRestart, TheSingleAlertFileOfEarlierVersionsIsSplitByStream) {
  const fs::path dir = fresh_dir("legacy");
  std::vector<SavedAlert> old(2);
  old[0].alert.state = AlertState::kFiring;
  old[0].alert.last.key = {core::AlertKind::kConfidence, "cam-2", "person"};
  old[0].partitions = {{"events", 2}};
  old[1].alert.state = AlertState::kPending;
  old[1].alert.last.key = {core::AlertKind::kClassVanished, "local", "dog"};
  // Written in the earlier format: both streams in one file, under the earlier name.
  AlertStore store(dir);
  ASSERT_EQ(store.save("cam-2", old, 5), "");
  fs::rename(store.path("cam-2"), store.legacy_path());
  MonitorEngine engine(options(dir));
  EXPECT_EQ(engine.counters().state_load_errors, 0u);
  EXPECT_FALSE(fs::exists(store.legacy_path()));
  EXPECT_TRUE(fs::exists(store.path("cam-2")));
  EXPECT_TRUE(fs::exists(store.path("local")));
  ASSERT_EQ(engine.alerts().size(), 1u);
  EXPECT_EQ(engine.alerts()[0].last.key.stream, "local");
  const TopicPartition p2{"events", 2};
  engine.on_partitions_assigned(std::span(&p2, 1));
  EXPECT_EQ(engine.alerts().size(), 2u);
  EXPECT_EQ(engine.counters().alerts_restored, 2u);
}

// Every field of a saved alert comes back as it was (values set by hand, NaN included).
TEST(AlertStore, RoundTripsEveryField) {
  const fs::path dir = fresh_dir("roundtrip");
  SavedAlert s;
  core::Alert& a = s.alert;
  a.state = AlertState::kPending;
  a.active_since_ms = 11;
  a.firing_since_ms = 0;
  a.last_evaluated_ms = 33;
  a.over_streak = 2;
  a.calm_streak = 0;
  a.peak_score = 7.5;
  core::AlertObservation& o = a.last;
  o.key = {core::AlertKind::kPairRate, "cam/1", core::pair_subject("horse", "chair")};
  o.over_threshold = true;
  o.score = 6.25;
  o.threshold = 4;
  o.p_value = 3e-7;
  o.counts = {1, 2, 3, 4};
  o.exemplar_ids = {"f1", "f2"};
  o.window = "1h";
  o.against = core::Against::kReference;
  core::AlertWindow w;
  w.window = "1h";
  w.over = true;
  w.score = 6.25;
  w.threshold = 4;
  w.p_value = std::nan("");
  w.counts = {5, 6, 7, 8};
  w.against = core::Against::kReference;
  w.position = 123456;
  w.length = 3'600'000;
  o.windows = {w};
  o.related_subjects = {"chair|dog"};
  o.pair_classes = {"chair", "horse"};
  s.partitions = {{"events", 3}, {"other", 0}};
  const std::vector<SavedAlert> saved{s};
  AlertStore store(dir);
  ASSERT_EQ(store.save("cam/1", saved, 99), "");
  std::string error;
  const std::vector<SavedAlert> back = store.load(error);
  EXPECT_EQ(error, "");
  ASSERT_EQ(back.size(), 1u);
  const core::Alert& b = back[0].alert;
  EXPECT_EQ(b.fingerprint, core::alert_fingerprint(o.key));
  EXPECT_EQ(b.state, AlertState::kPending);
  EXPECT_EQ(b.active_since_ms, 11);
  EXPECT_EQ(b.last_evaluated_ms, 33);
  EXPECT_EQ(b.over_streak, 2u);
  EXPECT_EQ(b.peak_score, 7.5);
  EXPECT_EQ(b.last.key, o.key);
  EXPECT_TRUE(b.last.over_threshold);
  EXPECT_EQ(b.last.score, 6.25);
  EXPECT_EQ(b.last.threshold, 4);
  EXPECT_EQ(b.last.p_value, 3e-7);
  EXPECT_EQ(b.last.counts.baseline_total, 4u);
  EXPECT_EQ(b.last.exemplar_ids, o.exemplar_ids);
  EXPECT_EQ(b.last.window, "1h");
  EXPECT_EQ(b.last.against, core::Against::kReference);
  ASSERT_EQ(b.last.windows.size(), 1u);
  EXPECT_EQ(b.last.windows[0].window, "1h");
  EXPECT_TRUE(std::isnan(b.last.windows[0].p_value));
  EXPECT_EQ(b.last.windows[0].counts.window_total, 6u);
  EXPECT_EQ(b.last.windows[0].against, core::Against::kReference);
  EXPECT_EQ(b.last.windows[0].position, 123456);
  EXPECT_EQ(b.last.windows[0].length, 3'600'000);
  EXPECT_EQ(b.last.related_subjects, o.related_subjects);
  EXPECT_EQ(b.last.pair_classes, o.pair_classes);
  EXPECT_EQ(back[0].partitions, s.partitions);
}

// A corrupt alert file: the engine starts without it, names the file, counts it once and
// moves it aside; an alert in another stream's file is left out, named, and the others kept.
TEST(StateRestart, ACorruptAlertFileIsCountedOnceAndMovedAside) {
  const fs::path dir = fresh_dir("corrupt");
  fs::create_directories(dir);
  AlertStore store(dir);
  { std::ofstream(store.path("cam-0"), std::ios::binary) << "not a protobuf"; }
  std::string error;
  EXPECT_TRUE(store.load(error).empty());
  EXPECT_NE(error.find(store.path("cam-0").string()), std::string::npos) << error;
  EXPECT_NE(error.find(".unreadable"), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(store.path("cam-0")));
  EXPECT_TRUE(fs::exists(store.path("cam-0").string() + ".unreadable"));
  { std::ofstream(store.path("cam-0"), std::ios::binary) << "not a protobuf"; }
  MonitorEngine engine(options(dir));
  EXPECT_EQ(engine.counters().state_load_errors, 1u);
  EXPECT_TRUE(engine.alerts().empty());
  const TopicPartition p0{"events", 0};
  engine.on_partitions_assigned(std::span(&p0, 1));
  EXPECT_EQ(engine.counters().state_load_errors, 1u);  // reported once

  std::vector<SavedAlert> mixed(2);
  mixed[0].alert.state = mixed[1].alert.state = AlertState::kFiring;
  mixed[0].alert.last.key = {core::AlertKind::kConfidence, "cam-0", "person"};
  mixed[1].alert.last.key = {core::AlertKind::kConfidence, "cam-9", "person"};
  ASSERT_EQ(store.save("cam-0", mixed, 1), "");
  const std::vector<SavedAlert> back = store.load(error);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].alert.last.key.stream, "cam-0");
  EXPECT_NE(error.find("(cam-9) left out"), std::string::npos) << error;
}

// A baseline installed over gRPC (set_baseline) is saved and wins over the configured one
// after a restart; a configuration reload keeps it; revert_baseline goes back to the
// configured baseline and deletes the file.
TEST(StateRestart, AnInstalledBaselineSurvivesARestartUntilReverted) {
  const fs::path dir = fresh_dir("baseline");
  std::mt19937 rng(5);
  // Two baselines told apart by their frame counts: the configured one (a snapshot of 10
  // frames) and the installed one (a snapshot of 300 frames).
  EngineOptions o = options(dir);
  o.reference.enabled = false;
  std::string id;
  std::shared_ptr<const LoadedBaseline> configured;
  std::optional<v1::Baseline> installed_proto;
  {
    MonitorEngine engine(o);
    for (int64_t i = 0; i < 300; ++i)
      ASSERT_TRUE(engine.apply(frame("cam", i, rng, 0.8f, id)).applied);
    for (int64_t i = 300; i < 310; ++i) {
      ASSERT_TRUE(engine.apply(frame("cfg", i, rng, 0.8f, id)).applied);
    }
    std::string error;
    installed_proto = engine.snapshot_baseline("cam", "30s", /*install=*/false, error);
    ASSERT_TRUE(installed_proto) << error;
    auto cfg = engine.snapshot_baseline("cfg", "30s", false, error);
    ASSERT_TRUE(cfg) << error;
    configured = std::make_shared<const LoadedBaseline>(*baseline_from_proto(*cfg, error));
  }
  o.stream_config = [configured](std::string_view) -> std::optional<StreamConfig> {
    StreamConfig c;
    c.baseline = *configured;
    return c;
  };
  auto frames_of_baseline = [](MonitorEngine& engine) {
    int64_t frames = -1;
    engine.with_stream("cam", [&](const StreamView& v) {
      frames = v.baseline ? v.baseline->stats.stats.frames() : -1;
    });
    return frames;
  };
  {
    MonitorEngine engine(o);
    ASSERT_TRUE(engine.apply(frame("cam", 0, rng, 0.8f, id)).applied);
    EXPECT_EQ(frames_of_baseline(engine), 10);  // nothing installed yet: the configured one
    std::string error;
    auto loaded = baseline_from_proto(*installed_proto, error);
    ASSERT_TRUE(loaded) << error;
    ASSERT_EQ(engine.set_baseline("cam", std::move(*loaded)), "");
    EXPECT_EQ(frames_of_baseline(engine), 300);
    EXPECT_TRUE(fs::exists(StateStore(dir).baseline_path("cam")));
  }
  MonitorEngine engine(o);
  ASSERT_TRUE(engine.apply(frame("cam", 1, rng, 0.8f, id)).applied);
  EXPECT_EQ(frames_of_baseline(engine), 300);  // restored: installed after the configuration
  std::string error;
  EXPECT_FALSE(engine.apply_configured_baseline("cam", configured, error));  // a reload keeps it
  EXPECT_EQ(error, "");
  EXPECT_EQ(frames_of_baseline(engine), 300);
  ASSERT_EQ(engine.revert_baseline("cam"), "");
  EXPECT_EQ(frames_of_baseline(engine), 10);
  EXPECT_FALSE(fs::exists(StateStore(dir).baseline_path("cam")));
  EXPECT_NE(engine.revert_baseline("cam"), "");  // nothing installed any more
  EXPECT_TRUE(engine.apply_configured_baseline("cam", configured, error));
  // A corrupt installed file: counted, the configured baseline applies.
  { std::ofstream(StateStore(dir).baseline_path("other"), std::ios::binary) << "junk"; }
  ASSERT_TRUE(engine.apply(frame("other", 0, rng, 0.8f, id)).applied);
  EXPECT_EQ(engine.counters().state_load_errors, 1u);
  engine.with_stream("other", [](const StreamView& v) {
    ASSERT_NE(v.baseline, nullptr);
    EXPECT_EQ(v.baseline->stats.stats.frames(), 10);
  });
}

}  // namespace
}  // namespace predwatch::daemon
