// From drift findings to the alert tracker: one function shared by the daemon's engine and
// `predwatch replay`, so both page on the same verdicts with the same evidence attached.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/alert_tracker.h"
#include "core/drift_report.h"
#include "core/stream_monitor.h"

namespace predwatch::core {

// The most recent frames behind a finding, from window `window` of `monitor`: frames with
// the pair (pair kinds), with the class's box centre in the most changed heatmap cell
// (spatial), with the most increased object count (objects_per_image), or with the class;
// none for a vanished class or a stream-wide finding.
std::vector<std::string> finding_exemplars(const StreamMonitor& monitor, size_t window,
                                           const DriftFinding& finding);

// The tracker's view of a finding of (stream, window); exemplars only when it is flagged.
AlertObservation to_observation(const DriftFinding& finding, const StreamMonitor& monitor,
                                size_t window);

}  // namespace predwatch::core
