// Conversions from the engine's state to the query API's messages (proto/predwatch/v1/
// monitor.proto), shared by the gRPC service, the CLI and the tests so that every reader
// names measures, subjects and states the same way.
//
// Pure functions; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/alert_tracker.h"
#include "core/drift_report.h"
#include "core/stream_monitor.h"
#include "daemon/convert/proto_time.h"
#include "daemon/engine/monitor_engine.h"
#include "google/protobuf/timestamp.pb.h"
#include "predwatch/v1/monitor.pb.h"

namespace predwatch::daemon {

// Window metadata (name, type, frames, fill, start/end, late frames) of window i.
void window_info(const core::StreamMonitor& monitor, size_t i, v1::WindowInfo* out);

// Subject list of a finding or alert: [] stream-wide, [class], or [a, b] (a < b).
std::vector<std::string> subject_parts(core::AlertKind kind, const std::string& subject);
bool is_pair_kind(core::AlertKind kind);

v1::Alert::State state_to_proto(core::AlertState state);
// Alert message of a pending/firing/resolved alert: the deciding window's payload, every
// window's verdict, the related subjects (class_appeared) and the summary.
void alert_to_proto(const core::Alert& alert, v1::Alert* out);
// AlertTransition message of a transition: its time, the alert after it (a transition to
// inactive: STATE_DROPPED when it never fired or left with its stream, else the alert's
// state), the state before it (STATE_UNSPECIFIED for a new pending alert) and the note.
v1::AlertTransition transition_to_proto(const core::AlertTransition& transition);
// One line a person reads, e.g. "class_appeared umbrella (with handbag, person) on cam:
// firing, score 9.2 vs threshold 1.3 in window 5m, 61 in 3000 window frames; over in 5m,1h of
// 3 windows".
std::string alert_summary(const core::Alert& alert);
// The names of the windows whose finding is over, comma-separated in window order ("" none).
std::string windows_over(const core::AlertObservation& observation);
// "5m", or "5m vs reference" for a comparison with the learned reference.
std::string window_label(const std::string& window, core::Against against);
v1::Against against_to_proto(core::Against against);
// A stream's learned reference as ReferenceInfo.
void reference_to_proto(std::string_view stream, const ReferenceInfo& info, v1::ReferenceInfo* out);

// Every score of one finding: the deciding measure, then the other distances it computed
// (js_distance, psi, hellinger) with the evaluator's verdicts (see DriftScore in
// monitor.proto and core::DistanceVerdict).
void finding_scores(const core::DriftReport& report, const core::DriftFinding& finding,
                    google::protobuf::RepeatedPtrField<v1::DriftScore>* out);

// The histogram a person names: "width", "height", "area" or "confidence" (the web API's
// `histogram=`, the CLI's --bin); nullopt for any other name.
std::optional<v1::ObjectHistogram> object_histogram_named(std::string_view name);

}  // namespace predwatch::daemon
