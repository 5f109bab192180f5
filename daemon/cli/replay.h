// `predwatch replay`: a backtest on recorded prediction events with the daemon's own engine.
//
// The MonitorEngine is built from the same YAML as predwatchd (make_engine_config: windows,
// per-stream entries with their class maps, class lists, windows and baselines, thresholds,
// alerting); `baseline`, when given, replaces every stream's baseline. Events are applied in
// file order through an EventTimeEvaluator, so the engine is evaluated at the multiples of
// drift.evaluation_interval in event time, exactly as predwatchd with
// `drift.evaluation_clock: event` does, and the alert transitions printed are the engine's
// (its subscription). Nothing here builds a monitor or a tracker of its own. Each stream
// learns its reference from the recording (`reference.*`, docs/DRIFT.md "Learned
// reference"); `state.dir` is ignored: a replay neither loads nor saves references,
// installed baselines or alerts.
//
// Input: a JSON-lines file, one predwatch.v1.PredictionEvent in protobuf's JSON mapping per
// line (daemon/ingest/json_event_decoder.h; blank lines skipped; a line that does not decode
// is reported on `err` with its line number and skipped) or, with `topic` set, messages of
// that Kafka topic as its event mapping reads them (daemon/cli/file_event_decoder.h), or,
// with `ground_truth` set, a
// COCO results file (the coco-results importer). Events without a timestamp (all COCO
// results) get synthetic times: start_ms + i * 1000 / fps for the i-th event. Events without
// a stream are given `stream`.
//
// Without --config, the statistics layout follows the baseline's (a baseline built with
// `--grid 8` replays as is); with a config, they must agree, as in the daemon.
//
// Output, one line per alert transition (pending, firing, resolved, dropped = back to
// inactive) of the engine's alerts, one per (stream, kind, subject) whatever number of
// windows agree: an aligned human table by default (the deciding window, and the windows
// over); with `json`, one JSON object per line with time, state, from, kind, stream, window
// (the deciding one), subject (array of 0-2 class names), score, threshold, fingerprint,
// p_value, counts, since, peak_score, exemplars, windows (every window's verdict: window,
// against, over, score, threshold, p_value, window_count, window_total) and related_subjects (the
// partner classes folded into a class_appeared alert), as the alert log writes them.
// `scores` (a path) receives every evaluation's findings as JSON lines: time, stream,
// window, against, kind, subject, measure, score, threshold, p_value, tested, flagged, dispersion
// (the φ the test divided its counts by, docs/DRIFT.md "Correlated frames") and its df,
// counts, note.
// A summary (events applied, rejected by reason, late frames, evaluations) goes to `err`.
//
// Not thread-safe; runs on the calling thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>

namespace predwatch::daemon {

struct ReplayOptions {
  std::filesystem::path events;
  std::filesystem::path baseline;      // empty: the configured baselines
  std::filesystem::path config;        // empty: default settings
  std::filesystem::path ground_truth;  // set: `events` is a COCO results file
  std::filesystem::path scores;        // set: every evaluation's scores as JSON lines
  double fps = 10;                     // synthetic times
  int64_t start_ms = 0;                // synthetic times start here
  std::string stream = "replay";       // for events that name no stream
  std::string topic;                   // set: lines are messages of this topic (its mapping)
  bool json = false;
};

// Returns the exit code: 0 done, 1 a failure reported on `err` (unreadable input or
// baseline, invalid configuration).
int run_replay(const ReplayOptions& options, std::ostream& out, std::ostream& err);

}  // namespace predwatch::daemon
