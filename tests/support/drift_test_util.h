// Helpers shared by the drift evaluator's scenario tests: the default thresholds (and those
// with the "no change" null) as resolvers, and the flagged findings of a report as "kind subject"
// strings.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "core/drift_report.h"

namespace predwatch::core {

inline const DriftThresholds& default_thresholds() {
  static const DriftThresholds th;
  return th;
}

inline const ThresholdResolver kDefaults = [](std::string_view) -> const DriftThresholds& {
  return default_thresholds();
};

// The default thresholds with the "no change" null (minimum_effect = false): for tests of the
// dependence machinery against the evaluator that takes frames as independent.
inline const ThresholdResolver kAnyChange = [](std::string_view) -> const DriftThresholds& {
  static const DriftThresholds th = [] {
    DriftThresholds t;
    t.minimum_effect = false;
    return t;
  }();
  return th;
};

inline std::set<std::string> flagged(const DriftReport& r) {
  std::set<std::string> out;
  for (const DriftFinding& f : r.findings)
    if (f.flagged) out.insert(std::string(alert_kind_name(f.kind)) + " " + f.subject());
  return out;
}

}  // namespace predwatch::core
