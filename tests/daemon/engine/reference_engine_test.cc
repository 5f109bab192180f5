// The engine's learned reference: evaluation against it, persistence across a restart
// (StateStore), corrupt files, pin and reset.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "daemon/api/monitor_queries.h"
#include "daemon/baseline/state_store.h"
#include "daemon/engine/monitor_engine.h"

namespace predwatch::daemon {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("predwatch_reference_test_" + name);
  fs::remove_all(d);
  return d;
}

// A stream of persons and cars with random boxes and confidences around `confidence`. The
// event views its frame id in `id`.
core::Event frame(std::string_view stream, int64_t i, std::mt19937& rng, float confidence,
                  std::string& id) {
  core::Event e;
  e.stream = stream;
  id = "f" + std::to_string(i);
  e.frame_id = id;
  e.time_ms = 1'000'000 + i * 100;
  e.width = 100;
  e.height = 100;
  std::uniform_real_distribution<float> u(0.0f, 0.8f), c(-0.1f, 0.1f);
  const int n = 1 + int(rng() % 3);
  for (int k = 0; k < n; ++k) {
    core::NamedDetection d;
    d.class_name = k % 2 ? "car" : "person";
    d.confidence = std::clamp(confidence + c(rng), 0.0f, 1.0f);
    const float x = u(rng), y = u(rng);
    d.box = {x, y, x + 0.15f, y + 0.15f};
    e.detections.push_back(d);
  }
  return e;
}

