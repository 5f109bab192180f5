// WebApi: the JSON HTTP API of the web view (docs/WEB.md), a read-only mirror of the query
// RPCs of predwatch.v1.MonitorService. Every answer is the RPC's response message, built by the
// same code as the gRPC service's (api/monitor_queries) and printed as protobuf JSON
// (proto field names, default values included, int64 as strings):
//
//   GET /api/v1/health                                         {"ready": bool}
//   GET /api/v1/streams                                        ListStreamsResponse
//   GET /api/v1/streams/{stream}/windows/{window}/stats        GetWindowStatsResponse
//       [?section=NAME...] [&class=C...] [&top_pairs=N]
//   GET /api/v1/streams/{stream}/drift [?window=W] [&against=baseline|reference]
//   GET /api/v1/streams/{stream}/windows/{window}/drift [?against=...]   GetDriftResponse
//   GET /api/v1/streams/{stream}/baseline [?tables=true]       GetBaselineResponse
//   GET /api/v1/alerts [?stream=S]                             ListAlertsResponse
//   GET /api/v1/streams/{stream}/windows/{window}/exemplars    GetExemplarsResponse
//       ?class=C | ?a=A&b=B | ?class=C&row=R&col=K | ?class=C&count=N   [&limit=N]
// Each per-stream endpoint also answers as /api/v1/{stats|drift|baseline|exemplars}
// ?stream=S[&window=W]&...: the form for any name (a '/' in a name cannot be a path segment,
// the server decodes "%2F" before routing); the web page uses it.
//
// Parameters are validated and capped before the engine is asked: an unknown, repeated
// (where single), malformed or out-of-range parameter is 400 with a message naming it.
// Errors of the query layer map to HTTP statuses: INVALID_ARGUMENT 400, NOT_FOUND 404,
// FAILED_PRECONDITION 409, RESOURCE_EXHAUSTED 413, UNAVAILABLE 503 (windows being rebuilt),
// anything else 500; the body is {"error": {"status", "code", "message"}}.
//
// Thread-safety: handle() and set_ready() may be called from any thread.
#pragma once

#include <atomic>
#include <cstddef>

#include "daemon/api/routed_queries.h"
#include "daemon/engine/monitor_engine.h"
#include "daemon/web/web_request.h"

namespace predwatch::daemon {

struct WebApiLimits {
  size_t max_response_bytes = 32u << 20;  // larger answers are 413 (ask for less)
  size_t max_name_bytes = 1024;           // stream, window and class names
  size_t max_classes = 10'000;            // `class` parameters of one stats request
  uint32_t max_exemplars = 1000;          // `limit` of an exemplars request (default 50)
  uint32_t default_exemplars = 50;
  uint32_t max_top_pairs = 1'000'000;
};

class WebApi {
 public:
  // `router`: answer for the other replicas too (grpc.peers, daemon/api/peer_router.h).
  explicit WebApi(const MonitorEngine& engine, WebApiLimits limits = {},
                  std::shared_ptr<PeerRouter> router = nullptr)
      : queries_(engine, std::move(router)), limits_(limits) {}

  // Until true, the calls that read windows answer 503 (as gRPC's UNAVAILABLE).
  void set_ready(bool ready) { ready_ = ready; }

  // Answers a request whose path starts with /api/ (GET and HEAD only; the caller checks
  // the method).
  WebResponse handle(const WebRequest& request) const;

 private:
  RoutedQueries queries_;
  WebApiLimits limits_;
  std::atomic<bool> ready_{false};
};

}  // namespace predwatch::daemon
