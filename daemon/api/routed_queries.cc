#include "daemon/api/routed_queries.h"

#include <algorithm>
#include <set>

#include "daemon/api/monitor_commands.h"
#include "daemon/api/monitor_queries.h"

namespace predwatch::daemon {
namespace {

using grpc::Status;
using Stub = v1::MonitorService::Stub;

// One stream's call: local, or the answer of the replica that holds the stream.
template <class Req, class Resp>
Status one_stream(const RoutedQueries& q, CallOrigin& o, const std::string& stream,
                  PeerRouter::Method<Req, Resp> method, const Req& req, Resp* resp,
                  const std::function<Status()>& local) {
  if (stream.empty()) return local();
  const bool held = q.holds(stream);
  // Forwarded here by a peer (even one configured with peers when this replica is not).
  if (!held && !o.forwarded_by.empty()) return not_held_here(stream, o);
  if (q.router() == nullptr) return local();
  return q.router()->route(held, stream, o, method, req, resp, local);
}

template <class Resp>
void add_unreachable(const Gathered<Resp>& g,
                     google::protobuf::RepeatedPtrField<std::string>* out) {
  for (const std::string& u : g.unreachable) *out->Add() = u;
}

bool earlier(const v1::AlertTransition& a, const v1::AlertTransition& b) {
  if (a.time().seconds() != b.time().seconds()) return a.time().seconds() < b.time().seconds();
  return a.time().nanos() < b.time().nanos();
}

}  // namespace

bool RoutedQueries::holds(const std::string& stream) const {
  return engine_.with_stream(stream, [](const StreamView&) {});
}

Status RoutedQueries::list_streams(CallOrigin& o, const v1::ListStreamsRequest& req,
                                   v1::ListStreamsResponse* resp) const {
  Status s = query_list_streams(engine_, req, resp);
  if (!s.ok() || router_ == nullptr) return s;
  Gathered<v1::ListStreamsResponse> g = router_->gather(o, &Stub::ListStreams, req);
  std::set<std::string> seen;
  for (const v1::StreamInfo& i : resp->streams()) seen.insert(i.stream());
  for (PeerAnswer<v1::ListStreamsResponse>& a : g.answers) {
    for (v1::StreamInfo& i : *a.response.mutable_streams()) {
      if (!seen.insert(i.stream()).second) continue;
      i.set_replica(a.address);
      *resp->add_streams() = std::move(i);
    }
  }
  if (!g.answers.empty()) {
    auto* all = resp->mutable_streams();
    std::stable_sort(
        all->begin(), all->end(),
        [](const v1::StreamInfo& a, const v1::StreamInfo& b) { return a.stream() < b.stream(); });
  }
  add_unreachable(g, resp->mutable_unreachable_replicas());
  return s;
}

Status RoutedQueries::window_stats(CallOrigin& o, bool ready, const v1::GetWindowStatsRequest& req,
                                   v1::GetWindowStatsResponse* resp) const {
  return one_stream(*this, o, req.stream(), &Stub::GetWindowStats, req, resp,
                    [&] { return query_window_stats(engine_, ready, req, resp); });
}

Status RoutedQueries::drift(CallOrigin& o, bool ready, const v1::GetDriftRequest& req,
                            v1::GetDriftResponse* resp) const {
  return one_stream(*this, o, req.stream(), &Stub::GetDrift, req, resp,
                    [&] { return query_drift(engine_, ready, req, resp); });
}

Status RoutedQueries::alerts(CallOrigin& o, const v1::ListAlertsRequest& req,
                             v1::ListAlertsResponse* resp) const {
  auto local = [&] { return query_alerts(engine_, req, resp); };
  if (!req.stream().empty())
    return one_stream(*this, o, req.stream(), &Stub::ListAlerts, req, resp, local);
  Status s = local();
  if (!s.ok() || router_ == nullptr) return s;
  Gathered<v1::ListAlertsResponse> g = router_->gather(o, &Stub::ListAlerts, req);
  if (g.answers.empty() && g.unreachable.empty()) return s;
  for (PeerAnswer<v1::ListAlertsResponse>& a : g.answers) {
    for (v1::Alert& al : *a.response.mutable_alerts()) *resp->add_alerts() = std::move(al);
  }
  auto* all = resp->mutable_alerts();
  std::stable_sort(all->begin(), all->end(), [](const v1::Alert& a, const v1::Alert& b) {
    return a.fingerprint() < b.fingerprint();
  });
  add_unreachable(g, resp->mutable_unreachable_replicas());
  return s;
}

Status RoutedQueries::alert_transitions(CallOrigin& o, const v1::ListAlertTransitionsRequest& req,
                                        v1::ListAlertTransitionsResponse* resp) const {
  auto local = [&] { return query_alert_transitions(engine_, req, resp); };
  if (!req.stream().empty()) {
    return one_stream(*this, o, req.stream(), &Stub::ListAlertTransitions, req, resp, local);
  }
  Status s = local();
  if (!s.ok() || router_ == nullptr) return s;
  Gathered<v1::ListAlertTransitionsResponse> g =
      router_->gather(o, &Stub::ListAlertTransitions, req);
  if (g.answers.empty() && g.unreachable.empty()) return s;
  auto* all = resp->mutable_transitions();
  for (PeerAnswer<v1::ListAlertTransitionsResponse>& a : g.answers) {
    for (v1::AlertTransition& t : *a.response.mutable_transitions()) *all->Add() = std::move(t);
  }
  std::stable_sort(all->begin(), all->end(), earlier);
  // The latest `limit` of all (each replica sent its latest `limit`).
  const int limit = req.limit() == 0 ? 200 : int(req.limit());
  if (all->size() > limit) all->DeleteSubrange(0, all->size() - limit);
  add_unreachable(g, resp->mutable_unreachable_replicas());
  return s;
}

Status RoutedQueries::exemplars(CallOrigin& o, bool ready, const v1::GetExemplarsRequest& req,
                                v1::GetExemplarsResponse* resp) const {
  return one_stream(*this, o, req.stream(), &Stub::GetExemplars, req, resp,
                    [&] { return query_exemplars(engine_, ready, req, resp); });
}

Status RoutedQueries::baseline(CallOrigin& o, const v1::GetBaselineRequest& req,
                               v1::GetBaselineResponse* resp) const {
  return one_stream(*this, o, req.stream(), &Stub::GetBaseline, req, resp,
                    [&] { return query_baseline(engine_, req, resp); });
}

Status RoutedQueries::reference(CallOrigin& o, const v1::GetReferenceRequest& req,
                                v1::GetReferenceResponse* resp) const {
  return one_stream(*this, o, req.stream(), &Stub::GetReference, req, resp, [&] {
    return query_reference(engine_, req.stream(), resp->mutable_reference());
  });
}

}  // namespace predwatch::daemon
