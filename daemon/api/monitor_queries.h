// MonitorQueries: the read side of predwatch.v1.MonitorService (ListStreams, GetWindowStats,
// GetDrift, ListAlerts, ListAlertTransitions, GetExemplars, GetBaseline) as plain functions over a
// MonitorEngine, so that every reader that speaks the query API — the gRPC service
// (api/grpc_server) and the web view's JSON API (web/web_api) — answers from the same code: same
// validation, same error codes and messages, same messages (proto/predwatch/v1/monitor.proto).
//
// Each function fills `resp` and returns OK, or returns the error a gRPC caller gets
// (INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, UNAVAILABLE while `ready` is false for
// the calls that read windows); `resp` is then in an unspecified state.
//
// Thread-safety: as MonitorEngine's readers (any thread; each call takes the engine's
// snapshot once).
#pragma once

#include <grpcpp/support/status.h>

#include "daemon/engine/monitor_engine.h"
#include "predwatch/v1/monitor.pb.h"

namespace predwatch::daemon {

// GetWindowStats' dense_cooccurrence: answered for at most this many classes (C x C = about
// 1M cells, at most ~10 MB); a stream with more gets FAILED_PRECONDITION (read `pairs`, with
// top_pairs, instead), so that one request cannot allocate C^2 cells (100k classes: 80 GB).
inline constexpr uint32_t kMaxDenseCooccurrenceClasses = 1024;

grpc::Status query_list_streams(const MonitorEngine& engine, const v1::ListStreamsRequest& req,
                                v1::ListStreamsResponse* resp);
grpc::Status query_window_stats(const MonitorEngine& engine, bool ready,
                                const v1::GetWindowStatsRequest& req,
                                v1::GetWindowStatsResponse* resp);
grpc::Status query_drift(const MonitorEngine& engine, bool ready, const v1::GetDriftRequest& req,
                         v1::GetDriftResponse* resp);
grpc::Status query_alerts(const MonitorEngine& engine, const v1::ListAlertsRequest& req,
                          v1::ListAlertsResponse* resp);
// INVALID_ARGUMENT for a limit over MonitorEngine::kTransitionHistory; an unknown stream is
// not an error (its transitions may be all that is left of it): the answer is empty.
grpc::Status query_alert_transitions(const MonitorEngine& engine,
                                     const v1::ListAlertTransitionsRequest& req,
                                     v1::ListAlertTransitionsResponse* resp);
grpc::Status query_exemplars(const MonitorEngine& engine, bool ready,
                             const v1::GetExemplarsRequest& req, v1::GetExemplarsResponse* resp);
grpc::Status query_baseline(const MonitorEngine& engine, const v1::GetBaselineRequest& req,
                            v1::GetBaselineResponse* resp);

// Error helpers shared with the write RPCs.
grpc::Status unknown_stream(const std::string& stream);
grpc::Status rebuilding();
// Index of the requested window ("" = the first), or -1 with `status` set (NOT_FOUND, naming
// the stream's windows).
int resolve_window(const core::StreamMonitor& m, const std::string& window, grpc::Status& status);

}  // namespace predwatch::daemon
