#include "daemon/cli/replay.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "config/loader.h"
#include "daemon/api/api_convert.h"
#include "daemon/app/alert_log.h"
#include "daemon/app/engine_config.h"
#include "daemon/baseline/baseline_file.h"
#include "daemon/cli/file_event_decoder.h"
#include "daemon/cli/text_table.h"
#include "daemon/common/json_writer.h"
#include "daemon/dataset/dataset_importer.h"
#include "daemon/engine/event_time_evaluator.h"
#include "daemon/engine/monitor_engine.h"
#include "daemon/ingest/rfc3339.h"

namespace predwatch::daemon {
namespace {

std::string iso_time(int64_t ms) { return format_rfc3339_ms(ms); }

void write_subject(JsonWriter& w, core::AlertKind kind, const std::string& subject) {
  w.key("subject").begin_array();
  for (const std::string& s : subject_parts(kind, subject)) w.value(s);
  w.end_array();
}

void write_counts(JsonWriter& w, const core::AlertCounts& c) {
  w.key("counts").begin_object();
  w.key("window_count").value(c.window_count).key("window_total").value(c.window_total);
  w.key("baseline_count").value(c.baseline_count).key("baseline_total").value(c.baseline_total);
  w.end_object();
}

// Prints the engine's alert transitions as a table (at the end) or as JSON lines.
class TransitionPrinter {
 public:
  TransitionPrinter(std::ostream& out, bool json)
      : out_(out),
        json_(json),
        table_({"time", "state", "kind", "stream", "subject", "window", "score", "threshold",
                "p_value", "over in", "since"}) {}

  void print(const core::AlertTransition& tr) {
    const core::Alert& a = tr.alert;
    const core::AlertObservation& o = a.last;
    const std::string state =
        tr.to == core::AlertState::kInactive ? "dropped" : std::string(alert_state_name(tr.to));
    if (!json_) {
      std::string subject = o.key.subject.empty() ? "-" : o.key.subject;
      if (!o.related_subjects.empty()) {
        subject += " (with";
        for (const std::string& r : o.related_subjects)
          subject += (&r == &o.related_subjects[0] ? " " : ", ") + r;
        subject += ")";
      }
      const std::string over = windows_over(o);
      table_.add_row({iso_time(tr.time_ms), state, std::string(alert_kind_name(o.key.kind)),
                      o.key.stream, subject, window_label(o.window, o.against),
                      format_number(o.score, 4), format_number(o.threshold, 4),
                      format_number(o.p_value, 3), over.empty() ? "-" : over,
                      iso_time(a.active_since_ms)});
      return;
    }
    JsonWriter w;
    w.begin_object();
    w.key("time").value(iso_time(tr.time_ms)).key("time_ms").value(tr.time_ms);
    w.key("state").value(state).key("from").value(alert_state_name(tr.from));
    w.key("kind").value(alert_kind_name(o.key.kind));
    w.key("stream").value(o.key.stream).key("window").value(o.window);
    w.key("against").value(core::against_name(o.against));
    write_subject(w, o.key.kind, o.key.subject);
    w.key("score").value(o.score).key("threshold").value(o.threshold);
    w.key("fingerprint").value(core::fingerprint_hex(a.fingerprint));
    w.key("p_value").value(o.p_value);
    write_counts(w, o.counts);
    w.key("since").value(iso_time(a.active_since_ms)).key("since_ms").value(a.active_since_ms);
    w.key("peak_score").value(a.peak_score);
    w.key("exemplars").begin_array();
    for (const std::string& id : o.exemplar_ids) w.value(id);
    w.end_array();
    AlertLog::write_window_details(w, o);
    w.end_object();
    out_ << w.str() << '\n';
  }

  void finish() {
    if (!json_) out_ << table_.render();
  }

