// EngineConfig: the mapping from config::Settings to MonitorEngine options.
#include "daemon/app/engine_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.h"
#include "daemon/dataset/class_mapping.h"
#include "tests/support/predwatchd_process.h"

namespace predwatch::daemon {
namespace {

config::Settings Load(const std::string& yaml) {
  config::LoadResult r = config::load_config_string(yaml, "test.yaml");
  EXPECT_TRUE(r.ok()) << r.error_text();
  return r.settings.value_or(config::Settings{});
}

TEST(EngineConfig, WindowsLayoutAndLimitsAreMapped) {
  const config::Settings s = Load(
      "windows:\n"
      "  - {name: a, length: 2m, pane: 20s, allowed_lateness: 30s}\n"
      "  - {name: b, type: count, frames: 500}\n"
      "statistics: {heatmap_grid: 8, exemplars_per_key: 3, max_classes: 50,\n"
      "             max_detections_per_event: 100}\n"
      "metrics: {max_classes_exported: 50}\n"
      "streams: {max_streams: 7}\n"
      "limits: {max_detections_per_event: 123}\n"
      "alerting: {for_evaluations: 4, resolve_evaluations: 2, resolve_ratio: 0.5}\n");
  std::string error;
  auto c = make_engine_config(s, error);
  ASSERT_TRUE(c) << error;
  const EngineOptions& o = c->options;
  ASSERT_EQ(o.stream.windows.size(), 2u);
  EXPECT_EQ(o.stream.windows[0].name, "a");
  EXPECT_EQ(o.stream.windows[0].type, core::WindowSpec::Type::kTime);
  EXPECT_EQ(o.stream.windows[0].length_ms, 120'000);
  EXPECT_EQ(o.stream.windows[0].pane_ms, 20'000);
  EXPECT_EQ(o.stream.windows[0].allowed_lateness_ms, 30'000);
  EXPECT_EQ(o.stream.windows[1].type, core::WindowSpec::Type::kCount);
  EXPECT_EQ(o.stream.windows[1].frames, 500u);
  EXPECT_EQ(o.stream.layout.heatmap_grid, 8u);
  EXPECT_EQ(o.stream.exemplars.per_key, 3u);
  EXPECT_EQ(o.stream.max_classes, 50u);
  EXPECT_EQ(o.max_streams, 7u);
  EXPECT_EQ(o.max_detections_per_event, 123u);
  EXPECT_EQ(o.alerting.for_evaluations, 4u);
  EXPECT_EQ(o.alerting.resolve_evaluations, 2u);
  EXPECT_DOUBLE_EQ(o.alerting.resolve_ratio, 0.5);
}

core::NamedDetection Detection(std::string_view name, float confidence) {
  core::NamedDetection d;
  d.class_name = name;
  d.confidence = confidence;
  d.box = {0.2f, 0.2f, 0.3f, 0.4f};
  return d;
}

core::Event Event(std::string_view id, std::vector<core::NamedDetection> detections) {
  core::Event e;
  e.stream = "cam";
  e.frame_id = id;
  e.time_ms = 1000;
  e.detections = std::move(detections);
  return e;
}

// statistics.max_detections_per_event: only the most confident detections of an event
// enter the statistics; limits.max_detections_per_event rejects the whole event.
// The rebuild horizon: the longest time window plus its lateness (count windows do not
// count) plus limits.max_future_skew (default 5m: an accepted event's message may be that much
// older than the event), or kafka.rebuild_horizon when set.
TEST(EngineConfig, RebuildHorizonCoversTheTimeWindowsOrIsSet) {
  const std::string windows =
      "windows:\n"
      "  - {name: 5m, type: time, length: 5m, pane: 10s, allowed_lateness: 2m}\n"
      "  - {name: 1h, type: time, length: 1h, pane: 1m, allowed_lateness: 30s}\n"
      "  - {name: last10k, type: count, frames: 10000}\n";
  EXPECT_EQ(rebuild_horizon_ms(Load(windows)), 3'600'000 + 30'000 + 300'000);
  EXPECT_EQ(rebuild_horizon_ms(Load(windows + "limits:\n  max_future_skew: 0s\n")),
            3'600'000 + 30'000);
  EXPECT_EQ(rebuild_horizon_ms(Load(windows + "kafka:\n  rebuild_horizon: 3h\n")), 10'800'000);
  const std::string count_only = "windows:\n  - {name: n, type: count, frames: 100}\n";
  EXPECT_EQ(rebuild_horizon_ms(Load(count_only)), 0);
  // Only count windows and no horizon: nothing would be replayed, which startup warns about.
  EXPECT_EQ(rebuild_horizon_warning(Load(windows)), "");
  EXPECT_NE(rebuild_horizon_warning(Load(count_only)).find("kafka.rebuild_horizon"),
            std::string::npos);
  EXPECT_EQ(rebuild_horizon_warning(Load(count_only + "kafka:\n  rebuild_horizon: 2h\n")), "");
  EXPECT_EQ(rebuild_horizon_warning(Load(count_only + "kafka:\n  rebuild: false\n")), "");
}

// Routing labels: a stream's own entry, else the "*" entry; a listed stream without labels
// has none; no labels anywhere: no resolver at all.
TEST(EngineConfig, StreamLabelsComeFromTheStreamsEntryOrTheTemplate) {
  using L = std::vector<std::pair<std::string, std::string>>;
  const auto labels =
      stream_labels(Load("streams:\n  entries:\n"
                         "    - {key: '*', labels: {team: vision}}\n"
                         "    - {key: gate, labels: {team: security, site: north}}\n"
                         "    - {key: plain}\n"));
  ASSERT_TRUE(labels);
  EXPECT_EQ(labels("gate"), (L{{"site", "north"}, {"team", "security"}}));
  EXPECT_EQ(labels("anything"), (L{{"team", "vision"}}));
  EXPECT_EQ(labels("plain"), L{});
  EXPECT_FALSE(stream_labels(Load("streams:\n  entries:\n    - {key: a}\n")));
}

TEST(EngineConfig, ReferenceSettingsAreMapped) {
  const config::Settings s = Load(
      "reference: {frames: 500, duration: 2m, min_frames: 50, kinds: [confidence, spatial]}\n"
      "state: {dir: /tmp/predwatch-state}\n");
  std::string error;
  auto c = make_engine_config(s, error);
  ASSERT_TRUE(c) << error;
  const ReferenceSettings& r = c->options.reference;
  EXPECT_TRUE(r.enabled);
  EXPECT_EQ(r.learn.frames, 500u);
  EXPECT_EQ(r.learn.duration_ms, 120'000);
  EXPECT_EQ(r.learn.min_frames, 50u);
  for (size_t k = 0; k < core::kAlertKindCount; ++k) {
    const bool on =
        k == size_t(core::AlertKind::kConfidence) || k == size_t(core::AlertKind::kSpatial);
    EXPECT_EQ(r.kinds[k], on) << core::alert_kind_name(core::AlertKind(k));
  }
  EXPECT_EQ(c->options.state_dir, "/tmp/predwatch-state");
  auto d = make_engine_config(Load("reference: {enabled: false}\n"), error);
  ASSERT_TRUE(d) << error;
  EXPECT_FALSE(d->options.reference.enabled);
  // Defaults: the kinds a training baseline cannot judge.
  auto e = make_engine_config(Load(""), error);
  ASSERT_TRUE(e) << error;
  EXPECT_EQ(e->options.reference.kinds, ReferenceSettings::default_kinds());
  EXPECT_EQ(e->options.reference.learn.frames, 36'000u);
  EXPECT_EQ(e->options.reference.learn.duration_ms, 3'600'000);
  EXPECT_EQ(e->options.reference.learn.min_frames, 2'000u);
}

TEST(EngineConfig, DetectionLimitsTakeEffect) {
  const config::Settings s = Load(
      "statistics: {max_detections_per_event: 2}\n"
      "limits: {max_detections_per_event: 3}\n");
  std::string error;
  auto c = make_engine_config(s, error);
  ASSERT_TRUE(c) << error;
  MonitorEngine engine(c->options);
  EXPECT_TRUE(engine
                  .apply(Event("f1", {Detection("low", 0.1f), Detection("high", 0.9f),
                                      Detection("mid", 0.5f)}))
                  .applied);
  EXPECT_EQ(
      engine.apply(Event("f2", std::vector<core::NamedDetection>(4, Detection("x", 0.5f)))).reason,
      "too_many_detections");
  ASSERT_TRUE(engine.with_stream("cam", [](const StreamView& v) {
    EXPECT_EQ(v.monitor.capped_objects(), 1u);
    EXPECT_NE(v.monitor.classes().find("high"), core::ClassRegistry::kNotFound);
    EXPECT_NE(v.monitor.classes().find("mid"), core::ClassRegistry::kNotFound);
    EXPECT_EQ(v.monitor.classes().find("low"), core::ClassRegistry::kNotFound);
    EXPECT_EQ(v.monitor.window(0).totals().frames(), 1);
    EXPECT_EQ(v.monitor.window(0).totals().objects(), 2);
  }));
}

// statistics.max_classes (the one class limit; limits.max_classes was the same setting):
// further classes of a stream fold into "__other__", counted.
TEST(EngineConfig, ClassLimitTakesEffect) {
  const config::Settings s = Load(
      "statistics: {max_classes: 3}\n"
      "metrics: {max_classes_exported: 3}\n");
  std::string error;
  auto c = make_engine_config(s, error);
  ASSERT_TRUE(c) << error;
  MonitorEngine engine(c->options);
  EXPECT_TRUE(engine
                  .apply(Event("f1", {Detection("a", 0.9f), Detection("b", 0.9f),
                                      Detection("c", 0.9f), Detection("d", 0.9f)}))
                  .applied);
  ASSERT_TRUE(engine.with_stream("cam", [](const StreamView& v) {
    EXPECT_EQ(v.monitor.classes().names(),
              (std::vector<std::string>{"a", "b", std::string(core::ClassRegistry::kOtherName)}));
    EXPECT_EQ(v.monitor.classes().overflowed_names(), 2u);
  }));
}

TEST(EngineConfig, ThresholdsResolvePerStreamThenPerClassAndCarryEnabledKinds) {
  const config::Settings s = Load(
      "drift:\n"
      "  thresholds: {js_distance: 0.2, psi: 0.3, min_frames: 50, correction: bonferroni,\n"
      "               measure: hellinger, hellinger_warn: 0.2, min_class_images: 12,\n"
      "               min_rate_ratio: 3}\n"
      "  per_stream: {cam: {js_distance: 0.25, alpha: 0.01}}\n"
      "  per_class: {person: {js_distance: 0.05}}\n"
      "  kinds: [spatial, novel_pair]\n");
  std::string error;
  auto c = make_engine_config(s, error);
  ASSERT_TRUE(c) << error;
  const auto& resolve = c->options.thresholds;
  EXPECT_DOUBLE_EQ(resolve("other", "").js_distance, 0.2);
  EXPECT_DOUBLE_EQ(resolve("cam", "").js_distance, 0.25);
  EXPECT_DOUBLE_EQ(resolve("cam", "").alpha, 0.01);
  EXPECT_DOUBLE_EQ(resolve("cam", "person").js_distance, 0.05);
  EXPECT_DOUBLE_EQ(resolve("cam", "person").alpha, 0.01);  // per-stream layer kept
  EXPECT_DOUBLE_EQ(resolve("other", "car").psi, 0.3);
  EXPECT_EQ(resolve("other", "").min_frames, 50u);
  EXPECT_EQ(resolve("other", "").correction, core::DriftThresholds::Correction::kBonferroni);
  EXPECT_EQ(resolve("other", "").measure, core::DriftThresholds::Measure::kHellinger);
  EXPECT_DOUBLE_EQ(resolve("other", "").hellinger_warn, 0.2);
  EXPECT_EQ(resolve("other", "").min_class_images, 12u);
  EXPECT_DOUBLE_EQ(resolve("other", "").min_rate_ratio, 3.0);
  const core::DriftThresholds t = resolve("x", "");
  for (size_t k = 0; k < core::kAlertKindCount; ++k) {
    const auto kind = core::AlertKind(k);
    EXPECT_EQ(t.is_enabled(kind),
              kind == core::AlertKind::kSpatial || kind == core::AlertKind::kNovelPair)
        << core::alert_kind_name(kind);
  }
}

TEST(EngineConfig, StreamAdmission) {
  std::string error;
  // No entries: every stream is accepted with defaults.
  auto open = make_engine_config(Load(""), error);
  ASSERT_TRUE(open);
  EXPECT_TRUE(open->options.stream_config("anything"));

  // Entries without "*": only the listed keys.
  auto closed =
      make_engine_config(Load("streams:\n  entries:\n    - key: cam\n      classes: [person, car]\n"
                              "      windows: [5m]\n"),
                         error);
  ASSERT_TRUE(closed) << error;
  EXPECT_FALSE(closed->options.stream_config("other"));
  auto cam = closed->options.stream_config("cam");
  ASSERT_TRUE(cam);
  EXPECT_EQ(cam->windows, std::vector<std::string>{"5m"});
  EXPECT_EQ(cam->naming.index_names, (std::vector<std::string>{"person", "car"}));

  // With "*": the template serves the rest.
  auto templ = make_engine_config(
      Load("streams:\n  entries:\n    - key: '*'\n      windows: [1h]\n    - key: cam\n"), error);
  ASSERT_TRUE(templ) << error;
  auto other = templ->options.stream_config("other");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->windows, std::vector<std::string>{"1h"});
  EXPECT_TRUE(templ->options.stream_config("cam")->windows.empty());
}

TEST(EngineConfig, ClassMapBecomesTheStreamsNaming) {
  testing::TempDir dir;
  const auto map = dir.write("map.yaml", "map:\n  motorbike: motorcycle\nignore: [dontcare]\n");
  const auto cfg = dir.write(
      "c.yaml", "streams:\n  entries:\n    - key: cam\n      class_map: " + map.string() + "\n");
  config::LoadResult r = config::load_config_file(cfg);
  ASSERT_TRUE(r.ok()) << r.error_text();
  std::string error;
  auto c = make_engine_config(*r.settings, error);
  ASSERT_TRUE(c) << error;
  auto cam = c->options.stream_config("cam");
  ASSERT_TRUE(cam);
  EXPECT_EQ(cam->naming.class_map.at("motorbike"), "motorcycle");
  EXPECT_EQ(cam->naming.class_map.at("dontcare"), "");  // dropped
  EXPECT_EQ(cam->naming.class_map.size(), 2u);
}

TEST(EngineConfig, BaselineWithAnotherLayoutIsRejectedNamingTheFile) {
  testing::TempDir dir;
  // A real baseline (COCO128 annotations) with an 8x8 heatmap, against the default 16.
  core::StatsLayout other;
  other.heatmap_grid = 8;
  DatasetBuild build;
  ClassMapping identity;
  ASSERT_EQ(
      build_dataset_stats(std::string(PREDWATCH_TEST_DATA) + "/coco128/instances_train2017.json",
                          "coco", {}, identity, other, build),
      "");
  const auto file = dir.path() / "b.pb";
  ASSERT_EQ(save_baseline(file, make_baseline(build.stats, build.class_names,
                                              core::BaselineKind::kTrainingAnnotations)),
            "");
  const auto cfg = dir.write(
      "c.yaml", "streams:\n  entries:\n    - key: cam\n      baseline: " + file.string() + "\n");
  config::LoadResult r = config::load_config_file(cfg);
  ASSERT_TRUE(r.ok()) << r.error_text();
  std::string error;
  EXPECT_FALSE(make_engine_config(*r.settings, error));
  EXPECT_THAT(error, ::testing::HasSubstr("b.pb"));
  EXPECT_THAT(error, ::testing::HasSubstr("heatmap_grid"));
}

}  // namespace
TEST(EngineConfig, ToCoreThresholdsMapsEveryConfiguredField) {
  config::DriftThresholds t;
  t.js_distance = 0.2;
  t.psi_warn = 0.15;
  t.psi = 0.3;
  t.hellinger = 0.5;
  t.alpha = 0.01;
  t.min_frames = 123;
  t.min_pair_count = 7;
  t.correction = config::Correction::kBonferroni;
  t.smoothing_epsilon = 1e-3;
  const core::DriftThresholds c =
      to_core_thresholds(t, {config::DriftKind::kSpatial, config::DriftKind::kNovelPair});
  EXPECT_EQ(c.js_distance, 0.2);
  EXPECT_EQ(c.psi_warn, 0.15);
  EXPECT_EQ(c.psi, 0.3);
  EXPECT_EQ(c.hellinger, 0.5);
  EXPECT_EQ(c.alpha, 0.01);
  EXPECT_EQ(c.min_frames, 123u);
  EXPECT_EQ(c.min_pair_count, 7u);
  EXPECT_EQ(c.correction, core::DriftThresholds::Correction::kBonferroni);
  EXPECT_EQ(c.smoothing_epsilon, 1e-3);
  for (size_t k = 0; k < core::kAlertKindCount; ++k) {
    const auto kind = core::AlertKind(k);
    EXPECT_EQ(c.is_enabled(kind),
              kind == core::AlertKind::kSpatial || kind == core::AlertKind::kNovelPair)
        << alert_kind_name(kind);
  }
}

}  // namespace predwatch::daemon