EngineOptions options(const fs::path& dir, uint64_t frames = 500) {
  EngineOptions o;
  o.stream.windows = {{"30s", core::WindowSpec::Type::kTime, 30'000, 1'000, 5'000, 0}};
  o.stream_config = [](std::string_view) -> std::optional<StreamConfig> { return StreamConfig{}; };
  o.reference.learn = {.frames = frames, .duration_ms = 0, .min_frames = 100};
  o.state_dir = dir.string();
  return o;
}

void feed(MonitorEngine& engine, std::string_view stream, int64_t from, int64_t to,
          std::mt19937& rng, float confidence = 0.8f) {
  std::string id;
  for (int64_t i = from; i < to; ++i)
    ASSERT_TRUE(engine.apply(frame(stream, i, rng, confidence, id)).applied);
}

core::StatsData reference_data(const MonitorEngine& engine, std::string_view stream) {
  core::StatsData d;
  engine.with_stream(stream, [&](const StreamView& v) {
    ASSERT_NE(v.monitor.reference(), nullptr);
    ASSERT_NE(v.monitor.reference()->reference(), nullptr);
    d = v.monitor.reference()->reference()->stats.to_data();
  });
  return d;
}

TEST(StateStore, FileNamesAreSafeAndDistinct) {
  const std::vector<std::string> keys = {"cam-1",
                                         "a/b",
                                         "../../etc/passwd",
                                         "..",
                                         ".",
                                         "caméra 7",
                                         "a%2Fb",
                                         "A_b",
                                         "a.b",
                                         std::string(400, 'x'),
                                         std::string(400, 'x') + "y",
                                         ""};
  std::set<std::string> names;
  for (const std::string& k : keys) {
    const std::string n = StateStore::reference_file_name(k);
    EXPECT_EQ(n.find('/'), std::string::npos) << k;
    EXPECT_NE(n.front(), '.') << k;
    EXPECT_LE(n.size(), 200u) << k;
    for (char c : n)
      EXPECT_TRUE(std::isalnum((unsigned char)c) || c == '%' || c == '_' || c == '-' || c == '.' ||
                  c == '~')
          << k;
    names.insert(n);
  }
  EXPECT_EQ(names.size(), keys.size());
  EXPECT_EQ(StateStore::reference_file_name("a/b"), "ref_a%2Fb.pwref");
  EXPECT_EQ(StateStore::reference_file_name("caméra"), "ref_cam%C3%A9ra.pwref");
  EXPECT_EQ(StateStore::reference_file_name(".."), "ref_%2E%2E.pwref");
}

TEST(ReferenceEngine, LearnsThenEvaluatesAgainstTheReferenceToo) {
  EngineOptions o = options({});
  o.state_dir.clear();
  MonitorEngine engine(o);
  std::mt19937 rng(1);
  feed(engine, "cam", 0, 499, rng);
  engine.evaluate(1'000'000 + 499 * 100);
  engine.with_stream("cam", [](const StreamView& v) {
    EXPECT_EQ(v.monitor.reference()->state(), core::ReferenceState::kLearning);
    EXPECT_TRUE(v.drift.empty());  // no baseline, no reference yet: nothing evaluated
  });
  feed(engine, "cam", 499, 800, rng);
  const auto info = engine.reference_info("cam");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->state, core::ReferenceState::kComplete);
  EXPECT_EQ(info->frames, 500u);
  EXPECT_EQ(info->start_ms, 1'000'000);
  EXPECT_EQ(info->end_ms, 1'000'000 + 499 * 100);
  engine.evaluate(1'000'000 + 800 * 100);
  engine.with_stream("cam", [](const StreamView& v) {
    ASSERT_EQ(v.drift.size(), 1u);  // against the reference alone
    EXPECT_EQ(v.drift[0].against, core::Against::kReference);
    EXPECT_EQ(v.drift[0].baseline_frames, 500u);
    for (const core::DriftFinding& f : v.drift[0].findings) {
      EXPECT_TRUE(
          f.kind == core::AlertKind::kConfidence || f.kind == core::AlertKind::kObjectsPerImage ||
          f.kind == core::AlertKind::kBoxSize || f.kind == core::AlertKind::kObjectsPerFrame)
          << core::alert_kind_name(f.kind);
      EXPECT_FALSE(f.flagged) << core::alert_kind_name(f.kind) << " " << f.subject();
    }
  });
}

TEST(ReferenceEngine, ARestartLoadsTheSavedReferenceIdentically) {
  const fs::path dir = fresh_dir("restart");
  const std::string stream = "site/../cam é";
  core::StatsData learned;
  {
    MonitorEngine engine(options(dir));
    std::mt19937 rng(2);
    feed(engine, stream, 0, 600, rng);
    EXPECT_FALSE(fs::exists(dir / StateStore::reference_file_name(stream)));  // saved by evaluate()
    engine.evaluate(1'000'000 + 600 * 100);
    learned = reference_data(engine, stream);
    EXPECT_EQ(learned.frames, 500);
  }
  EXPECT_TRUE(fs::exists(dir / StateStore::reference_file_name(stream)));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  MonitorEngine restarted(options(dir));
  std::mt19937 rng(3);
  feed(restarted, stream, 10'000, 10'001, rng);  // creates the stream: the reference loads
  const auto info = restarted.reference_info(stream);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->state, core::ReferenceState::kComplete);
  EXPECT_EQ(info->frames, 500u);
  EXPECT_EQ(info->start_ms, 1'000'000);
  EXPECT_EQ(info->end_ms, 1'000'000 + 499 * 100);
  EXPECT_EQ(reference_data(restarted, stream), learned);
  EXPECT_EQ(restarted.counters().reference_load_errors, 0u);
}

