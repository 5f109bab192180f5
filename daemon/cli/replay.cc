#include "daemon/cli/replay.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "config/loader.h"
#include "core/alert_tracker.h"
#include "core/drift_evaluator.h"
#include "core/drift_observation.h"
#include "core/stream_monitor.h"
#include "daemon/baseline/baseline_file.h"
#include "daemon/cli/json_writer.h"
#include "daemon/cli/text_table.h"
#include "daemon/dataset/dataset_importer.h"
#include "daemon/ingest/json_event_decoder.h"

namespace predwatch::daemon {
namespace {

std::string iso_time(int64_t ms) {
  const int64_t s = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  const int frac = int(ms - s * 1000);
  const time_t t = time_t(s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

core::WindowSpec to_spec(const config::WindowSettings& w) {
  core::WindowSpec s;
  s.name = w.name;
  s.type = w.type == config::WindowType::kCount ? core::WindowSpec::Type::kCount
                                                : core::WindowSpec::Type::kTime;
  s.length_ms = w.length.count();
  s.pane_ms = w.pane.count();
  s.allowed_lateness_ms = w.allowed_lateness.count();
  s.frames = size_t(w.frames);
  return s;
}

class Replay {
 public:
  Replay(const ReplayOptions& options, const config::Settings& settings,
         const core::BaselineStats& baseline, std::ostream& out)
      : options_(options),
        settings_(settings),
        baseline_(baseline),
        out_(out),
        tracker_(core::AlertTrackerOptions{uint32_t(settings.alerting.for_evaluations),
                                           uint32_t(settings.alerting.resolve_evaluations),
                                           settings.alerting.resolve_ratio}),
        interval_ms_(std::max<int64_t>(1, settings.drift.evaluation_interval.count())),
        table_({"time", "state", "kind", "stream", "window", "subject", "score", "threshold",
                "p_value", "since"}) {
    monitor_options_.layout = baseline.stats.layout();
    monitor_options_.max_classes = size_t(settings.statistics.max_classes);
    monitor_options_.exemplars.per_key =
        uint32_t(std::max<int64_t>(1, settings.statistics.exemplars_per_key));
    for (const config::WindowSettings& w : settings.windows)
      monitor_options_.windows.push_back(to_spec(w));
  }

  void on_event(const core::Event& e) {
    const int64_t t = e.time_ms;
    if (next_eval_ms_ == INT64_MIN) next_eval_ms_ = floor_to_interval(t) + interval_ms_;
    while (t >= next_eval_ms_) {
      evaluate_all(next_eval_ms_);
      next_eval_ms_ += interval_ms_;
    }
    const std::string_view stream = e.stream.empty() ? std::string_view(options_.stream) : e.stream;
    monitor(stream).apply(e);
    ++events_;
  }

  void finish() {
    if (next_eval_ms_ != INT64_MIN) evaluate_all(next_eval_ms_);
    if (!options_.json) out_ << table_.render();
  }

  uint64_t events() const { return events_; }

 private:
  int64_t floor_to_interval(int64_t t) const {
    const int64_t q = t / interval_ms_;
    return (t % interval_ms_ < 0 ? q - 1 : q) * interval_ms_;
  }

  core::StreamMonitor& monitor(std::string_view stream) {
    for (const auto& m : monitors_)
      if (m->stream() == stream) return *m;
    monitors_.push_back(std::make_unique<core::StreamMonitor>(std::string(stream), monitor_options_,
                                                              baseline_.class_names));
    return *monitors_.back();
  }

  const core::DriftThresholds& thresholds(std::string_view stream, std::string_view cls) {
    std::string key(stream);
    key += '\x1f';
    key += cls;
    auto it = thresholds_.find(key);
    if (it == thresholds_.end()) {
      it = thresholds_
               .emplace(std::move(key),
                        to_core_thresholds(config::resolve_thresholds(settings_, stream, cls),
                                           settings_.drift.kinds))
               .first;
    }
    return it->second;
  }

  void evaluate_all(int64_t t) {
    for (const auto& m : monitors_) {
      m->advance(t);
      for (size_t i = 0; i < m->window_count(); ++i) evaluate(*m, i, t);
    }
  }

  void evaluate(const core::StreamMonitor& m, size_t i, int64_t t) {
    const std::string& stream = m.stream();
    const std::string& window = m.spec(i).name;
    const core::ThresholdResolver resolver =
        [&](std::string_view cls) -> const core::DriftThresholds& {
      return thresholds(stream, cls);
    };
    const core::DriftReport report = core::evaluate_drift(
        stream, window, m.window(i).totals(), m.classes().names(), baseline_, resolver, t);
    std::vector<core::AlertObservation> obs;
    obs.reserve(report.findings.size());
    for (const core::DriftFinding& f : report.findings) {
      obs.push_back(core::to_observation(f, m, i));
      if (f.flagged)
        subjects_[core::alert_fingerprint(obs.back().key)] = {f.subject_a, f.subject_b};
    }
    for (const core::AlertTransition& tr : tracker_.evaluate(stream, window, obs, t)) print(tr);
  }

  void print(const core::AlertTransition& tr) {
    const core::Alert& a = tr.alert;
    const core::AlertObservation& o = a.last;
    const std::string state =
        tr.to == core::AlertState::kInactive ? "dropped" : std::string(alert_state_name(tr.to));
    if (!options_.json) {
      table_.add_row({iso_time(tr.time_ms), state, std::string(alert_kind_name(o.key.kind)),
                      o.key.stream, o.key.window, o.key.subject.empty() ? "-" : o.key.subject,
                      format_number(o.score, 4), format_number(o.threshold, 4),
                      format_number(o.p_value, 3), iso_time(a.active_since_ms)});
      return;
    }
    JsonWriter w;
    w.begin_object();
    w.key("time").value(iso_time(tr.time_ms)).key("time_ms").value(tr.time_ms);
    w.key("state").value(state).key("from").value(alert_state_name(tr.from));
    w.key("kind").value(alert_kind_name(o.key.kind));
    w.key("stream").value(o.key.stream).key("window").value(o.key.window);
    w.key("subject").begin_array();
    if (auto it = subjects_.find(a.fingerprint); it != subjects_.end()) {
      if (!it->second.first.empty()) w.value(it->second.first);
      if (!it->second.second.empty()) w.value(it->second.second);
    }
    w.end_array();
    w.key("score").value(o.score).key("threshold").value(o.threshold);
    w.key("fingerprint").value(core::fingerprint_hex(a.fingerprint));
    w.key("p_value").value(o.p_value);
    w.key("counts").begin_object();
    w.key("window_count").value(o.counts.window_count);
    w.key("window_total").value(o.counts.window_total);
    w.key("baseline_count").value(o.counts.baseline_count);
    w.key("baseline_total").value(o.counts.baseline_total);
    w.end_object();
    w.key("since").value(iso_time(a.active_since_ms)).key("since_ms").value(a.active_since_ms);
    w.key("peak_score").value(a.peak_score);
    w.key("exemplars").begin_array();
    for (const std::string& id : o.exemplar_ids) w.value(id);
    w.end_array().end_object();
    out_ << w.str() << '\n';
  }

  const ReplayOptions& options_;
  const config::Settings& settings_;
  const core::BaselineStats& baseline_;
  std::ostream& out_;
  core::AlertTracker tracker_;
  int64_t interval_ms_;
  int64_t next_eval_ms_ = INT64_MIN;
  uint64_t events_ = 0;
  core::StreamMonitorOptions monitor_options_;
  std::vector<std::unique_ptr<core::StreamMonitor>> monitors_;
  std::map<std::string, core::DriftThresholds, std::less<>> thresholds_;
  absl::flat_hash_map<uint64_t, std::pair<std::string, std::string>> subjects_;
  TextTable table_;
};

}  // namespace

core::DriftThresholds to_core_thresholds(const config::DriftThresholds& t,
                                         const std::vector<config::DriftKind>& kinds) {
  core::DriftThresholds c;
  c.js_distance = t.js_distance;
  c.psi_warn = t.psi_warn;
  c.psi = t.psi;
  c.hellinger_warn = t.hellinger_warn;
  c.hellinger = t.hellinger;
  switch (t.measure) {
    case config::DriftMeasure::kPsi:
      c.measure = core::DriftThresholds::Measure::kPsi;
      break;
    case config::DriftMeasure::kHellinger:
      c.measure = core::DriftThresholds::Measure::kHellinger;
      break;
    default:
      c.measure = core::DriftThresholds::Measure::kJsDistance;
  }
  c.alpha = t.alpha;
  c.min_frames = uint64_t(t.min_frames);
  c.min_class_images = uint64_t(t.min_class_images);
  c.min_pair_count = uint64_t(t.min_pair_count);
  c.min_rate_ratio = t.min_rate_ratio;
  c.correction = t.correction == config::Correction::kBonferroni
                     ? core::DriftThresholds::Correction::kBonferroni
                     : core::DriftThresholds::Correction::kBenjaminiHochberg;
  c.smoothing_epsilon = t.smoothing_epsilon;
  // config::DriftKind and core::AlertKind list the kinds in the same order.
  static_assert(core::kAlertKindCount == 10);
  c.enabled.fill(false);
  for (const config::DriftKind k : kinds) c.enabled[size_t(k)] = true;
  return c;
}

int run_replay(const ReplayOptions& options, std::ostream& out, std::ostream& err) {
  config::Settings settings;
  if (!options.config.empty()) {
    config::LoadResult loaded = config::load_config_file(options.config);
    if (!loaded.ok()) {
      err << loaded.error_text();
      return 1;
    }
    settings = std::move(*loaded.settings);
  }
  std::string error;
  std::optional<LoadedBaseline> baseline = load_baseline(options.baseline, error);
  if (!baseline) {
    err << error << "\n";
    return 1;
  }
  if (!(options.fps > 0)) {
    err << "replay: --fps must be > 0\n";
    return 1;
  }
  Replay replay(options, settings, baseline->stats, out);
  const double step_ms = 1000.0 / options.fps;
  uint64_t index = 0;
  core::Event timed;

  if (!options.ground_truth.empty()) {
    auto importer = make_importer("coco-results");
    ImportOptions io;
    io.ground_truth = options.ground_truth;
    io.stream = options.stream;
    const ImportResult r = importer->import(options.events, io, [&](const core::Event& e) {
      timed = e;
      timed.time_ms = options.start_ms + int64_t(std::llround(double(index++) * step_ms));
      replay.on_event(timed);
    });
    if (!r.ok()) {
      err << r.error << "\n";
      return 1;
    }
  } else {
    std::ifstream in(options.events);
    if (!in) {
      err << options.events.string() << ": cannot open\n";
      return 1;
    }
    JsonEventDecoder decoder;
    core::Event e;
    std::string line;
    uint64_t line_no = 0, bad = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const DecodeResult r = decoder.decode(line, e);
      if (!r.ok()) {
        if (++bad <= 20)
          err << options.events.string() << ":" << line_no << ": " << r.message << "\n";
        continue;
      }
      if (e.time_ms == 0)
        e.time_ms = options.start_ms + int64_t(std::llround(double(index) * step_ms));
      ++index;
      replay.on_event(e);
    }
    if (bad > 0) err << options.events.string() << ": " << bad << " line(s) skipped\n";
  }
  replay.finish();
  return 0;
}

}  // namespace predwatch::daemon
