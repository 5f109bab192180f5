#include "core/drift_observation.h"

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

AlertObservation to_observation(const DriftFinding& f, const StreamMonitor& m, size_t window) {
  AlertObservation o;
  o.key = {f.kind, m.stream(), m.spec(window).name, f.subject()};
  o.over_threshold = f.flagged;
  o.score = f.score;
  o.threshold = f.threshold;
  o.p_value = f.p_value;
  o.counts = f.counts;
  if (f.flagged) o.exemplar_ids = finding_exemplars(m, window, f);
  return o;
}

}  // namespace predwatch::core
