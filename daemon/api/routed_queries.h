// RoutedQueries: the read side of predwatch.v1.MonitorService answered for the whole group of
// replicas (daemon/api/peer_router.h): the query functions of monitor_queries.h on this
// replica's engine, and the same calls forwarded to the replica that holds a stream this one
// does not, or gathered from every replica for the calls over all streams. Without a router
// (no grpc.peers) every call is the local query function, unchanged.
//
// Merged answers: ListStreams lists every replica's streams by name (StreamInfo.replica
// naming the peer that holds it), a stream listed by two replicas (a partition moving right
// now) once, as this replica sees it; ListAlerts the alerts of all, by fingerprint;
// ListAlertTransitions the latest `limit` transitions of all, oldest first. Peers that could not be
// asked are listed in the response's unreachable_replicas.
//
// Thread-safety: as the query functions (any thread).
#pragma once

#include <memory>

#include "daemon/api/peer_router.h"
#include "daemon/engine/monitor_engine.h"
#include "predwatch/v1/monitor.pb.h"

namespace predwatch::daemon {

class RoutedQueries {
 public:
  // `router` may be null (this replica answers alone).
  RoutedQueries(const MonitorEngine& engine, std::shared_ptr<PeerRouter> router)
      : engine_(engine), router_(std::move(router)) {}

  // The engine holds `stream` now.
  bool holds(const std::string& stream) const;
  PeerRouter* router() const { return router_.get(); }

  grpc::Status list_streams(CallOrigin& o, const v1::ListStreamsRequest& req,
                            v1::ListStreamsResponse* resp) const;
  grpc::Status window_stats(CallOrigin& o, bool ready, const v1::GetWindowStatsRequest& req,
                            v1::GetWindowStatsResponse* resp) const;
  grpc::Status drift(CallOrigin& o, bool ready, const v1::GetDriftRequest& req,
                     v1::GetDriftResponse* resp) const;
  grpc::Status alerts(CallOrigin& o, const v1::ListAlertsRequest& req,
                      v1::ListAlertsResponse* resp) const;
  grpc::Status alert_transitions(CallOrigin& o, const v1::ListAlertTransitionsRequest& req,
                                 v1::ListAlertTransitionsResponse* resp) const;
  grpc::Status exemplars(CallOrigin& o, bool ready, const v1::GetExemplarsRequest& req,
                         v1::GetExemplarsResponse* resp) const;
  grpc::Status baseline(CallOrigin& o, const v1::GetBaselineRequest& req,
                        v1::GetBaselineResponse* resp) const;
  grpc::Status reference(CallOrigin& o, const v1::GetReferenceRequest& req,
                         v1::GetReferenceResponse* resp) const;

 private:
  const MonitorEngine& engine_;
  std::shared_ptr<PeerRouter> router_;
};

}  // namespace predwatch::daemon
