// `predwatch replay`: runs recorded prediction events through the same path as the daemon
// (core::StreamMonitor windows, core::evaluate_drift at every drift.evaluation_interval of
// event time, core::AlertTracker) and prints the alert timeline.
//
// Input: a JSON-lines file, one predwatch.v1.PredictionEvent in protobuf's JSON mapping per
// line (daemon/ingest/json_event_decoder.h; blank lines skipped; a line that does not decode
// is reported on `err` with its line number and skipped), or, with `ground_truth` set, a
// COCO results file (the coco-results importer). Events without a timestamp (all COCO
// results) get synthetic times: start_ms + i * 1000 / fps for the i-th event.
//
// Evaluation times are the multiples of the evaluation interval; when an event's time
// passes one or more of them, the monitors are advanced to each in turn and every window of
// every stream is evaluated there (so an evaluation sees exactly the events before it).
// After the last event one final evaluation runs at the next multiple.
//
// Output, one line per alert transition (pending, firing, resolved, dropped = back to
// inactive): an aligned human table by default; with `json`, one JSON object per line with
// time, state, from, kind, stream, window, subject (array of 0-2 class names), score,
// threshold, fingerprint, p_value, counts, since, exemplars.
//
// Not thread-safe; runs on the calling thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>

#include "config/settings.h"
#include "core/drift_report.h"

namespace predwatch::daemon {

struct ReplayOptions {
  std::filesystem::path events;
  std::filesystem::path baseline;
  std::filesystem::path config;        // empty: default settings
  std::filesystem::path ground_truth;  // set: `events` is a COCO results file
  double fps = 10;                     // synthetic times
  int64_t start_ms = 0;                // synthetic times start here
  std::string stream = "replay";       // for events that name no stream
  bool json = false;
};

// The drift engine's thresholds from a resolved configuration layer: the fields both have,
// plus the enabled kinds (drift.kinds). Fields the configuration does not carry
// (measure, hellinger_warn, min_class_images, min_rate_ratio) keep core's defaults.
core::DriftThresholds to_core_thresholds(const config::DriftThresholds& t,
                                         const std::vector<config::DriftKind>& kinds);

// Returns the exit code: 0 done, 1 a failure reported on `err` (unreadable input or
// baseline, invalid configuration).
int run_replay(const ReplayOptions& options, std::ostream& out, std::ostream& err);

}  // namespace predwatch::daemon
