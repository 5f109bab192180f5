#include "core/alert_tracker.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <map>

namespace predwatch::core {
namespace {

constexpr std::array<std::string_view, kAlertKindCount> kKindNames = {
    "class_distribution", "pair_rate", "novel_pair",     "objects_per_image", "spatial",
    "confidence",         "box_size",  "class_appeared", "class_vanished",    "objects_per_frame",
};

constexpr char kSeparator = '\x1f';

void emit(const Alert& alert, AlertState from, int64_t now_ms, std::vector<AlertTransition>& out) {
  AlertTransition& t = out.emplace_back();
  t.from = from;
  t.to = alert.state;
  t.time_ms = now_ms;
  t.alert = alert;
}

}  // namespace

std::string_view alert_kind_name(AlertKind kind) {
  const auto index = static_cast<size_t>(kind);
  return index < kKindNames.size() ? kKindNames[index] : std::string_view("unknown");
}

std::optional<AlertKind> alert_kind_from_name(std::string_view name) {
  for (size_t i = 0; i < kKindNames.size(); ++i) {
    if (kKindNames[i] == name) return static_cast<AlertKind>(i);
  }
  return std::nullopt;
}

std::string_view against_name(Against against) {
  return against == Against::kReference ? "reference" : "baseline";
}

std::optional<Against> against_from_name(std::string_view name) {
  if (name == "baseline") return Against::kBaseline;
  if (name == "reference") return Against::kReference;
  return std::nullopt;
}

std::string_view alert_state_name(AlertState state) {
  switch (state) {
    case AlertState::kInactive:
      return "inactive";
    case AlertState::kPending:
      return "pending";
    case AlertState::kFiring:
      return "firing";
    case AlertState::kResolved:
      return "resolved";
  }
  return "unknown";
}

std::string pair_subject(std::string_view class_a, std::string_view class_b) {
  if (class_b < class_a) std::swap(class_a, class_b);
  std::string subject;
  subject.reserve(class_a.size() + 1 + class_b.size());
  subject.append(class_a).push_back('|');
  subject.append(class_b);
  return subject;
}

std::string canonical_alert_string(const AlertKey& key) {
  std::string s;
  const std::string_view kind = alert_kind_name(key.kind);
  s.reserve(kind.size() + key.stream.size() + key.subject.size() + 2);
  s.append(kind).push_back(kSeparator);
  s.append(key.stream).push_back(kSeparator);
  s.append(key.subject);
  return s;
}

uint64_t alert_fingerprint(const AlertKey& key) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (const char c : canonical_alert_string(key)) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

std::string fingerprint_hex(uint64_t fingerprint) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(16, '0');
  for (int i = 15; i >= 0; --i) {
    hex[i] = kDigits[fingerprint & 0xf];
    fingerprint >>= 4;
  }
  return hex;
}

AlertTracker::AlertTracker(AlertTrackerOptions options) : options_(options) {
  assert(options_.for_evaluations >= 1 && options_.resolve_evaluations >= 1);
  assert(options_.resolve_ratio > 0 && options_.resolve_ratio <= 1);
  assert(options_.confirm_share >= 0 && options_.confirm_share <= 1);
  assert(options_.immediate_p >= 0 && options_.immediate_p <= 1);
}

bool AlertTracker::confirm(Entry& entry, const AlertObservation* obs) const {
  std::vector<Streak> kept;
  // An observation without window details has nothing to confirm with.
  bool confirmed = obs != nullptr && obs->windows.empty();
  if (obs != nullptr) {
    for (const AlertWindow& w : obs->windows) {
      if (!w.over) continue;
      const double since = streak_start(entry.streaks, w);
      kept.push_back({w.window, w.against, since});
      confirmed = confirmed || w.p_value <= options_.immediate_p || renewed(w, since);
    }
  }
  entry.streaks = std::move(kept);
  return confirmed;
}

bool AlertTracker::settle(Entry& entry, const AlertObservation* obs) const {
  std::vector<Streak> kept;
  bool settled = true;
  if (obs != nullptr) {
    for (const AlertWindow& w : obs->windows) {
      const double since = streak_start(entry.streaks, w);
      kept.push_back({w.window, w.against, since});
      settled = settled && renewed(w, since);
    }
  }
  entry.streaks = std::move(kept);
  return settled;
}

double AlertTracker::streak_start(const std::vector<Streak>& streaks, const AlertWindow& w) {
  auto it = std::find_if(streaks.begin(), streaks.end(), [&](const Streak& s) {
    return s.window == w.window && s.against == w.against;
  });
  return it != streaks.end() ? it->since : w.position;
}

bool AlertTracker::renewed(const AlertWindow& w, double since) const {
  const double needed = options_.confirm_share * w.length;
  return options_.confirm_share == 0 || std::isnan(w.position) || std::isnan(needed) ||
         w.position - since >= needed;
}

bool AlertTracker::calm(const AlertObservation& obs) const {
  if (obs.over_threshold) return false;
  auto below = [&](double score, double threshold) {
    return std::isnan(score) || score < threshold * options_.resolve_ratio;
  };
  if (!below(obs.score, obs.threshold)) return false;
  return std::all_of(obs.windows.begin(), obs.windows.end(),
                     [&](const AlertWindow& w) { return !w.over && below(w.score, w.threshold); });
}