// streams.split_model_versions: each version is a stream; a new version copies the previous
// version's complete reference (the one with the newest event), keeps it across a restart,
// and learns its own after a reset. Versions share the configured stream's settings.
TEST(ReferenceEngine, ANewModelVersionStartsWithThePreviousVersionsReference) {
  const fs::path dir = fresh_dir("versions");
  EngineOptions o = options(dir);
  o.split_model_versions = true;
  std::vector<std::string> configured;
  o.stream_config = [&](std::string_view s) -> std::optional<StreamConfig> {
    configured.emplace_back(s);
    return StreamConfig{};
  };
  const auto feed_version = [](MonitorEngine& engine, std::string_view version, int64_t from,
                               int64_t to, std::mt19937& rng) {
    std::string id;
    for (int64_t i = from; i < to; ++i) {
      core::Event e = frame("cam", i, rng, 0.8f, id);
      e.model_version = version;
      ASSERT_TRUE(engine.apply(e).applied);
    }
  };
  core::StatsData v1;
  {
    MonitorEngine engine(o);
    std::mt19937 rng(4);
    feed_version(engine, "v1", 0, 600, rng);    // complete at 500 frames
    feed_version(engine, "v2", 600, 601, rng);  // created now: copies v1's
    engine.evaluate(1'000'000 + 601 * 100);
    EXPECT_EQ(engine.stream_names().size(), 2u);
    v1 = reference_data(engine, "cam@v1");
    EXPECT_EQ(reference_data(engine, "cam@v2"), v1);
    const auto info = engine.reference_info("cam@v2");
    ASSERT_TRUE(info);
    EXPECT_EQ(info->state, core::ReferenceState::kComplete);
    EXPECT_EQ(info->inherited_from, "cam@v1");
    EXPECT_EQ(engine.reference_info("cam@v1")->inherited_from, "");
    // An event without a version stays in the configured stream itself.
    std::string id;
    ASSERT_TRUE(engine.apply(frame("cam", 700, rng, 0.8f, id)).applied);
    EXPECT_EQ(engine.stream_names().size(), 3u);
    // ListStreams: each version with its configured stream and version; `base_stream` keeps
    // one configured stream's.
    v1::ListStreamsRequest req;
    req.set_base_stream("cam");
    v1::ListStreamsResponse resp;
    ASSERT_TRUE(query_list_streams(engine, req, &resp).ok());
    std::map<std::string, std::string> versions;
    for (const v1::StreamInfo& st : resp.streams()) {
      EXPECT_EQ(st.base_stream(), "cam");
      versions[st.stream()] = st.model_version();
      if (st.stream() == "cam@v2") {
        EXPECT_EQ(st.reference().inherited_from(), "cam@v1");
      }
    }
    EXPECT_EQ(versions, (std::map<std::string, std::string>{
                            {"cam", ""}, {"cam@v1", "v1"}, {"cam@v2", "v2"}}));
    req.set_base_stream("cam@v1");  // a version is not a configured stream
    resp.Clear();
    ASSERT_TRUE(query_list_streams(engine, req, &resp).ok());
    EXPECT_EQ(resp.streams_size(), 0);
  }
  EXPECT_EQ(configured, (std::vector<std::string>{"cam", "cam", "cam"}));  // never "cam@v1"
  {
    MonitorEngine restarted(o);
    std::mt19937 rng(5);
    feed_version(restarted, "v2", 800, 801, rng);  // loads the saved, inherited reference
    const auto info = restarted.reference_info("cam@v2");
    ASSERT_TRUE(info);
    EXPECT_EQ(info->inherited_from, "cam@v1");
    EXPECT_EQ(reference_data(restarted, "cam@v2"), v1);
    EXPECT_EQ(restarted.reset_reference("cam@v2"), "");
    EXPECT_EQ(restarted.reference_info("cam@v2")->inherited_from, "");
    EXPECT_EQ(restarted.reference_info("cam@v2")->state, core::ReferenceState::kLearning);
  }
  // Without split_model_versions the version is only a label: one stream.
  o.split_model_versions = false;
  MonitorEngine single(o);
  std::mt19937 rng(6);
  feed_version(single, "v1", 0, 10, rng);
  feed_version(single, "v2", 10, 20, rng);
  EXPECT_EQ(single.stream_names().size(), 1u);
}

