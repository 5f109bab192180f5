// Helpers shared by the drift evaluator's scenario tests: the default thresholds as a
// resolver, and the flagged findings of a report as "kind subject" strings.
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

inline std::set<std::string> flagged(const DriftReport& r) {
  std::set<std::string> out;
  for (const DriftFinding& f : r.findings)
    if (f.flagged) out.insert(std::string(alert_kind_name(f.kind)) + " " + f.subject());
  return out;
}

}  // namespace predwatch::core