bool AlertTracker::step(Entry& entry, bool over, bool confirmed, bool calm, bool settled,
                        int64_t now_ms, std::vector<AlertTransition>& out) {
  Alert& a = entry.alert;
  a.last_evaluated_ms = now_ms;
  if (a.state == AlertState::kPending) {
    if (!over) {
      a.state = AlertState::kInactive;
      a.over_streak = 0;
      emit(a, AlertState::kPending, now_ms, out);
      return false;
    }
    if (++a.over_streak >= options_.for_evaluations && confirmed) {
      a.state = AlertState::kFiring;
      a.firing_since_ms = now_ms;
      a.over_streak = 0;
      a.calm_streak = 0;
      entry.streaks.clear();
      emit(a, AlertState::kPending, now_ms, out);
    }
    return true;
  }
  assert(a.state == AlertState::kFiring);
  if (!calm) {
    a.calm_streak = 0;
    return true;
  }
  if (++a.calm_streak >= options_.resolve_evaluations && settled) {
    a.state = AlertState::kResolved;
    emit(a, AlertState::kFiring, now_ms, out);
    return false;
  }
  return true;
}

std::vector<uint64_t> AlertTracker::pair_folds(
    std::string_view stream, std::span<const AlertObservation> observations) const {
  std::vector<uint64_t> into(observations.size(), 0);
  if (!options_.fold_pairs) return into;
  const auto pair_kind = [](AlertKind k) {
    return k == AlertKind::kPairRate || k == AlertKind::kNovelPair;
  };
  // (kind, class) -> the alert a new pair with that class folds into: the oldest active one
  // (then the smallest fingerprint), else the first one this pass starts.
  std::map<std::pair<AlertKind, std::string>, uint64_t> anchor;
  for (const auto& [fingerprint, entry] : alerts_) {
    const AlertObservation& last = entry.alert.last;
    if (last.key.stream != stream || !pair_kind(last.key.kind)) continue;
    for (const std::string& c : last.pair_classes) {
      auto [it, added] = anchor.try_emplace({last.key.kind, c}, fingerprint);
      const Alert& held = alerts_.at(it->second).alert;
      if (!added && std::pair(entry.alert.active_since_ms, fingerprint) <
                        std::pair(held.active_since_ms, it->second)) {
        it->second = fingerprint;
      }
    }
  }
  for (size_t i = 0; i < observations.size(); ++i) {
    const AlertObservation& obs = observations[i];
    if (!pair_kind(obs.key.kind) || !obs.over_threshold) continue;
    const uint64_t fingerprint = alert_fingerprint(obs.key);
    if (alerts_.contains(fingerprint)) continue;  // an alert of its own already
    for (const std::string& c : obs.pair_classes) {
      if (auto it = anchor.find({obs.key.kind, c}); it != anchor.end()) {
        into[i] = it->second;
        break;
      }
    }
    if (into[i] != 0) continue;
    for (const std::string& c : obs.pair_classes)
      anchor.try_emplace({obs.key.kind, c}, fingerprint);
  }
  return into;
}

namespace {
// Inserts `v` into the sorted, distinct `list`.
void insert_sorted(std::vector<std::string>& list, const std::string& v) {
  auto at = std::lower_bound(list.begin(), list.end(), v);
  if (at == list.end() || *at != v) list.insert(at, v);
}
}  // namespace

