// Conversions from the engine's state to the query API's messages (proto/predwatch/v1/
// monitor.proto), shared by the gRPC service, the CLI and the tests so that every reader
// names measures, subjects and states the same way.
//
// Pure functions; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/alert_tracker.h"
#include "core/drift_report.h"
#include "core/stream_monitor.h"
#include "google/protobuf/timestamp.pb.h"
#include "predwatch/v1/monitor.pb.h"

namespace predwatch::daemon {

void ms_to_timestamp(int64_t ms, google::protobuf::Timestamp* ts);
int64_t timestamp_to_ms(const google::protobuf::Timestamp& ts);

// Window metadata (name, type, frames, fill, start/end, late frames) of window i.
void window_info(const core::StreamMonitor& monitor, size_t i, v1::WindowInfo* out);

// Subject list of a finding or alert: [] stream-wide, [class], or [a, b] (a < b).
std::vector<std::string> subject_parts(core::AlertKind kind, const std::string& subject);
bool is_pair_kind(core::AlertKind kind);

v1::Alert::State state_to_proto(core::AlertState state);
// Alert message of a pending/firing/resolved alert (summary: one line a person reads).
void alert_to_proto(const core::Alert& alert, v1::Alert* out);

// Every score of one finding: the deciding measure, then the other distances it computed
// (js_distance, psi, hellinger) with the evaluator's verdicts (see DriftScore in
// monitor.proto and core::DistanceVerdict).
void finding_scores(const core::DriftReport& report, const core::DriftFinding& finding,
                    google::protobuf::RepeatedPtrField<v1::DriftScore>* out);

}  // namespace predwatch::daemon
