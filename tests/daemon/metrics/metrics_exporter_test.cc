// The metrics endpoint scraped over HTTP: values against recounts of the recorded frames and
// the engine's reports, cardinality caps, and `promtool check metrics` on the exposition.
#include "daemon/metrics/metrics_exporter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "daemon/app/engine_config.h"
#include "tests/support/http_get.h"
#include "tests/support/traffic_env.h"

namespace predwatch::daemon {
namespace {

// An exporter of `engine` with `options`, bound to a loopback port the system chooses;
// null (with a test failure naming the error) when it cannot start.
std::unique_ptr<MetricsExporter> loopback_exporter(const MonitorEngine& engine,
                                                   MetricsOptions options = {}) {
  options.bind = "127.0.0.1:0";
  std::string error;
  auto exporter = MetricsExporter::Start(
      engine, [] { return nullptr; }, options, error);
  EXPECT_TRUE(exporter) << error;
  return exporter;
}

// "name{labels}" -> value, for every sample line.
std::map<std::string, double> parse(const std::string& body) {
  std::map<std::string, double> out;
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.rfind(' ');
    const std::string v = line.substr(sp + 1);
    out[line.substr(0, sp)] = v == "Nan" ? NAN : std::stod(v);
  }
  return out;
}

std::string series(const std::string& name,
                   std::vector<std::pair<std::string, std::string>> labels) {
  std::string s = name;
  if (!labels.empty()) {
    s += "{";
    for (size_t i = 0; i < labels.size(); ++i) {
      s += (i ? "," : "") + labels[i].first + "=\"" + labels[i].second + "\"";
    }
    s += "}";
  }
  return s;
}

size_t count_prefix(const std::map<std::string, double>& m, const std::string& prefix) {
  size_t n = 0;
  for (const auto& [k, v] : m) n += k.rfind(prefix, 0) == 0;
  return n;
}

struct Recount {
  std::map<std::string, double> objects, images;
  double total = 0;
};
Recount recount(const std::vector<const testing::RecordedFrame*>& frames) {
  Recount r;
  for (const auto* f : frames) {
    std::set<std::string> present;
    for (const auto& d : f->detections) {
      r.objects[d.first] += 1;
      r.total += 1;
      present.insert(d.first);
    }
    for (const auto& c : present) r.images[c] += 1;
  }
  return r;
}

std::string promtool_check(const std::string& body, int& exit_code) {
  char path[] = "/tmp/predwatch_metrics_XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  ::close(fd);
  std::ofstream(path) << body;
  const std::string cmd = std::string("promtool check metrics < ") + path + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  exit_code = pclose(p);
  std::remove(path);
  return out;
}

TEST(MetricsExporter, EightyClassesWithDefaultCaps) {
  testing::TrafficEnv env(80, 3000);
  env.engine->evaluate(env.now_ms);
  size_t state_after_evaluation = 0;
  env.engine->for_each_stream(
      [&](const StreamView& v) { state_after_evaluation += v.monitor.bytes(); });
  auto exporter = loopback_exporter(*env.engine);
  ASSERT_TRUE(exporter);
  exporter->observe_apply(std::chrono::microseconds(3));
  exporter->observe_evaluation(std::chrono::milliseconds(20));
  auto [status, body] = testing::http_get(exporter->port(), "/metrics");
  ASSERT_EQ(status, 200);
  const auto m = parse(body);

  EXPECT_LE(m.size(), 5000u);
  // The dropped counters exist from the start, all at 0: the caps cut nothing here.
  EXPECT_GT(count_prefix(m, "predwatch_series_dropped_total"), 0u);
  for (const auto& [name, v] : m) {
    if (name.rfind("predwatch_series_dropped_total", 0) == 0) {
      EXPECT_EQ(v, 0) << name;
    }
  }
  EXPECT_EQ(m.at("predwatch_ready"), 0);
  EXPECT_EQ(m.at("predwatch_evaluations_total"), 1);
  // The state the engine measured at the end of that evaluation: the streams'
  // StreamMonitor::bytes ("ref" and "cam"), summed here right after it (the scrape itself
  // fills caches); no evaluation deferred (no Kafka rebuild here).
  EXPECT_GT(state_after_evaluation, 0u);
  EXPECT_EQ(m.at("predwatch_state_bytes"), double(state_after_evaluation));
  EXPECT_EQ(m.at("predwatch_evaluations_deferred_total"), 0);
  // No min_confidence set: no series for it (the series formula is unchanged).
  EXPECT_EQ(m.count(series("predwatch_objects_limited_total",
                           {{"stream", "cam"}, {"limit", "min_confidence"}})),
            0u);
  EXPECT_EQ(m.at(series("predwatch_events_applied_total", {{"stream", "cam"}})), 3000);
  EXPECT_EQ(m.at(series("predwatch_objects_limited_total",
                        {{"stream", "cam"}, {"limit", "max_classes"}})),
            0);
  EXPECT_EQ(m.at(series("predwatch_objects_limited_total",
                        {{"stream", "cam"}, {"limit", "max_detections_per_event"}})),
            0);
  EXPECT_EQ(m.at(series("predwatch_window_frames", {{"stream", "cam"}, {"window", "last2k"}})),
            2000);
  EXPECT_EQ(m.at(series("predwatch_window_fill_ratio", {{"stream", "cam"}, {"window", "last2k"}})),
            1);
  // Last event at kT0 + 299.9 s.
  EXPECT_DOUBLE_EQ(m.at(series("predwatch_last_event_timestamp_seconds", {{"stream", "cam"}})),
                   double(testing::TrafficEnv::kT0 + 299'900) / 1000.0);
  EXPECT_EQ(m.at("predwatch_apply_duration_seconds_count"), 1);
  EXPECT_EQ(m.at("predwatch_evaluation_duration_seconds_count"), 1);
  EXPECT_NEAR(m.at("predwatch_evaluation_duration_seconds_sum"), 0.02, 1e-12);

  // Every class of the count window, recounted from the recorded frames.
  const Recount want = recount(env.last(2000));
  ASSERT_EQ(want.objects.size(), 82u);  // k00..k79, toilet, giraffe
  for (const auto& [cls, objects] : want.objects) {
    const std::vector<std::pair<std::string, std::string>> l = {
        {"stream", "cam"}, {"window", "last2k"}, {"class", cls}};
    EXPECT_EQ(m.at(series("predwatch_class_objects", l)), objects) << cls;
    EXPECT_EQ(m.at(series("predwatch_class_images", l)), want.images.at(cls)) << cls;
    EXPECT_NEAR(m.at(series("predwatch_class_share", l)), objects / want.total, 1e-12) << cls;
    EXPECT_TRUE(m.count(series("predwatch_class_mean_confidence", l))) << cls;
  }
  // Baseline shares: the baseline is a snapshot of "ref"'s last2k window.
  double share_sum = 0;
  for (const auto& [k, v] : m)
    if (k.rfind("predwatch_class_baseline_share{stream=\"cam\"", 0) == 0) share_sum += v;
  EXPECT_NEAR(share_sum, 1.0, 1e-9);

  // Drift scores: each tested finding of the last evaluation, with its threshold.
  size_t tested = 0;
  env.engine->with_stream("cam", [&](const StreamView& v) {
    for (const auto& r : v.drift) {
      for (const auto& f : r.findings) {
        if (!f.tested || !std::isfinite(f.score) || !f.subject_b.empty()) continue;
        ++tested;
        const std::vector<std::pair<std::string, std::string>> l = {
            {"stream", "cam"},
            {"window", r.window},
            {"kind", std::string(core::alert_kind_name(f.kind))},
            {"subject", f.subject_a.empty() ? "*" : f.subject_a},
            {"measure", f.measure},
            {"against", std::string(core::against_name(r.against))}};
        ASSERT_TRUE(m.count(series("predwatch_drift_score", l)))
            << series("predwatch_drift_score", l);
        EXPECT_NEAR(m.at(series("predwatch_drift_score", l)), f.score,
                    1e-9 * (1 + std::fabs(f.score)));
        EXPECT_NEAR(m.at(series("predwatch_drift_threshold", l)), f.threshold, 1e-12);
      }
    }
  });
  EXPECT_GT(tested, 0u);
  // The learned references (default completion: 36000 frames or 1 h) are still learning.
  EXPECT_EQ(m.at(series("predwatch_reference_frames", {{"stream", "cam"}})), 3000);
  EXPECT_EQ(m.at(series("predwatch_reference_complete", {{"stream", "cam"}})), 0);
  EXPECT_EQ(m.at(series("predwatch_reference_frames", {{"stream", "ref"}})), 4000);
  EXPECT_EQ(m.at("predwatch_reference_load_errors_total"), 0);

  int rc = -1;
  const std::string lint = promtool_check(body, rc);
  EXPECT_EQ(rc, 0) << lint;
  EXPECT_EQ(lint, "");

  exporter->set_ready(true);
  auto [s2, b2] = testing::http_get(exporter->port(), "/metrics");
  EXPECT_EQ(parse(b2).at("predwatch_ready"), 1);
}

// Alerts: one series per (stream, kind, subject), whatever number of windows agree; no window
// label (the windows are details of the alert, in the gRPC API).
TEST(MetricsExporter, OneAlertSeriesPerStreamKindAndSubject) {
  testing::TrafficEnv env(8, 3000);
  ASSERT_EQ(env.inject_novel_pair(), "");
  const std::vector<core::Alert> alerts = env.engine->alerts();
  ASSERT_FALSE(alerts.empty());
  size_t windows = 0;
  env.engine->with_stream("cam", [&](const StreamView& v) { windows = v.monitor.window_count(); });
  EXPECT_GT(windows, 1u);

  auto exporter = loopback_exporter(*env.engine);
  ASSERT_TRUE(exporter);
  auto [status, body] = testing::http_get(exporter->port(), "/metrics");
  ASSERT_EQ(status, 200);
  const auto m = parse(body);
  EXPECT_EQ(count_prefix(m, "predwatch_alert_firing{"), alerts.size());
  for (const core::Alert& a : alerts) {
    const core::AlertKey& k = a.last.key;
    EXPECT_TRUE(m.count(
        series("predwatch_alert_firing", {{"stream", k.stream},
                                          {"kind", std::string(core::alert_kind_name(k.kind))},
                                          {"subject", k.subject.empty() ? "*" : k.subject}})))
        << core::alert_kind_name(k.kind) << " " << k.subject;
  }

  // With routing labels (streams.entries[].labels) the same series carry them, for cam only;
  // a reload replaces them.
  MetricsOptions labelled;
  labelled.stream_labels = [](std::string_view stream) {
    return stream == "cam" ? std::vector<std::pair<std::string, std::string>>{{"site", "plant-3"},
                                                                              {"team", "vision"}}
                           : std::vector<std::pair<std::string, std::string>>{};
  };
  auto with_labels = loopback_exporter(*env.engine, labelled);
  ASSERT_TRUE(with_labels);
  auto scrape = [&] { return parse(testing::http_get(with_labels->port(), "/metrics").second); };
  const auto ml = scrape();
  EXPECT_EQ(count_prefix(ml, "predwatch_alert_firing{"), alerts.size());
  for (const core::Alert& a : alerts) {
    const core::AlertKey& k = a.last.key;
    EXPECT_TRUE(ml.count(
        series("predwatch_alert_firing", {{"stream", k.stream},
                                          {"kind", std::string(core::alert_kind_name(k.kind))},
                                          {"subject", k.subject.empty() ? "*" : k.subject},
                                          {"site", "plant-3"},
                                          {"team", "vision"}})))
        << core::alert_kind_name(k.kind) << " " << k.subject;
  }
  with_labels->set_stream_labels([](std::string_view) {
    return std::vector<std::pair<std::string, std::string>>{{"team", "ops"}};
  });
  const auto reloaded = scrape();
  const core::AlertKey& k0 = alerts.front().last.key;
  EXPECT_TRUE(reloaded.count(
      series("predwatch_alert_firing", {{"stream", k0.stream},
                                        {"kind", std::string(core::alert_kind_name(k0.kind))},
                                        {"subject", k0.subject.empty() ? "*" : k0.subject},
                                        {"team", "ops"}})));
}

// The state.dir series exist only with a state directory: a restarted engine reports the
// alerts it took over (the other test engines persist nothing and export none of them).
TEST(MetricsExporter, RestoredAlertsAreCountedWithAStateDirectory) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / "predwatch_metrics_state_test";
  std::filesystem::remove_all(dir);
  EngineOptions o = testing::engine_options();
  o.state_dir = dir.string();
  size_t active = 0;
  {
    testing::TrafficEnv env(8, 3000, o);
    ASSERT_EQ(env.inject_novel_pair(), "");
    active = env.engine->alerts().size();
    ASSERT_GT(active, 0u);
    env.engine->save_state(env.now_ms);
    auto exporter = loopback_exporter(*env.engine);
    ASSERT_TRUE(exporter);
    const auto m = parse(testing::http_get(exporter->port(), "/metrics").second);
    EXPECT_EQ(m.at("predwatch_alerts_restored_total"), 0);
  }
  MonitorEngine restarted(o);
  auto exporter = loopback_exporter(restarted);
  ASSERT_TRUE(exporter);
  auto [status, body] = testing::http_get(exporter->port(), "/metrics");
  ASSERT_EQ(status, 200);
  const auto m = parse(body);
  EXPECT_EQ(m.at("predwatch_alerts_restored_total"), double(active));
  EXPECT_EQ(m.at("predwatch_state_load_errors_total"), 0);
  EXPECT_EQ(m.at("predwatch_state_save_errors_total"), 0);
  EXPECT_EQ(count_prefix(m, "predwatch_alert_firing{"), restarted.alerts().size());
  int rc = -1;
  const std::string lint = promtool_check(body, rc);
  EXPECT_EQ(rc, 0) << lint;

  MonitorEngine stateless(testing::engine_options());
  auto plain = loopback_exporter(stateless);
  ASSERT_TRUE(plain);
  const auto none = parse(testing::http_get(plain->port(), "/metrics").second);
  EXPECT_EQ(none.count("predwatch_alerts_restored_total"), 0u);
  EXPECT_EQ(none.count("predwatch_state_load_errors_total"), 0u);
}

// Scores against the learned reference carry against="reference", those against the baseline
// against="baseline"; the reference's state is a gauge per stream.
TEST(MetricsExporter, ScoresVsBaselineAndVsReferenceAreSeparateSeries) {
  EngineOptions o = testing::engine_options();
  o.reference.learn = {.frames = 1000, .duration_ms = 0, .min_frames = 100};
  testing::TrafficEnv env(8, 3000, o);
  env.engine->evaluate(env.now_ms);
  auto exporter = loopback_exporter(*env.engine);
  ASSERT_TRUE(exporter);
  auto [status, body] = testing::http_get(exporter->port(), "/metrics");
  ASSERT_EQ(status, 200);
  const auto m = parse(body);
  EXPECT_EQ(m.at(series("predwatch_reference_frames", {{"stream", "cam"}})), 1000);
  EXPECT_EQ(m.at(series("predwatch_reference_complete", {{"stream", "cam"}})), 1);
  std::map<std::string, size_t> by_against;
  env.engine->with_stream("cam", [&](const StreamView& v) {
    for (const auto& r : v.drift) {
      for (const auto& f : r.findings) {
        if (!f.tested || !std::isfinite(f.score) || !f.subject_b.empty()) continue;
        const std::string against(core::against_name(r.against));
        ++by_against[against];
        const auto l = std::vector<std::pair<std::string, std::string>>{
            {"stream", "cam"},
            {"window", r.window},
            {"kind", std::string(core::alert_kind_name(f.kind))},
            {"subject", f.subject_a.empty() ? "*" : f.subject_a},
            {"measure", f.measure},
            {"against", against}};
        if (!f.subject_a.empty() && !f.flagged &&
            !m.count(series("predwatch_class_objects",
                            {{"stream", "cam"}, {"window", r.window}, {"class", f.subject_a}})))
          continue;  // outside the class cap
        ASSERT_TRUE(m.count(series("predwatch_drift_score", l)))
            << series("predwatch_drift_score", l);
        EXPECT_NEAR(m.at(series("predwatch_drift_score", l)), f.score,
                    1e-9 * (1 + std::fabs(f.score)));
      }
    }
  });
  EXPECT_GT(by_against["baseline"], 0u);
  EXPECT_GT(by_against["reference"], 0u);
  int rc = -1;
  const std::string lint = promtool_check(body, rc);
  EXPECT_EQ(rc, 0) << lint;
}

TEST(MetricsExporter, CapsKeepTheMostFrequentClassesAndCountTheRest) {
  testing::TrafficEnv env(20, 3000);
  env.engine->evaluate(env.now_ms);
  MetricsOptions options;
  options.max_classes_exported = 5;
  auto exporter = loopback_exporter(*env.engine, options);
  ASSERT_TRUE(exporter);
  auto m = parse(testing::http_get(exporter->port(), "/metrics").second);
  // The five classes with most objects in cam/last2k (ties by images, then name).
  const Recount want = recount(env.last(2000));
  std::vector<std::pair<double, std::string>> order;
  for (const auto& [cls, n] : want.objects) order.push_back({-n, cls});
  std::sort(order.begin(), order.end());
  std::set<std::string> top, got;
  for (size_t i = 0; i < 5; ++i) top.insert(order[i].second);
  const std::string prefix = "predwatch_class_objects{stream=\"cam\",window=\"last2k\",class=\"";
  for (const auto& [k, v] : m) {
    if (k.rfind(prefix, 0) == 0) got.insert(k.substr(prefix.size(), k.size() - prefix.size() - 2));
  }
  EXPECT_EQ(got, top);
  // 22 classes x (2 streams x 2 windows) x 3 always-present class metrics: 17 x 4 x 3 left out
  // of objects/images/share each per scrape (17 x 4 = 68 per metric).
  EXPECT_EQ(m.at(series("predwatch_series_dropped_total", {{"metric", "predwatch_class_objects"}})),
            68);
  // A second scrape adds the same again (a counter of series left out per scrape).
  m = parse(testing::http_get(exporter->port(), "/metrics").second);
  EXPECT_EQ(m.at(series("predwatch_series_dropped_total", {{"metric", "predwatch_class_objects"}})),
            136);

  // An overall cap: the endpoint never serves more than max_series.
  options.max_classes_exported = 200;
  options.max_series = 150;
  auto small = loopback_exporter(*env.engine, options);
  ASSERT_TRUE(small);
  const std::string body = testing::http_get(small->port(), "/metrics").second;
  m = parse(body);
  EXPECT_LE(m.size(), 150u);
  double dropped = 0;
  for (const auto& [name, v] : m) {
    if (name.rfind("predwatch_series_dropped_total", 0) == 0) dropped += v;
  }
  EXPECT_GT(dropped, 0);
  // Stream-level series come before per-class ones.
  EXPECT_TRUE(m.count(series("predwatch_window_frames", {{"stream", "cam"}, {"window", "5m"}})));
  int rc = -1;
  EXPECT_EQ(promtool_check(body, rc), "");
  EXPECT_EQ(rc, 0);
}

// Issue 16: a fleet fits the default series cap. 100 streams of 80 classes (plus the baseline's
// source stream), the default windows (5m, 1h, last10k), a baseline and a complete learned
// reference each: nothing is dropped, the endpoint stays under metrics.max_series, and each
// stream's count stays within docs/METRICS.md's formula. The class windows and class scores
// settings decide what is exported, checked series by series.
TEST(MetricsExporter, DefaultSettingsFitAHundredStreamsOfEightyClasses) {
  config::Settings settings;
  settings.reference.frames = 300;  // complete within the test's traffic
  settings.reference.min_frames = 100;
  std::string error;
  auto cfg = make_engine_config(settings, error);
  ASSERT_TRUE(cfg) << error;
  MonitorEngine engine(cfg->options);
  const auto pool = testing::make_pool(80, 11);
  int64_t now = testing::TrafficEnv::kT0;
  core::ScenarioGenerator ref(pool, "ref", 1);
  for (int i = 0; i < 3000; ++i) engine.apply(ref.next(now + i * 100));
  auto snap = engine.snapshot_baseline("ref", "last10k", false, error);
  ASSERT_TRUE(snap) << error;
  constexpr int kStreams = 100;
  std::vector<std::unique_ptr<core::ScenarioGenerator>> cams;
  for (int s = 0; s < kStreams; ++s) {
    char name[16];
    std::snprintf(name, sizeof name, "cam-%03d", s);
    auto loaded = baseline_from_proto(*snap, error);
    ASSERT_TRUE(loaded) << error;
    ASSERT_EQ(engine.set_baseline(name, std::move(*loaded)), "");
    cams.push_back(std::make_unique<core::ScenarioGenerator>(pool, name, 100 + s));
  }
  for (int i = 0; i < 3000; ++i) {  // 5 minutes: the 5m window's 30 panes hold frames
    for (auto& g : cams) engine.apply(g->next(now + i * 100));
  }
  now += 3000 * 100;
  engine.evaluate(now);

  MetricsOptions options = metrics_options(settings);
  ASSERT_TRUE(options.class_windows);
  EXPECT_EQ(*options.class_windows, std::set<std::string>{"5m"});
  EXPECT_FALSE(options.tested_class_scores);
  auto exporter = loopback_exporter(engine, options);
  ASSERT_TRUE(exporter);
  const std::string body = testing::http_get(exporter->port(), "/metrics").second;
  const auto m = parse(body);
  for (const auto& [k, v] : m) {
    if (k.rfind("predwatch_series_dropped_total", 0) == 0) {
      EXPECT_EQ(v, 0) << k;
    }
  }
  EXPECT_LE(m.size(), size_t(settings.metrics.max_series));
  EXPECT_EQ(m.at(series("predwatch_streams_dropped_total", {{"reason", "idle"}})), 0);
  EXPECT_EQ(m.at(series("predwatch_streams_dropped_total", {{"reason", "partition"}})), 0);

  // Per stream: the formula of docs/METRICS.md "Series count", 5 C + 21 W + 6 with C classes
  // seen and W = 3 windows, plus flagged per-class and pair scores (a handful at most on
  // this healthy traffic; 40 allowed).
  size_t classes = 0;
  for (const auto& [k, v] : m) {
    classes += k.rfind("predwatch_class_objects{stream=\"cam-007\"", 0) == 0;
  }
  EXPECT_GE(classes, 75u);  // most of the 80 classes show up in 3000 frames
  const std::string cam7 = "stream=\"cam-007\"";
  size_t per_stream = 0;
  for (const auto& [k, v] : m) per_stream += k.find(cam7) != std::string::npos;
  EXPECT_LE(per_stream, 5 * classes + 21 * 3 + 6 + 40) << "series of cam-007";
  std::vector<core::DriftReport> drift;
  ASSERT_TRUE(engine.with_stream("cam-007", [&](const StreamView& v) { drift = v.drift; }));
  bool against_reference = false;
  for (const auto& r : drift) against_reference |= r.against == core::Against::kReference;
  EXPECT_TRUE(against_reference);  // the learned reference is complete and judged
  // Per-class series only in the class window; per-class scores only when flagged.
  EXPECT_EQ(count_prefix(m, "predwatch_class_objects{stream=\"cam-007\",window=\"1h\""), 0u);
  EXPECT_GT(count_prefix(m, "predwatch_class_objects{stream=\"cam-007\",window=\"5m\""), 0u);
  size_t unflagged_class_scores = 0;
  for (const auto& r : drift) {
    for (const auto& f : r.findings) {
      if (f.subject_a.empty() || !f.subject_b.empty() || !f.tested || f.flagged) continue;
      const std::string key = series("predwatch_drift_score",
                                     {{"stream", "cam-007"},
                                      {"window", r.window},
                                      {"kind", std::string(core::alert_kind_name(f.kind))},
                                      {"subject", f.subject_a},
                                      {"measure", f.measure},
                                      {"against", std::string(core::against_name(r.against))}});
      EXPECT_EQ(m.count(key), 0u) << key;
      ++unflagged_class_scores;
    }
  }
  EXPECT_GT(unflagged_class_scores, 100u);  // they exist, and stay out of the endpoint

  // class_scores: tested and class_windows: ["*"] bring every one of them back.
  settings.metrics.class_scores = config::ClassScores::kTested;
  settings.metrics.class_windows = {"*"};
  options = metrics_options(settings);
  EXPECT_FALSE(options.class_windows);
  options.max_series = 10'000'000;
  auto all = loopback_exporter(engine, options);
  ASSERT_TRUE(all);
  const auto every = parse(testing::http_get(all->port(), "/metrics").second);
  EXPECT_GT(count_prefix(every, "predwatch_class_objects{stream=\"cam-007\",window=\"1h\""), 0u);
  for (const auto& r : drift) {
    for (const auto& f : r.findings) {
      if (f.subject_a.empty() || !f.subject_b.empty() || !f.tested) continue;
      if (r.window != "5m" || !std::isfinite(f.score)) continue;
      EXPECT_EQ(every.count(series("predwatch_drift_score",
                                   {{"stream", "cam-007"},
                                    {"window", r.window},
                                    {"kind", std::string(core::alert_kind_name(f.kind))},
                                    {"subject", f.subject_a},
                                    {"measure", f.measure},
                                    {"against", std::string(core::against_name(r.against))}})),
                1u);
    }
  }
  int rc = -1;
  EXPECT_EQ(promtool_check(body, rc), "");
  EXPECT_EQ(rc, 0);
}

TEST(MetricsExporter, BindFailureIsAnError) {
  testing::TrafficEnv env(4, 10);
  std::string error;
  MetricsOptions options;
  options.bind = "127.0.0.1:0";
  auto a = MetricsExporter::Start(*env.engine, {}, options, error);
  ASSERT_TRUE(a) << error;
  options.bind = "127.0.0.1:" + std::to_string(a->port());
  EXPECT_FALSE(MetricsExporter::Start(*env.engine, {}, options, error));
  EXPECT_NE(error.find("cannot listen"), std::string::npos);
}

// Refused calls and calls a peer replica did not answer are counted per their labels, each
// series from its first occurrence.
TEST(MetricsExporter, RefusedCallsAndFailedPeerCallsAreCountedByLabel) {
  testing::TrafficEnv env(4, 10);
  auto exporter = loopback_exporter(*env.engine);
  ASSERT_TRUE(exporter);
  auto before = parse(testing::http_get(exporter->port(), "/metrics").second);
  EXPECT_EQ(before.count(series("predwatch_peer_calls_failed_total",
                                {{"peer", "10.0.0.2:50051"}, {"reason", "timeout"}})),
            0u);
  exporter->count_peer_failure("10.0.0.2:50051", "timeout");
  exporter->count_peer_failure("10.0.0.2:50051", "timeout");
  exporter->count_peer_failure("10.0.0.3:50051", "unavailable");
  exporter->count_auth_failure("SetBaseline", "missing");
  auto after = parse(testing::http_get(exporter->port(), "/metrics").second);
  EXPECT_EQ(after[series("predwatch_peer_calls_failed_total",
                         {{"peer", "10.0.0.2:50051"}, {"reason", "timeout"}})],
            2);
  EXPECT_EQ(after[series("predwatch_peer_calls_failed_total",
                         {{"peer", "10.0.0.3:50051"}, {"reason", "unavailable"}})],
            1);
  EXPECT_EQ(after[series("predwatch_api_auth_failures_total",
                         {{"rpc", "SetBaseline"}, {"reason", "missing"}})],
            1);
}

// Issue 14: after the stream's partition moved to another replica, its alerts leave the
// exposition (they used to stay at predwatch_alert_firing 1 forever).
TEST(MetricsExporter, AlertsOfAStreamWhosePartitionWasRevokedAreNoLongerExported) {
  testing::TrafficEnv env(8, 3000);
  env.engine->apply(env.cam->next(env.now_ms), EventOrigin{"events", 2, 0, -1, false});
  env.now_ms += 100;
  ASSERT_EQ(env.inject_novel_pair(), "");
  ASSERT_FALSE(env.engine->alerts("cam").empty());

  auto exporter = loopback_exporter(*env.engine);
  ASSERT_TRUE(exporter);
  auto [status, body] = testing::http_get(exporter->port(), "/metrics");
  ASSERT_EQ(status, 200);
  EXPECT_GT(count_prefix(parse(body), "predwatch_alert_firing{stream=\"cam\""), 0u);

  const std::vector<TopicPartition> revoked{{"events", 2}};
  env.engine->on_partitions_revoked(revoked);
  auto [status2, body2] = testing::http_get(exporter->port(), "/metrics");
  ASSERT_EQ(status2, 200);
  EXPECT_EQ(count_prefix(parse(body2), "predwatch_alert_firing{"), 0u) << body2;
}

}  // namespace
}  // namespace predwatch::daemon