std::vector<AlertTransition> AlertTracker::evaluate(std::string_view stream,
                                                    std::span<const AlertObservation> observations,
                                                    int64_t now_ms) {
  ++pass_;
  std::vector<AlertTransition> out;
  // Folds first, so that every transition of this pass lists them.
  const std::vector<uint64_t> folds = pair_folds(stream, observations);
  std::map<uint64_t, std::vector<std::string>> folded_now;  // into alerts this pass starts
  for (size_t i = 0; i < observations.size(); ++i) {
    if (folds[i] == 0) continue;
    auto it = alerts_.find(folds[i]);
    insert_sorted(it != alerts_.end() ? it->second.folded : folded_now[folds[i]],
                  observations[i].key.subject);
  }
  for (size_t i = 0; i < observations.size(); ++i) {
    const AlertObservation& obs = observations[i];
    assert(obs.key.stream == stream);
    if (folds[i] != 0) continue;
    const bool over = obs.over_threshold;
    const bool calm = this->calm(obs);
    const uint64_t fingerprint = alert_fingerprint(obs.key);
    auto it = alerts_.find(fingerprint);
    if (it == alerts_.end()) {
      if (!over) continue;  // inactive and staying so: nothing to track
      Entry entry;
      entry.last_pass = pass_;
      if (auto f = folded_now.find(fingerprint); f != folded_now.end()) {
        entry.folded = std::move(f->second);
      }
      Alert& a = entry.alert;
      a.fingerprint = fingerprint;
      a.state = AlertState::kPending;
      a.active_since_ms = a.last_evaluated_ms = now_ms;
      a.over_streak = 1;
      a.peak_score = std::isfinite(obs.score) ? obs.score : 0;
      a.last = obs;
      if (!entry.folded.empty()) a.last.related_subjects = entry.folded;
      emit(a, AlertState::kInactive, now_ms, out);
      if (confirm(entry, &obs) && a.over_streak >= options_.for_evaluations) {
        a.state = AlertState::kFiring;
        a.firing_since_ms = now_ms;
        a.over_streak = 0;
        entry.streaks.clear();
        emit(a, AlertState::kPending, now_ms, out);
      }
      alerts_.emplace(fingerprint, std::move(entry));
      continue;
    }
    Entry& entry = it->second;
    if (entry.last_pass == pass_) continue;  // repeated key within one pass
    entry.last_pass = pass_;
    entry.alert.last = obs;
    if (!entry.folded.empty()) entry.alert.last.related_subjects = entry.folded;
    if (std::isfinite(obs.score))
      entry.alert.peak_score = std::max(entry.alert.peak_score, obs.score);
    const bool pending = entry.alert.state == AlertState::kPending;
    const bool confirmed = pending && confirm(entry, &obs);
    bool settled = false;
    if (!pending) {
      if (calm) {
        settled = settle(entry, &obs);
      } else {
        entry.streaks.clear();
      }
    }
    if (!step(entry, over, confirmed, calm, settled, now_ms, out)) alerts_.erase(it);
  }

  // Tracked keys of this stream that the pass did not report: one calm evaluation each.
  std::vector<uint64_t> absent;
  for (const auto& [fingerprint, entry] : alerts_) {
    if (entry.last_pass != pass_ && entry.alert.last.key.stream == stream) {
      absent.push_back(fingerprint);
    }
  }
  std::sort(absent.begin(), absent.end());
  for (const uint64_t fingerprint : absent) {
    auto it = alerts_.find(fingerprint);
    Entry& entry = it->second;
    entry.last_pass = pass_;
    entry.alert.last.over_threshold = false;
    for (AlertWindow& w : entry.alert.last.windows) w.over = false;
    const bool settled = settle(entry, nullptr);
    if (!step(entry, /*over=*/false, /*confirmed=*/false, /*calm=*/true, settled, now_ms, out)) {
      alerts_.erase(it);
    }
  }
  return out;
}

std::vector<AlertTransition> AlertTracker::forget_stream(std::string_view stream, int64_t now_ms,
                                                         std::string_view note) {
  std::vector<uint64_t> gone;
  for (const auto& [fingerprint, entry] : alerts_) {
    if (entry.alert.last.key.stream == stream) gone.push_back(fingerprint);
  }
  std::sort(gone.begin(), gone.end());
  std::vector<AlertTransition> out;
  for (const uint64_t fingerprint : gone) {
    auto it = alerts_.find(fingerprint);
    Alert& a = it->second.alert;
    const AlertState from = a.state;
    a.state = AlertState::kInactive;
    a.over_streak = a.calm_streak = 0;
    emit(a, from, now_ms, out);
    out.back().note = std::string(note);
    alerts_.erase(it);
  }
  return out;
}

size_t AlertTracker::restore(std::span<const Alert> alerts) {
  size_t taken = 0;
  for (const Alert& a : alerts) {
    if (a.state != AlertState::kPending && a.state != AlertState::kFiring) continue;
    const uint64_t fingerprint = alert_fingerprint(a.last.key);
    if (alerts_.contains(fingerprint)) continue;
    Entry entry;
    entry.alert = a;
    entry.alert.fingerprint = fingerprint;
    const AlertKind kind = a.last.key.kind;
    if (kind == AlertKind::kPairRate || kind == AlertKind::kNovelPair) {
      entry.folded = a.last.related_subjects;
      std::sort(entry.folded.begin(), entry.folded.end());
      entry.folded.erase(std::unique(entry.folded.begin(), entry.folded.end()), entry.folded.end());
    }
    alerts_.emplace(fingerprint, std::move(entry));
    ++taken;
  }
  return taken;
}

std::vector<Alert> AlertTracker::active() const {
  std::vector<Alert> list;
  list.reserve(alerts_.size());
  for (const auto& [fingerprint, entry] : alerts_) list.push_back(entry.alert);
  std::sort(list.begin(), list.end(),
            [](const Alert& a, const Alert& b) { return a.fingerprint < b.fingerprint; });
  return list;
}

const Alert* AlertTracker::find(uint64_t fingerprint) const {
  auto it = alerts_.find(fingerprint);
  return it == alerts_.end() ? nullptr : &it->second.alert;
}

bool AlertTracker::tracks_stream(std::string_view stream) const {
  for (const auto& [fingerprint, entry] : alerts_) {
    if (entry.alert.last.key.stream == stream) return true;
  }
  return false;
}

std::vector<AlertKey> AlertTracker::tracked_keys(std::string_view stream) const {
  std::vector<AlertKey> out;
  for (const auto& [fingerprint, entry] : alerts_) {
    if (entry.alert.last.key.stream == stream) out.push_back(entry.alert.last.key);
  }
  return out;
}

}  // namespace predwatch::core
