#include "daemon/engine/alert_store.h"

#include <fstream>
#include <system_error>

#include "daemon/baseline/baseline_file.h"
#include "predwatch/v1/state.pb.h"

namespace predwatch::daemon {
namespace {

namespace fs = std::filesystem;

void counts_to_proto(const core::AlertCounts& c, auto* p) {
  p->set_window_count(c.window_count);
  p->set_window_total(c.window_total);
  p->set_baseline_count(c.baseline_count);
  p->set_baseline_total(c.baseline_total);
}

core::AlertCounts counts_from_proto(const auto& p) {
  return {p.window_count(), p.window_total(), p.baseline_count(), p.baseline_total()};
}

void to_proto(const SavedAlert& saved, v1::SavedAlert* p) {
  const core::Alert& a = saved.alert;
  const core::AlertObservation& o = a.last;
  p->set_kind(std::string(core::alert_kind_name(o.key.kind)));
  p->set_stream(o.key.stream);
  p->set_subject(o.key.subject);
  p->set_firing(a.state == core::AlertState::kFiring);
  p->set_active_since_ms(a.active_since_ms);
  p->set_firing_since_ms(a.firing_since_ms);
  p->set_last_evaluated_ms(a.last_evaluated_ms);
  p->set_over_streak(a.over_streak);
  p->set_calm_streak(a.calm_streak);
  p->set_peak_score(a.peak_score);
  p->set_over_threshold(o.over_threshold);
  p->set_score(o.score);
  p->set_threshold(o.threshold);
  p->set_p_value(o.p_value);
  counts_to_proto(o.counts, p);
  for (const std::string& id : o.exemplar_ids) p->add_exemplar_ids(id);
  p->set_window(o.window);
  p->set_against(std::string(core::against_name(o.against)));
  for (const core::AlertWindow& w : o.windows) {
    v1::SavedAlertWindow* pw = p->add_windows();
    pw->set_window(w.window);
    pw->set_over(w.over);
    pw->set_score(w.score);
    pw->set_threshold(w.threshold);
    pw->set_p_value(w.p_value);
    counts_to_proto(w.counts, pw);
    pw->set_against(std::string(core::against_name(w.against)));
    pw->set_position(w.position);
    pw->set_length(w.length);
  }
  for (const std::string& s : o.related_subjects) p->add_related_subjects(s);
  for (const std::string& c : o.pair_classes) p->add_pair_classes(c);
  for (const TopicPartition& tp : saved.partitions) {
    v1::SavedPartition* pp = p->add_partitions();
    pp->set_topic(tp.topic);
    pp->set_partition(tp.partition);
  }
}

// "" or why the alert cannot be restored.
std::string from_proto(const v1::SavedAlert& p, SavedAlert& saved) {
  core::Alert& a = saved.alert;
  core::AlertObservation& o = a.last;
  const auto kind = core::alert_kind_from_name(p.kind());
  if (!kind) return "unknown kind '" + p.kind() + "'";
  const auto against = core::against_from_name(p.against());
  if (!against) return "unknown comparison '" + p.against() + "'";
  o.key = {*kind, p.stream(), p.subject()};
  a.fingerprint = core::alert_fingerprint(o.key);
  a.state = p.firing() ? core::AlertState::kFiring : core::AlertState::kPending;
  a.active_since_ms = p.active_since_ms();
  a.firing_since_ms = p.firing_since_ms();
  a.last_evaluated_ms = p.last_evaluated_ms();
  a.over_streak = p.over_streak();
  a.calm_streak = p.calm_streak();
  a.peak_score = p.peak_score();
  o.over_threshold = p.over_threshold();
  o.score = p.score();
  o.threshold = p.threshold();
  o.p_value = p.p_value();
  o.counts = counts_from_proto(p);
  o.exemplar_ids.assign(p.exemplar_ids().begin(), p.exemplar_ids().end());
  o.window = p.window();
  o.against = *against;
  for (const v1::SavedAlertWindow& pw : p.windows()) {
    core::AlertWindow& w = o.windows.emplace_back();
    const auto window_against = core::against_from_name(pw.against());
    if (!window_against) return "unknown comparison '" + pw.against() + "'";
    w.window = pw.window();
    w.over = pw.over();
    w.score = pw.score();
    w.threshold = pw.threshold();
    w.p_value = pw.p_value();
    w.counts = counts_from_proto(pw);
    w.against = *window_against;
    w.position = pw.position();
    w.length = pw.length();
  }
  o.related_subjects.assign(p.related_subjects().begin(), p.related_subjects().end());
  o.pair_classes.assign(p.pair_classes().begin(), p.pair_classes().end());
  for (const v1::SavedPartition& pp : p.partitions())
    saved.partitions.push_back({pp.topic(), pp.partition()});
  return {};
}

}  // namespace

AlertStore::AlertStore(fs::path directory) : directory_(std::move(directory)) {}

std::string AlertStore::save(std::span<const SavedAlert> alerts, int64_t saved_at_ms) const {
  if (std::string error = ensure_directory(directory_); !error.empty()) return error;
  v1::SavedAlerts file;
  file.set_format_version(1);
  file.set_saved_at_ms(saved_at_ms);
  for (const SavedAlert& a : alerts) to_proto(a, file.add_alerts());
  return write_message(path(), file);
}

std::vector<SavedAlert> AlertStore::load(std::string& error) const {
  error.clear();
  std::vector<SavedAlert> out;
  const fs::path file = path();
  std::error_code ec;
  if (!fs::exists(file, ec)) return out;
  std::ifstream in(file, std::ios::binary);
  v1::SavedAlerts saved;
  if (!in || !saved.ParseFromIstream(&in)) {
    error = file.string() + ": not a predwatch alert state (cannot read or parse it)";
    return out;
  }
  if (saved.format_version() != 1) {
    error = file.string() + ": unknown format_version " + std::to_string(saved.format_version());
    return out;
  }
  for (int i = 0; i < saved.alerts_size(); ++i) {
    SavedAlert a;
    if (std::string why = from_proto(saved.alerts(i), a); !why.empty()) {
      error += (error.empty() ? file.string() + ": " : "; ") + "alert " + std::to_string(i) + " (" +
               saved.alerts(i).stream() + ") left out: " + why;
      continue;
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace predwatch::daemon
