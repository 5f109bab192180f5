// MonitorCommands: the write side of predwatch.v1.MonitorService (SetBaseline, SnapshotBaseline,
// RevertBaseline, PinReference, ResetReference) and GetReference, as plain functions over a
// MonitorEngine, beside the read side (monitor_queries.h): the gRPC service calls them after
// authorizing the call (api_auth.h: these need the write token), and the fuzz target
// tests/fuzz/grpc_commands_fuzz.cc calls them with arbitrary requests.
//
// Each function fills `resp` and returns OK, or the error a gRPC caller gets:
// INVALID_ARGUMENT (no stream, no or a malformed baseline), NOT_FOUND (unknown stream),
// FAILED_PRECONDITION (a baseline without frames or of another histogram layout, an empty
// window, references disabled, nothing to revert), UNAVAILABLE (SnapshotBaseline and
// PinReference while `ready` is false: windows being rebuilt); `resp` is then in an
// unspecified state.
//
// Thread-safety: as MonitorEngine's control calls (any thread).
#pragma once

#include <grpcpp/support/status.h>

#include "daemon/engine/monitor_engine.h"
#include "predwatch/v1/monitor.pb.h"

namespace predwatch::daemon {

grpc::Status command_set_baseline(MonitorEngine& engine, const v1::SetBaselineRequest& req,
                                  v1::SetBaselineResponse* resp);
grpc::Status command_snapshot_baseline(MonitorEngine& engine, bool ready,
                                       const v1::SnapshotBaselineRequest& req,
                                       v1::SnapshotBaselineResponse* resp);
grpc::Status command_revert_baseline(MonitorEngine& engine, const v1::RevertBaselineRequest& req,
                                     v1::RevertBaselineResponse* resp);
grpc::Status query_reference(const MonitorEngine& engine, const std::string& stream,
                             v1::ReferenceInfo* resp);
grpc::Status command_pin_reference(MonitorEngine& engine, bool ready,
                                   const v1::PinReferenceRequest& req, v1::ReferenceInfo* resp);
grpc::Status command_reset_reference(MonitorEngine& engine, const v1::ResetReferenceRequest& req,
                                     v1::ReferenceInfo* resp);

}  // namespace predwatch::daemon
