#include "daemon/api/api_convert.h"

#include <cmath>
#include <cstdio>

namespace predwatch::daemon {

void window_info(const core::StreamMonitor& m, size_t i, v1::WindowInfo* out) {
  const core::WindowSpec& spec = m.spec(i);
  out->set_name(spec.name);
  out->set_type(spec.type == core::WindowSpec::Type::kTime ? v1::WindowInfo::TYPE_TIME
                                                           : v1::WindowInfo::TYPE_COUNT);
  out->set_frames(uint64_t(m.window(i).frames_in_window()));
  out->set_fill_ratio(m.fill_ratio(i));
  ms_to_timestamp(m.window_start_ms(i), out->mutable_start());
  ms_to_timestamp(m.window_end_ms(i), out->mutable_end());
  out->set_late_frames(m.window(i).late_frames());
}

bool is_pair_kind(core::AlertKind kind) {
  return kind == core::AlertKind::kPairRate || kind == core::AlertKind::kNovelPair;
}

std::vector<std::string> subject_parts(core::AlertKind kind, const std::string& subject) {
  if (subject.empty()) return {};
  if (is_pair_kind(kind)) {
    const size_t bar = subject.find('|');
    if (bar != std::string::npos) return {subject.substr(0, bar), subject.substr(bar + 1)};
  }
  return {subject};
}

v1::Alert::State state_to_proto(core::AlertState state) {
  switch (state) {
    case core::AlertState::kPending:
      return v1::Alert::STATE_PENDING;
    case core::AlertState::kFiring:
      return v1::Alert::STATE_FIRING;
    case core::AlertState::kResolved:
      return v1::Alert::STATE_RESOLVED;
    case core::AlertState::kInactive:
      return v1::Alert::STATE_DROPPED;
  }
  return v1::Alert::STATE_UNSPECIFIED;
}

namespace {

bool is_rate_kind(core::AlertKind k) {
  return k == core::AlertKind::kPairRate || k == core::AlertKind::kNovelPair ||
         k == core::AlertKind::kClassAppeared || k == core::AlertKind::kClassVanished;
}

std::string format_g(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

}  // namespace

v1::Against against_to_proto(core::Against against) {
  return against == core::Against::kReference ? v1::AGAINST_REFERENCE : v1::AGAINST_BASELINE;
}

std::string window_label(const std::string& window, core::Against against) {
  return against == core::Against::kReference ? window + " vs reference" : window;
}

std::string windows_over(const core::AlertObservation& o) {
  std::string over;
  for (const core::AlertWindow& w : o.windows) {
    if (!w.over) continue;
    if (!over.empty()) over += ",";
    over += window_label(w.window, w.against);
  }
  return over;
}

void reference_to_proto(std::string_view stream, const ReferenceInfo& info,
                        v1::ReferenceInfo* out) {
  out->set_stream(std::string(stream));
  switch (info.state) {
    case core::ReferenceState::kComplete:
      out->set_state(v1::ReferenceInfo::STATE_COMPLETE);
      break;
    case core::ReferenceState::kPinned:
      out->set_state(v1::ReferenceInfo::STATE_PINNED);
      break;
    default:
      out->set_state(v1::ReferenceInfo::STATE_LEARNING);
  }
  out->set_frames(info.frames);
  out->set_inherited_from(info.inherited_from);
  if (info.frames > 0) {
    ms_to_timestamp(info.start_ms, out->mutable_start());
    ms_to_timestamp(info.end_ms, out->mutable_end());
  }
  out->set_progress(info.progress);
}

std::string alert_summary(const core::Alert& a) {
  const core::AlertObservation& o = a.last;
  std::string summary = std::string(core::alert_kind_name(o.key.kind));
  summary += o.key.subject.empty() ? " (stream-wide)" : " " + o.key.subject;
  if (!o.related_subjects.empty()) {
    summary += " (with";
    for (const auto& s : o.related_subjects)
      summary += (&s == &o.related_subjects[0] ? " " : ", ") + s;
    summary += ")";
  }
  summary += " on " + o.key.stream + ": " + std::string(core::alert_state_name(a.state)) +
             ", score " + format_g(o.score) + " vs threshold " + format_g(o.threshold) +
             " in window " + window_label(o.window, o.against);
  if (o.counts.window_total > 0) {
    summary += ", " + std::to_string(o.counts.window_count) + " in " +
               std::to_string(o.counts.window_total) + " window frames";
  }
  const std::string over = windows_over(o);
  summary += over.empty() ? "; no window over now" : "; over in " + over;
  if (o.windows.size() > 1) summary += " of " + std::to_string(o.windows.size()) + " windows";
  return summary;
}

void alert_to_proto(const core::Alert& a, v1::Alert* out) {
  const core::AlertObservation& o = a.last;
  out->set_fingerprint(core::fingerprint_hex(a.fingerprint));
  out->set_kind(std::string(core::alert_kind_name(o.key.kind)));
  out->set_stream(o.key.stream);
  out->set_window(o.window);
  out->set_against(against_to_proto(o.against));
  for (auto& s : subject_parts(o.key.kind, o.key.subject)) out->add_subject(std::move(s));
  out->set_state(state_to_proto(a.state));
  out->set_score(o.score);
  out->set_threshold(o.threshold);
  if (std::isfinite(o.p_value)) out->set_p_value(o.p_value);
  out->set_window_count(o.counts.window_count);
  out->set_window_frames(o.counts.window_total);
  if (is_rate_kind(o.key.kind)) {
    // Smoothed baseline rate (K + 1/2) / (N + 1), as the drift engine's rate tests use.
    const double rate =
        (double(o.counts.baseline_count) + 0.5) / (double(o.counts.baseline_total) + 1.0);
    out->set_expected_count(rate * double(o.counts.window_total));
  }
  const int64_t since = a.state == core::AlertState::kFiring && a.firing_since_ms != 0
                            ? a.firing_since_ms
                            : a.active_since_ms;
  ms_to_timestamp(since, out->mutable_since());
  for (const auto& id : o.exemplar_ids) out->add_exemplars(id);
  for (const core::AlertWindow& w : o.windows) {
    v1::AlertWindow* d = out->add_windows();
    d->set_window(w.window);
    d->set_over(w.over);
    d->set_score(w.score);
    d->set_threshold(w.threshold);
    if (std::isfinite(w.p_value)) d->set_p_value(w.p_value);
    d->set_window_count(w.counts.window_count);
    d->set_window_frames(w.counts.window_total);
    d->set_against(against_to_proto(w.against));
  }
  for (const auto& s : o.related_subjects) out->add_related_subjects(s);
  out->set_summary(alert_summary(a));
}

v1::AlertTransition transition_to_proto(const core::AlertTransition& t) {
  v1::AlertTransition m;
  ms_to_timestamp(t.time_ms, m.mutable_time());
  alert_to_proto(t.alert, m.mutable_alert());
  m.set_previous_state(t.from == core::AlertState::kInactive ? v1::Alert::STATE_UNSPECIFIED
                                                             : state_to_proto(t.from));
  m.set_note(t.note);
  return m;
}

void finding_scores(const core::DriftReport& report, const core::DriftFinding& f,
                    google::protobuf::RepeatedPtrField<v1::DriftScore>* out) {
  auto base = [&](v1::DriftScore* s) {
    s->set_kind(std::string(core::alert_kind_name(f.kind)));
    s->set_window(report.window);
    if (!f.subject_a.empty()) s->add_subject(f.subject_a);
    if (!f.subject_b.empty()) s->add_subject(f.subject_b);
    if (std::isfinite(f.p_value)) s->set_p_value(f.p_value);
    s->set_window_count(f.counts.window_count);
    if (std::isfinite(f.expected)) s->set_expected_count(f.expected);
    s->set_window_frames(report.window_frames);
    s->set_baseline_frames(report.baseline_frames);
    s->set_against(against_to_proto(report.against));
  };
  v1::DriftScore* main = out->Add();
  base(main);
  main->set_measure(f.measure);
  main->set_score(f.score);
  main->set_threshold(f.threshold);
  main->set_flagged(f.flagged);
  main->set_note(f.note);
  auto watch = [](const core::DistanceVerdict& d, v1::DriftScore* s) {
    if (std::isfinite(d.warn_threshold)) s->set_warn_threshold(d.warn_threshold);
    s->set_watch(d.watch);
  };

  for (const core::DistanceVerdict& d : f.distances) {
    if (d.measure.empty()) continue;
    if (d.measure == f.measure) {
      watch(d, main);
      continue;
    }
    v1::DriftScore* s = out->Add();
    base(s);
    s->set_measure(std::string(d.measure));
    s->set_score(d.score);
    s->set_threshold(d.threshold);
    s->set_flagged(d.flagged);
    watch(d, s);
    s->set_note(f.note.empty() ? "secondary" : "secondary; " + f.note);
  }
}

std::optional<v1::ObjectHistogram> object_histogram_named(std::string_view name) {
  static constexpr std::pair<std::string_view, v1::ObjectHistogram> kNames[] = {
      {"width", v1::OBJECT_HISTOGRAM_WIDTH},
      {"height", v1::OBJECT_HISTOGRAM_HEIGHT},
      {"area", v1::OBJECT_HISTOGRAM_AREA},
      {"confidence", v1::OBJECT_HISTOGRAM_CONFIDENCE}};
  for (const auto& [n, h] : kNames)
    if (n == name) return h;
  return std::nullopt;
}

}  // namespace predwatch::daemon
