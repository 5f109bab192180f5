// From drift findings to the alert tracker: one function shared by the daemon's engine and
// `predwatch replay`, so both page on the same verdicts with the same evidence attached.
//
// One alert per (stream, kind, subject): stream_observations merges the findings of all the
// stream's windows on one key into one observation (docs/DRIFT.md "Alerts"):
//   - over  = some window's finding is flagged;
//   - calm  = every window is calm (the tracker checks each window detail);
//   - the payload (score, threshold, p-value, counts, exemplars) is the deciding window's:
//     the flagged window with the largest score / threshold, else (none flagged) the window
//     with the largest score / threshold;
//   - `windows` lists every window's verdict on the key, in the stream's window order.
// Reports against the stream's learned reference (DriftReport::against == kReference) merge
// into the same observation as those against the baseline: one alert per (stream, kind,
// subject), each window detail saying which comparison it is (AlertWindow::against; a
// window's baseline detail comes before its reference detail), and the deciding window may
// be either.
// Pairs with a class absent from the baseline fold into that class's class_appeared alert:
// a novel_pair or pair_rate finding involving a class that has a class_appeared finding
// (in any of the stream's reports: the baseline is the stream's) makes no observation of its
// own; when flagged, its partner class is listed in the class_appeared observation's
// related_subjects.
#pragma once

#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "core/alert_tracker.h"
#include "core/drift_report.h"
#include "core/stream_monitor.h"

namespace predwatch::core {

// The most recent frames behind a finding, from window `window` of `monitor`: frames with
// the pair (pair kinds), with the class's box centre in the most changed heatmap cell
// (spatial), with the most increased object count (objects_per_image), with a box of the
// class in the area or confidence bin whose share grew most (box_size, confidence), or with
// the class; none for a vanished class or a stream-wide finding.
std::vector<std::string> finding_exemplars(const StreamMonitor& monitor, size_t window,
                                           const DriftFinding& finding);

// The tracker's view of one finding of window `window` compared with `against`: its
// payload, `window` set to the window's name and a one-entry window detail list; exemplars
// only when it is flagged. `position`: where the window stood when judged
// (DriftReport::window_position; NaN: where it stands now).
AlertObservation to_observation(const DriftFinding& finding, const StreamMonitor& monitor,
                                size_t window, Against against = Against::kBaseline,
                                double position = std::numeric_limits<double>::quiet_NaN());

// The tracker's view of one evaluation of a stream: one observation per (kind, subject) that
// some window tested or flagged, merged over `reports` (the stream's reports of this
// evaluation, each naming one of monitor's windows; reports of unknown windows are ignored).
// Order: keys by their first finding, reports taken in the given order.
std::vector<AlertObservation> stream_observations(const StreamMonitor& monitor,
                                                  std::span<const DriftReport> reports);
// The same, of the keys that some window flagged or that are in `tracked` (the tracker's
// keys of the stream, AlertTracker::tracked_keys) only: the others would be observations
// that are not over threshold of keys without an alert, which the tracker passes over.
// The tracker's transitions are the same as with every observation; a healthy stream's
// evaluation then builds none of its ~thousand tested pairs' observations.
std::vector<AlertObservation> stream_observations(const StreamMonitor& monitor,
                                                  std::span<const DriftReport> reports,
                                                  std::span<const AlertKey> tracked);

// The ratio that picks the deciding window: score / threshold (score when threshold <= 0);
// -infinity for a NaN score.
double decision_ratio(double score, double threshold);

}  // namespace predwatch::core