TEST(ReferenceEngine, ACorruptOrForeignFileIsCountedAndTheStreamRelearns) {
  const fs::path dir = fresh_dir("corrupt");
  fs::create_directories(dir);
  {
    std::ofstream(dir / StateStore::reference_file_name("cam"), std::ios::binary)
        << "not a protobuf";
  }
  MonitorEngine engine(options(dir));
  std::mt19937 rng(4);
  feed(engine, "cam", 0, 10, rng);
  EXPECT_EQ(engine.counters().reference_load_errors, 1u);
  EXPECT_EQ(engine.reference_info("cam")->state, core::ReferenceState::kLearning);
  EXPECT_EQ(engine.reference_info("cam")->frames, 10u);
  feed(engine, "cam", 10, 500, rng);
  engine.evaluate(1'000'000 + 500 * 100);  // the relearned reference replaces the bad file
  const core::StatsData relearned = reference_data(engine, "cam");

  // Another stream's reference under this stream's name: foreign, rejected.
  fs::copy_file(dir / StateStore::reference_file_name("cam"),
                dir / StateStore::reference_file_name("cam2"));
  feed(engine, "cam2", 0, 1, rng);
  EXPECT_EQ(engine.counters().reference_load_errors, 2u);
  EXPECT_EQ(engine.reference_info("cam2")->state, core::ReferenceState::kLearning);

  MonitorEngine restarted(options(dir));
  feed(restarted, "cam", 1000, 1001, rng);
  EXPECT_EQ(restarted.counters().reference_load_errors, 0u);
  EXPECT_EQ(reference_data(restarted, "cam"), relearned);
}

TEST(ReferenceEngine, PinAndResetArePersisted) {
  const fs::path dir = fresh_dir("pin");
  MonitorEngine engine(options(dir, 100'000));
  std::mt19937 rng(5);
  feed(engine, "cam", 0, 300, rng);
  EXPECT_EQ(engine.reference_info("cam")->state, core::ReferenceState::kLearning);
  EXPECT_NE(engine.pin_reference("cam", "nope"), "");
  EXPECT_NE(engine.pin_reference("other", ""), "");
  ASSERT_EQ(engine.pin_reference("cam", "30s"), "");
  const auto info = engine.reference_info("cam");
  EXPECT_EQ(info->state, core::ReferenceState::kPinned);
  core::StatsData window;
  engine.with_stream("cam",
                     [&](const StreamView& v) { window = v.monitor.window(0).totals().to_data(); });
  EXPECT_EQ(int64_t(info->frames), window.frames);
  EXPECT_EQ(reference_data(engine, "cam"), window);
  ASSERT_TRUE(fs::exists(dir / StateStore::reference_file_name("cam")));  // saved at once
  {
    MonitorEngine restarted(options(dir, 100'000));
    feed(restarted, "cam", 1000, 1001, rng);
    EXPECT_EQ(restarted.reference_info("cam")->state, core::ReferenceState::kPinned);
    EXPECT_EQ(reference_data(restarted, "cam"), window);
  }
  ASSERT_EQ(engine.reset_reference("cam"), "");
  EXPECT_FALSE(fs::exists(dir / StateStore::reference_file_name("cam")));
  EXPECT_EQ(engine.reference_info("cam")->state, core::ReferenceState::kLearning);
  EXPECT_EQ(engine.reference_info("cam")->frames, 0u);
  feed(engine, "cam", 300, 301, rng);
  EXPECT_EQ(engine.reference_info("cam")->frames, 1u);
}

TEST(ReferenceEngine, DisabledLearnsNothing) {
  EngineOptions o = options({});
  o.reference.enabled = false;
  MonitorEngine engine(o);
  std::mt19937 rng(6);
  feed(engine, "cam", 0, 600, rng);
  EXPECT_FALSE(engine.reference_info("cam"));
  EXPECT_EQ(engine.evaluate(1'000'000 + 600 * 100).reports, 0u);
}

}  // namespace
}  // namespace predwatch::daemon
