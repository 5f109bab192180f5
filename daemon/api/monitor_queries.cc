#include "daemon/api/monitor_queries.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <utility>
#include <vector>

#include "daemon/api/api_convert.h"
#include "daemon/baseline/baseline_file.h"
#include "daemon/convert/proto_time.h"
#include "daemon/convert/stats_convert.h"

namespace predwatch::daemon {

using grpc::Status;
using grpc::StatusCode;

Status unknown_stream(const std::string& stream) {
  return Status(StatusCode::NOT_FOUND, "unknown stream '" + stream + "'");
}

Status rebuilding() {
  return Status(StatusCode::UNAVAILABLE,
                "windows are being rebuilt after start or rebalance; retry when health reports "
                "SERVING");
}

int resolve_window(const core::StreamMonitor& m, const std::string& window, Status& status) {
  if (window.empty()) return 0;
  const int w = m.find_window(window);
  if (w < 0) {
    std::string names;
    for (size_t i = 0; i < m.window_count(); ++i) names += (i ? ", " : "") + m.spec(i).name;
    status = Status(StatusCode::NOT_FOUND, "stream '" + m.stream() + "' has no window '" + window +
                                               "' (windows: " + names + ")");
  }
  return w;
}

Status query_list_streams(const MonitorEngine& engine, const v1::ListStreamsRequest& req,
                          v1::ListStreamsResponse* resp) {
  engine.for_each_stream([&](const StreamView& v) {
    const core::StreamMonitor& m = v.monitor;
    if (!req.base_stream().empty() && v.base != req.base_stream()) return;
    v1::StreamInfo* s = resp->add_streams();
    s->set_stream(m.stream());
    s->set_base_stream(v.base);
    if (m.stream().size() > v.base.size() + 1) {
      s->set_model_version(m.stream().substr(v.base.size() + 1));  // after "<base>@"
    }
    for (size_t i = 0; i < m.window_count(); ++i) window_info(m, i, s->add_windows());
    s->set_classes(uint32_t(m.classes().size()));
    s->set_has_baseline(v.baseline != nullptr);
    s->set_applied_events(m.applied_events());
    if (m.last_event_ms() != INT64_MIN) {
      ms_to_timestamp(m.last_event_ms(), s->mutable_last_event_time());
    }
    if (const core::ReferenceLearner* l = m.reference()) {
      ReferenceInfo info;
      info.state = l->state();
      info.frames = l->frames();
      info.start_ms = l->start_ms();
      info.end_ms = l->end_ms();
      info.progress = l->progress();
      info.inherited_from = v.reference_from;
      reference_to_proto(m.stream(), info, s->mutable_reference());
    }
  });
  return Status::OK;
}

Status query_window_stats(const MonitorEngine& engine, bool ready,
                          const v1::GetWindowStatsRequest& req, v1::GetWindowStatsResponse* resp) {
  if (req.stream().empty()) return Status(StatusCode::INVALID_ARGUMENT, "stream is required");
  StatsSections sec;
  sec.tables = false;
  if (req.sections_size() > 0) {
    sec.class_balance = sec.cooccurrence = sec.objects_distribution = sec.per_image = sec.heatmaps =
        sec.sizes = sec.confidence = false;
    // The request's sections, each switching on one part of the answer.
    static constexpr std::pair<int, bool StatsSections::*> kSections[] = {
        {v1::STATS_SECTION_CLASS_BALANCE, &StatsSections::class_balance},
        {v1::STATS_SECTION_COOCCURRENCE, &StatsSections::cooccurrence},
        {v1::STATS_SECTION_OBJECTS_DISTRIBUTION, &StatsSections::objects_distribution},
        {v1::STATS_SECTION_PER_IMAGE, &StatsSections::per_image},
        {v1::STATS_SECTION_HEATMAPS, &StatsSections::heatmaps},
        {v1::STATS_SECTION_SIZES, &StatsSections::sizes},
        {v1::STATS_SECTION_CONFIDENCE, &StatsSections::confidence},
        {v1::STATS_SECTION_TABLES, &StatsSections::tables},
    };
    for (int s : req.sections()) {
      const auto* it = std::find_if(std::begin(kSections), std::end(kSections),
                                    [s](const auto& e) { return e.first == s; });
      if (it == std::end(kSections)) {
        return Status(StatusCode::INVALID_ARGUMENT,
                      "sections: unknown or unspecified section " + std::to_string(s));
      }
      sec.*(it->second) = true;
    }
  }
  sec.only_classes.assign(req.classes().begin(), req.classes().end());
  sec.top_pairs = req.top_pairs();
  if (!ready) return rebuilding();
  Status st;
  // Under the engine's lock only the copy of the window's totals and names (a memcpy of the
  // tables); the answer, which for many classes takes far longer, is built outside it, so
  // that a large read does not hold up ingestion (tests/bench/reader_stall_bench.cc).
  std::optional<core::Stats> stats;
  std::vector<std::string> names;
  const bool found = engine.with_stream(req.stream(), [&](const StreamView& v) {
    const core::StreamMonitor& m = v.monitor;
    const int w = resolve_window(m, req.window(), st);
    if (w < 0) return;
    for (const std::string& c : req.classes()) {
      if (m.classes().find(c) == core::ClassRegistry::kNotFound) {
        st = Status(StatusCode::NOT_FOUND, "stream '" + m.stream() + "' has no class '" + c + "'");
        return;
      }
    }
    const core::Stats& totals = m.window(size_t(w)).totals();
    if (req.dense_cooccurrence() && totals.num_classes() > kMaxDenseCooccurrenceClasses) {
      st = Status(StatusCode::FAILED_PRECONDITION,
                  "dense_cooccurrence: stream '" + m.stream() + "' has " +
                      std::to_string(totals.num_classes()) + " classes, more than the " +
                      std::to_string(kMaxDenseCooccurrenceClasses) +
                      " the dense matrix is given for; read the pairs (top_pairs) instead");
      return;
    }
    resp->set_stream(m.stream());
    window_info(m, size_t(w), resp->mutable_window());
    stats.emplace(totals);
    names = m.classes().names();
  });
  if (!found) return unknown_stream(req.stream());
  if (!st.ok() || !stats) return st;
  stats_to_proto(*stats, names, sec, resp->mutable_stats());
  if (req.dense_cooccurrence()) {
    const size_t C = stats->num_classes();
    auto* dense = resp->mutable_dense_cooccurrence();
    dense->Resize(int(C * C), 0);
    for (size_t a = 0; a < C; ++a)
      for (size_t b = 0; b < C; ++b)
        dense->Set(int(a * C + b), uint64_t(stats->pair_images(uint32_t(a), uint32_t(b))));
  }
  return st;
}

Status query_drift(const MonitorEngine& engine, bool ready, const v1::GetDriftRequest& req,
                   v1::GetDriftResponse* resp) {
  if (req.stream().empty()) return Status(StatusCode::INVALID_ARGUMENT, "stream is required");
  if (!ready) return rebuilding();
  Status st;
  // The reports asked for are copied under the engine's lock and converted after it
  // (issue 13, goal 5: readers must not hold up ingestion for the conversion).
  std::vector<core::DriftReport> reports;
  int64_t evaluated_at_ms = 0;
  const bool found = engine.with_stream(req.stream(), [&](const StreamView& v) {
    if (!req.window().empty() && resolve_window(v.monitor, req.window(), st) < 0) return;
    const core::ReferenceLearner* l = v.monitor.reference();
    if (!v.baseline && !(l && l->complete())) {
      st = Status(StatusCode::FAILED_PRECONDITION,
                  "stream '" + req.stream() +
                      "' has no baseline and no complete learned reference, so drift is not "
                      "evaluated (configure a baseline, or SetBaseline / `predwatch baseline "
                      "push`, or wait for the reference: `predwatch reference show`)");
      return;
    }
    evaluated_at_ms = v.evaluated_at_ms;
    for (const core::DriftReport& r : v.drift) {
      if (!req.window().empty() && r.window != req.window()) continue;
      if (req.against() != v1::AGAINST_UNSPECIFIED && against_to_proto(r.against) != req.against())
        continue;
      reports.push_back(r);
    }
  });
  if (!found) return unknown_stream(req.stream());
  if (!st.ok()) return st;
  resp->set_stream(req.stream());
  if (evaluated_at_ms > 0) ms_to_timestamp(evaluated_at_ms, resp->mutable_evaluated_at());
  for (const core::DriftReport& r : reports) {
    for (const core::DriftFinding& f : r.findings) finding_scores(r, f, resp->mutable_scores());
  }
  return st;
}

Status query_alerts(const MonitorEngine& engine, const v1::ListAlertsRequest& req,
                    v1::ListAlertsResponse* resp) {
  const std::vector<core::Alert> alerts = engine.alerts(req.stream());
  if (alerts.empty() && !req.stream().empty() &&
      !engine.with_stream(req.stream(), [](const StreamView&) {})) {
    return unknown_stream(req.stream());
  }
  for (const core::Alert& a : alerts) alert_to_proto(a, resp->add_alerts());
  return Status::OK;
}

Status query_alert_transitions(const MonitorEngine& engine,
                               const v1::ListAlertTransitionsRequest& req,
                               v1::ListAlertTransitionsResponse* resp) {
  constexpr uint32_t kDefaultLimit = 200;
  if (req.limit() > MonitorEngine::kTransitionHistory) {
    return Status(StatusCode::INVALID_ARGUMENT,
                  "limit must be at most " + std::to_string(MonitorEngine::kTransitionHistory) +
                      " (got " + std::to_string(req.limit()) + ")");
  }
  const size_t limit = req.limit() == 0 ? kDefaultLimit : req.limit();
  for (const core::AlertTransition& t : engine.recent_transitions(req.stream(), limit))
    *resp->add_transitions() = transition_to_proto(t);
  return Status::OK;
}

namespace {

std::optional<core::ObjectHistogram> object_histogram(v1::ObjectHistogram h) {
  switch (h) {
    case v1::OBJECT_HISTOGRAM_WIDTH:
      return core::ObjectHistogram::kWidth;
    case v1::OBJECT_HISTOGRAM_HEIGHT:
      return core::ObjectHistogram::kHeight;
    case v1::OBJECT_HISTOGRAM_AREA:
      return core::ObjectHistogram::kArea;
    case v1::OBJECT_HISTOGRAM_CONFIDENCE:
      return core::ObjectHistogram::kConfidence;
    default:
      return std::nullopt;
  }
}

}  // namespace

Status query_exemplars(const MonitorEngine& engine, bool ready, const v1::GetExemplarsRequest& req,
                       v1::GetExemplarsResponse* resp) {
  if (req.stream().empty()) return Status(StatusCode::INVALID_ARGUMENT, "stream is required");
  if (req.cell_case() == v1::GetExemplarsRequest::CELL_NOT_SET) {
    return Status(StatusCode::INVALID_ARGUMENT,
                  "a cell is required: class_name, pair, heatmap_cell, count_bucket or "
                  "histogram_bin");
  }
  if (!ready) return rebuilding();
  Status st;
  std::vector<core::Exemplar> found;  // looked up under the engine's lock, converted after it
  const bool held = engine.with_stream(req.stream(), [&](const StreamView& v) {
    const core::StreamMonitor& m = v.monitor;
    const int w = resolve_window(m, req.window(), st);
    if (w < 0) return;
    auto cls = [&](const std::string& name) {
      const core::ClassId id = m.classes().find(name);
      if (id == core::ClassRegistry::kNotFound && st.ok()) {
        st = Status(StatusCode::NOT_FOUND,
                    "stream '" + m.stream() + "' has no class '" + name + "'");
      }
      return id;
    };
    const int64_t start = m.window_start_ms(size_t(w));
    const core::ExemplarIndex& ex = m.exemplars();
    const core::StatsLayout& layout = m.options().layout;
    switch (req.cell_case()) {
      case v1::GetExemplarsRequest::kClassName: {
        const core::ClassId c = cls(req.class_name());
        if (!st.ok()) return;
        found = ex.for_class(c, start);
        break;
      }
      case v1::GetExemplarsRequest::kPair: {
        if (req.pair().a() == req.pair().b()) {
          st = Status(StatusCode::INVALID_ARGUMENT, "pair: a and b must differ");
          return;
        }
        const core::ClassId a = cls(req.pair().a()), b = cls(req.pair().b());
        if (!st.ok()) return;
        found = ex.for_pair(a, b, start);
        break;
      }
      case v1::GetExemplarsRequest::kHeatmapCell: {
        const auto& hc = req.heatmap_cell();
        const uint32_t g = layout.heatmap_grid;
        if (hc.row() >= g || hc.col() >= g) {
          st = Status(StatusCode::INVALID_ARGUMENT,
                      "heatmap_cell: row " + std::to_string(hc.row()) + ", col " +
                          std::to_string(hc.col()) + " outside the " + std::to_string(g) + "x" +
                          std::to_string(g) + " grid");
          return;
        }
        const core::ClassId c = cls(hc.class_name());
        if (!st.ok()) return;
        found = ex.for_cell(c, hc.row() * g + hc.col(), start);
        break;
      }
      case v1::GetExemplarsRequest::kCountBucket: {
        const auto& cb = req.count_bucket();
        if (cb.count() == 0) {
          st = Status(StatusCode::INVALID_ARGUMENT,
                      "count_bucket: count must be >= 1 (frames without the class have no "
                      "exemplars)");
          return;
        }
        const core::ClassId c = cls(cb.class_name());
        if (!st.ok()) return;
        found = ex.for_count_bucket(
            c, core::StatsLayout::count_bucket(cb.count(), layout.max_objects_bucket), start);
        break;
      }
      case v1::GetExemplarsRequest::kHistogramBin: {
        const auto& hb = req.histogram_bin();
        const std::optional<core::ObjectHistogram> h = object_histogram(hb.histogram());
        if (!h) {
          st = Status(StatusCode::INVALID_ARGUMENT,
                      "histogram_bin: histogram must be WIDTH, HEIGHT, AREA or CONFIDENCE");
          return;
        }
        if (hb.bin() >= ex.histogram_bins(*h)) {
          st = Status(StatusCode::INVALID_ARGUMENT,
                      "histogram_bin: bin " + std::to_string(hb.bin()) + " outside the " +
                          std::to_string(ex.histogram_bins(*h)) + " bins (0-based)");
          return;
        }
        const core::ClassId c = cls(hb.class_name());
        if (!st.ok()) return;
        found = ex.for_histogram_bin(c, *h, hb.bin(), start);
        break;
      }
      default:
        break;
    }
  });
  if (!held) return unknown_stream(req.stream());
  if (!st.ok()) return st;
  if (req.limit() > 0 && found.size() > req.limit()) found.resize(req.limit());
  for (const auto& e : found) {
    v1::Exemplar* out = resp->add_exemplars();
    out->set_frame_id(e.frame_id);
    out->set_image_uri(e.image_uri);
    ms_to_timestamp(e.time_ms, out->mutable_time());
  }
  return st;
}

namespace {

// The stream's complete learned reference as a Baseline message (see GetBaselineRequest).
Status reference_as_baseline(const StreamView& v, const std::string& stream, v1::Baseline* b) {
  const core::ReferenceLearner* learner = v.monitor.reference();
  if (!learner) {
    return Status(StatusCode::FAILED_PRECONDITION,
                  "the daemon learns no references (reference.enabled: false)");
  }
  if (!learner->complete()) {
    return Status(StatusCode::FAILED_PRECONDITION,
                  "the learned reference of stream '" + stream + "' is still learning (" +
                      std::to_string(int(100 * learner->progress())) + "%)");
  }
  const core::BaselineStats& r = *learner->reference();
  std::vector<std::string> names = r.class_names;
  names.resize(std::max<size_t>(names.size(), r.stats.num_classes()));
  b->set_format_version(1);
  b->set_kind(kind_to_proto(core::BaselineKind::kProductionWindow));
  stats_to_proto(r.stats, names, StatsSections{}, b->mutable_stats());
  v1::WindowOrigin* origin = b->mutable_window();
  origin->set_stream(stream);
  origin->set_window(learner->state() == core::ReferenceState::kPinned ? "pinned" : "learned");
  ms_to_timestamp(learner->start_ms(), origin->mutable_start());
  ms_to_timestamp(learner->end_ms(), origin->mutable_end());
  return Status::OK;
}

}  // namespace

Status query_baseline(const MonitorEngine& engine, const v1::GetBaselineRequest& req,
                      v1::GetBaselineResponse* resp) {
  if (req.stream().empty()) return Status(StatusCode::INVALID_ARGUMENT, "stream is required");
  Status st;
  const bool found = engine.with_stream(req.stream(), [&](const StreamView& v) {
    if (req.reference()) {
      st = reference_as_baseline(v, req.stream(), resp->mutable_baseline());
      return;
    }
    if (!v.baseline) {
      st = Status(StatusCode::NOT_FOUND, "stream '" + req.stream() + "' has no baseline");
      return;
    }
    v1::Baseline* b = resp->mutable_baseline();
    *b = v.baseline->proto;
    std::vector<std::string> names = v.baseline->stats.class_names;
    names.resize(std::max<size_t>(names.size(), v.baseline->stats.stats.num_classes()));
    stats_to_proto(v.baseline->stats.stats, names, StatsSections{}, b->mutable_stats());
  });
  if (!found) return unknown_stream(req.stream());
  return st;
}

}  // namespace predwatch::daemon
