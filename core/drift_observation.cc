#include "core/drift_observation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <utility>

namespace predwatch::core {

std::vector<std::string> finding_exemplars(const StreamMonitor& m, size_t window,
                                           const DriftFinding& f) {
  const ClassRegistry& reg = m.classes();
  const ExemplarIndex& ex = m.exemplars();
  const int64_t start = m.window_start_ms(window);
  const ClassId a = f.subject_a.empty() ? ClassRegistry::kNotFound : reg.find(f.subject_a);
  if (a == ClassRegistry::kNotFound) return {};
  std::vector<Exemplar> found;
  switch (f.kind) {
    case AlertKind::kPairRate:
    case AlertKind::kNovelPair: {
      const ClassId b = reg.find(f.subject_b);
      if (b != ClassRegistry::kNotFound) found = ex.for_pair(a, b, start);
      break;
    }
    case AlertKind::kSpatial:
      found = f.hotspot >= 0 ? ex.for_cell(a, uint32_t(f.hotspot), start) : ex.for_class(a, start);
      break;
    case AlertKind::kObjectsPerImage:
      found = f.hotspot >= 1 ? ex.for_count_bucket(a, uint32_t(f.hotspot), start)
                             : ex.for_class(a, start);
      break;
    case AlertKind::kBoxSize:  // its test compares the area histograms
      found = f.hotspot >= 0
                  ? ex.for_histogram_bin(a, ObjectHistogram::kArea, uint32_t(f.hotspot), start)
                  : ex.for_class(a, start);
      break;
    case AlertKind::kConfidence:
      found = f.hotspot >= 0 ? ex.for_histogram_bin(a, ObjectHistogram::kConfidence,
                                                    uint32_t(f.hotspot), start)
                             : ex.for_class(a, start);
      break;
    case AlertKind::kClassVanished:
      break;  // nothing to show: the class is gone
    default:
      found = ex.for_class(a, start);
  }
  std::vector<std::string> ids;
  ids.reserve(found.size());
  for (auto& e : found) ids.push_back(std::move(e.frame_id));
  return ids;
}

namespace {

// Window `window`'s verdict on a finding, as an alert's window detail; `position`: where the
// window stood when judged (NaN: where it stands now).
AlertWindow window_detail(const DriftFinding& f, const StreamMonitor& m, size_t window,
                          Against against, double position) {
  return {.window = m.spec(window).name,
          .over = f.flagged,
          .score = f.score,
          .threshold = f.threshold,
          .p_value = f.p_value,
          .counts = f.counts,
          .against = against,
          .position = std::isnan(position) ? m.window_position(window) : position,
          .length = m.window_length(window)};
}

}  // namespace

AlertObservation to_observation(const DriftFinding& f, const StreamMonitor& m, size_t window,
                                Against against, double position) {
  AlertObservation o;
  o.key = {f.kind, m.stream(), f.subject()};
  o.over_threshold = f.flagged;
  o.score = f.score;
  o.threshold = f.threshold;
  o.p_value = f.p_value;
  o.counts = f.counts;
  o.window = m.spec(window).name;
  o.against = against;
  o.windows.push_back(window_detail(f, m, window, against, position));
  if (f.flagged) o.exemplar_ids = finding_exemplars(m, window, f);
  if (!f.subject_b.empty()) o.pair_classes = {f.subject_a, f.subject_b};
  return o;
}

double decision_ratio(double score, double threshold) {
  if (std::isnan(score)) return -std::numeric_limits<double>::infinity();
  return threshold > 0 ? score / threshold : score;
}

namespace {

// Whether two findings have the same kind and subject.
bool same_key(const DriftFinding& x, const DriftFinding& y) {
  return x.kind == y.kind && ((x.subject_a == y.subject_a && x.subject_b == y.subject_b) ||
                              (x.subject_a == y.subject_b && x.subject_b == y.subject_a));
}

// Observations of all keys (`keep` null), or of those flagged somewhere or in `*keep`.
std::vector<AlertObservation> observe(const StreamMonitor& m, std::span<const DriftReport> reports,
                                      const std::span<const AlertKey>* keep) {
  // Classes absent from the baseline (they have a class_appeared finding somewhere).
  std::set<std::string, std::less<>> appeared;
  std::vector<const DriftFinding*> flagged;  // with `keep`: findings flagged in some window
  for (const DriftReport& r : reports)
    for (const DriftFinding& f : r.findings) {
      if (f.kind == AlertKind::kClassAppeared) appeared.insert(f.subject_a);
      if (keep && f.flagged) flagged.push_back(&f);
    }
  auto kept = [&](const DriftFinding& f) {
    if (!keep || f.flagged) return true;
    for (const DriftFinding* k : flagged)
      if (same_key(*k, f)) return true;
    for (const AlertKey& k : *keep)
      if (k.kind == f.kind && f.has_subject(k.subject)) return true;
    return false;
  };

  struct Judged {
    size_t window;
    Against against;
    double position;
    const DriftFinding* finding;
  };
  struct Merged {
    AlertKind kind;
    std::string subject;
    std::vector<Judged> judged;
  };
  std::vector<Merged> merged;
  std::map<std::pair<AlertKind, std::string>, size_t> index;
  std::map<std::string, std::set<std::string>, std::less<>> related;  // appeared class -> partners
  for (const DriftReport& r : reports) {
    const int w = m.find_window(r.window);
    if (w < 0) continue;
    for (const DriftFinding& f : r.findings) {
      if (!f.tested && !f.flagged) continue;
      if (f.kind == AlertKind::kNovelPair || f.kind == AlertKind::kPairRate) {
        const bool a_new = appeared.contains(f.subject_a);
        const bool b_new = appeared.contains(f.subject_b);
        if (a_new || b_new) {
          if (f.flagged) {
            if (a_new) related[f.subject_a].insert(f.subject_b);
            if (b_new) related[f.subject_b].insert(f.subject_a);
          }
          continue;
        }
      }
      if (!kept(f)) continue;
      std::string subject = f.subject();
      auto [it, added] = index.try_emplace({f.kind, subject}, merged.size());
      if (added) merged.push_back({f.kind, std::move(subject), {}});
      merged[it->second].judged.push_back({size_t(w), r.against, r.window_position, &f});
    }
  }

  std::vector<AlertObservation> out;
  out.reserve(merged.size());
  for (Merged& k : merged) {
    // Details in window order, each window's baseline comparison before its reference one.
    std::stable_sort(k.judged.begin(), k.judged.end(), [](const Judged& a, const Judged& b) {
      return a.window != b.window ? a.window < b.window : a.against < b.against;
    });
    // The deciding window: flagged first, then the largest score / threshold; the first
    // window wins ties.
    const Judged* best = &k.judged.front();
    for (const Judged& j : k.judged) {
      const bool jf = j.finding->flagged, bf = best->finding->flagged;
      if (jf != bf) {
        if (jf) best = &j;
        continue;
      }
      if (decision_ratio(j.finding->score, j.finding->threshold) >
          decision_ratio(best->finding->score, best->finding->threshold)) {
        best = &j;
      }
    }
    AlertObservation o =
        to_observation(*best->finding, m, best->window, best->against, best->position);
    o.windows.clear();
    for (const Judged& j : k.judged) {
      o.over_threshold |= j.finding->flagged;
      o.windows.push_back(window_detail(*j.finding, m, j.window, j.against, j.position));
    }
    if (k.kind == AlertKind::kClassAppeared) {
      if (auto r = related.find(k.subject); r != related.end())
        o.related_subjects.assign(r->second.begin(), r->second.end());
    }
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace

std::vector<AlertObservation> stream_observations(const StreamMonitor& m,
                                                  std::span<const DriftReport> reports) {
  return observe(m, reports, nullptr);
}

std::vector<AlertObservation> stream_observations(const StreamMonitor& m,
                                                  std::span<const DriftReport> reports,
                                                  std::span<const AlertKey> tracked) {
  return observe(m, reports, &tracked);
}

}  // namespace predwatch::core