 private:
  std::ostream& out_;
  bool json_;
  TextTable table_;
};

// Every finding judged by the evaluation at `tick_ms`, one JSON line each (a window not
// judged again at this tick, see drift.judgments_per_window, has no lines).
void write_scores(const MonitorEngine& engine, int64_t tick_ms, std::ostream& out) {
  engine.for_each_stream([&](const StreamView& v) {
    if (v.evaluated_at_ms != tick_ms) return;
    for (const core::DriftReport& r : v.drift) {
      if (r.evaluated_at_ms != tick_ms) continue;
      for (const core::DriftFinding& f : r.findings) {
        JsonWriter w;
        w.begin_object();
        w.key("time").value(iso_time(tick_ms)).key("time_ms").value(tick_ms);
        w.key("stream").value(r.stream).key("window").value(r.window);
        w.key("against").value(core::against_name(r.against));
        w.key("kind").value(alert_kind_name(f.kind));
        write_subject(w, f.kind, f.subject());
        w.key("measure").value(f.measure).key("score").value(f.score);
        w.key("threshold").value(f.threshold).key("p_value").value(f.p_value);
        w.key("tested").value(f.tested).key("flagged").value(f.flagged);
        w.key("dispersion").value(f.dispersion).key("dispersion_df").value(f.dispersion_df);
        write_counts(w, f.counts);
        w.key("window_frames").value(r.window_frames);
        w.key("baseline_frames").value(r.baseline_frames);
        w.key("note").value(f.note);
        w.end_object();
        out << w.str() << '\n';
      }
    }
  });
}

// Settings from --config (or the defaults) and the --baseline override, checked together.
struct ReplaySetup {
  config::Settings settings;
  std::optional<LoadedBaseline> baseline;
};

std::optional<ReplaySetup> load_setup(const ReplayOptions& options, std::ostream& err) {
  ReplaySetup setup;
  if (!options.config.empty()) {
    config::LoadResult loaded = config::load_config_file(options.config);
    if (!loaded.ok()) {
      err << loaded.error_text();
      return std::nullopt;
    }
    setup.settings = std::move(*loaded.settings);
  }
  if (options.baseline.empty()) return setup;
  std::string error;
  setup.baseline = load_baseline(options.baseline, error);
  if (!setup.baseline) {
    err << error << "\n";
    return std::nullopt;
  }
  const core::StatsLayout& layout = setup.baseline->stats.stats.layout();
  if (options.config.empty()) {
    setup.settings.statistics.heatmap_grid = layout.heatmap_grid;
  }
  if (!(stats_layout(setup.settings) == layout)) {
    err << options.baseline.string()
        << ": its histogram layout (heatmap grid, bins) differs from the configuration's "
           "(statistics.heatmap_grid = "
        << setup.settings.statistics.heatmap_grid << "); rebuild it with `--grid "
        << setup.settings.statistics.heatmap_grid << "`\n";
    return std::nullopt;
  }
  return setup;
}

}  // namespace

int run_replay(const ReplayOptions& options, std::ostream& out, std::ostream& err) {
  if (!(options.fps > 0)) {
    err << "replay: --fps must be > 0\n";
    return 1;
  }
  if (!options.topic.empty() && !options.ground_truth.empty()) {
    err << "replay: --topic reads JSON lines through a topic's event mapping; --ground-truth "
           "reads a COCO results file: give one of them\n";
    return 1;
  }
  std::optional<ReplaySetup> setup = load_setup(options, err);
  if (!setup) return 1;
  std::string error;
  std::optional<EngineConfig> engine_config = make_engine_config(setup->settings, error);
  if (!engine_config) {
    err << error << "\n";
    return 1;
  }
  EngineOptions engine_options = std::move(engine_config->options);
  // A replay learns its streams' references from the recording itself and never reads or
  // writes the daemon's saved ones (state.dir): the recording is not the live
  // stream, and a backtest must not overwrite what a running predwatchd learned.
  engine_options.state_dir.clear();
  // Replay evaluates at event-time ticks, whatever drift.evaluation_clock says.
  engine_options.advance_windows = true;
  if (setup->baseline) {
    auto override_baseline = std::make_shared<const LoadedBaseline>(std::move(*setup->baseline));
    engine_options.stream_config = [configured = std::move(engine_options.stream_config),
                                    override_baseline](std::string_view stream) {
      std::optional<StreamConfig> c = configured(stream);
      if (c) c->baseline = *override_baseline;
      return c;
    };
  }
  std::ofstream scores;
  if (!options.scores.empty()) {
    scores.open(options.scores, std::ios::trunc);
    if (!scores) {
      err << options.scores.string() << ": cannot write\n";
      return 1;
    }
  }

  MonitorEngine engine(std::move(engine_options));
  TransitionPrinter printer(out, options.json);
  engine.subscribe([&](const core::AlertTransition& t) { printer.print(t); });
  EventTimeEvaluator evaluator(
      engine, std::max<int64_t>(1, setup->settings.drift.evaluation_interval.count()),
      [&](int64_t tick, const EvaluationSummary&, auto) {
        if (scores.is_open()) write_scores(engine, tick, scores);
      });

  const double step_ms = 1000.0 / options.fps;
  uint64_t index = 0, applied = 0;
  std::map<std::string, uint64_t, std::less<>> rejected;
  auto apply = [&](core::Event& e) {
    if (e.time_ms == 0)
      e.time_ms = options.start_ms + int64_t(std::llround(double(index) * step_ms));
    ++index;
    if (e.stream.empty()) e.stream = options.stream;
    const SinkResult r = evaluator.apply(e);
    if (r.applied) {
      ++applied;
    } else {
      ++rejected[std::string(r.reason)];
    }
  };

  if (!options.ground_truth.empty()) {
    ImportOptions io;
    io.ground_truth = options.ground_truth;
    io.stream = options.stream;
    core::Event timed;
    const ImportResult r =
        make_importer("coco-results")->import(options.events, io, [&](const core::Event& e) {
          timed = e;
          timed.time_ms = 0;
          apply(timed);
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
    std::unique_ptr<FileEventDecoder> decoder =
        FileEventDecoder::create(setup->settings, options.topic, error);
    if (!decoder) {
      err << error << "\n";
      return 1;
    }
    core::Event e;
    std::string line;
    uint64_t line_no = 0, bad = 0;
    std::set<std::string, std::less<>> unknown;  // ignored fields, named once each
    while (std::getline(in, line)) {
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const DecodeResult r = decoder->decode(line, line_no, e);
      for (const std::string& field : decoder->unknown_fields()) {
        if (unknown.size() >= 64 || !unknown.insert(field).second) continue;
        const std::string_view hint = decoder->field_hint(field);
        err << options.events.string() << ":" << line_no << ": field " << field << " "
            << decoder->ignored_phrase() << " and is ignored";
        if (!hint.empty()) err << "; did you mean " << hint << "?";
        err << "\n";
      }
      if (!r.ok()) {
        if (++bad <= 20)
          err << options.events.string() << ":" << line_no << ": " << r.message << "\n";
        continue;
      }
      apply(e);
    }
    if (bad > 0) err << options.events.string() << ": " << bad << " line(s) skipped\n";
  }
  evaluator.finish();
  printer.finish();

  const EngineCounters c = engine.counters();
  uint64_t late = 0;
  for (const auto& [stream, n] : c.late_by_stream) late += n;
  err << "replay: " << applied << " events applied";
  for (const auto& [reason, n] : rejected) err << ", " << n << " rejected (" << reason << ")";
  err << ", " << late << " late for some window, " << evaluator.evaluations() << " evaluations";
  if (evaluator.skipped_ticks() > 0) {
    err << " (" << evaluator.skipped_ticks() << " empty ticks skipped in time gaps)";
  }
  err << "\n";
  return 0;
}

}  // namespace predwatch::daemon
