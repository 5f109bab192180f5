#include "daemon/engine/alert_store.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <system_error>

#include "daemon/baseline/baseline_file.h"
#include "daemon/baseline/state_store.h"
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

// The alerts of one file; `error` gets what was left out. `stream_file`: a per-stream file,
// whose alerts must be of the stream its name escapes.
std::vector<SavedAlert> read_file(const fs::path& file, bool stream_file, std::string& error) {
  std::vector<SavedAlert> out;
  const auto add_error = [&](const std::string& what) {
    error += (error.empty() ? "" : "; ") + file.string() + ": " + what;
  };
  std::ifstream in(file, std::ios::binary);
  v1::SavedAlerts saved;
  if (!in || !saved.ParseFromIstream(&in)) {
    // Moved aside, kept for a look, instead of being reported at every load.
    in.close();
    const fs::path aside = file.string() + ".unreadable";
    std::error_code ec;
    fs::rename(file, aside, ec);
    add_error("not a predwatch alert state (cannot read or parse it); " +
              (ec ? "cannot move it aside: " + ec.message() : "moved to " + aside.string()));
    return out;
  }
  if (saved.format_version() != 1) {
    add_error("unknown format_version " + std::to_string(saved.format_version()));
    return out;
  }
  for (int i = 0; i < saved.alerts_size(); ++i) {
    const v1::SavedAlert& p = saved.alerts(i);
    SavedAlert a;
    std::string why = from_proto(p, a);
    if (why.empty() && stream_file && AlertStore::file_name(p.stream()) != file.filename())
      why = "its stream's alerts belong in " + AlertStore::file_name(p.stream());
    if (!why.empty()) {
      add_error("alert " + std::to_string(i) + " (" + p.stream() + ") left out: " + why);
      continue;
    }
    out.push_back(std::move(a));
  }
  return out;
}

constexpr std::string_view kPrefix = "alerts_";
constexpr std::string_view kSuffix = ".pwstate";

}  // namespace

AlertStore::AlertStore(fs::path directory) : directory_(std::move(directory)) {}

std::string AlertStore::file_name(std::string_view stream) {
  return std::string(kPrefix) + StateStore::escaped_key(stream) + std::string(kSuffix);
}

std::string AlertStore::save(std::string_view stream, std::span<const SavedAlert> alerts,
                             int64_t saved_at_ms) const {
  const fs::path file = path(stream);
  if (alerts.empty()) return remove_file(file);
  if (std::string error = ensure_directory(directory_); !error.empty()) return error;
  v1::SavedAlerts out;
  out.set_format_version(1);
  out.set_saved_at_ms(saved_at_ms);
  for (const SavedAlert& a : alerts) to_proto(a, out.add_alerts());
  return write_message(file, out);
}

std::vector<SavedAlert> AlertStore::load(std::string& error) const {
  error.clear();
  std::vector<SavedAlert> out;
  std::error_code ec;
  if (!fs::is_directory(directory_, ec)) return out;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(directory_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() > kPrefix.size() + kSuffix.size() && name.starts_with(kPrefix) &&
        name.ends_with(kSuffix))
      files.push_back(it->path());
  }
  if (ec) error = directory_.string() + ": cannot list the directory: " + ec.message();
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    std::vector<SavedAlert> alerts = read_file(file, /*stream_file=*/true, error);
    out.insert(out.end(), std::make_move_iterator(alerts.begin()),
               std::make_move_iterator(alerts.end()));
  }
  return out;
}

std::string AlertStore::split_legacy_file() const {
  const fs::path legacy = legacy_path();
  std::error_code ec;
  if (!fs::exists(legacy, ec)) return {};
  std::string error;
  std::map<std::string, std::vector<SavedAlert>, std::less<>> by_stream;
  for (SavedAlert& a : read_file(legacy, /*stream_file=*/false, error))
    by_stream[a.alert.last.key.stream].push_back(std::move(a));
  for (const auto& [stream, alerts] : by_stream) {
    if (fs::exists(path(stream), ec)) continue;  // written by this version: newer
    if (std::string e = save(stream, alerts, 0); !e.empty()) {
      error += (error.empty() ? "" : "; ") + e;
      return error;  // keep the old file: nothing is lost
    }
  }
  if (std::string e = remove_file(legacy); !e.empty()) error += (error.empty() ? "" : "; ") + e;
  return error;
}

}  // namespace predwatch::daemon
