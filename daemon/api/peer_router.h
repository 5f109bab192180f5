// PeerRouter: the replicas of one consumer group answer for each other (issue 13, fleet
// scale-out), so that the CLI, the web view and gRPC clients need one address.
//
// Ownership follows the Kafka group assignment: a replica holds the streams of the
// partitions it was assigned (MonitorEngine drops the others), so "who owns stream S" is
// "which replica holds S". A replica asked about a stream it does not hold asks its peers
// (`grpc.peers`), the call marked as forwarded so that a peer answers from its own state only
// and never forwards again; the first peer that holds the stream answers, and is remembered
// as the stream's owner until it stops holding it. Calls over all streams (ListStreams,
// ListAlerts, ListAlertTransitions without a stream) gather every peer's own answer; peers
// that did not answer are named in the response (`unreachable_replicas`), so that a partial
// list never passes for a complete one. WatchAlerts joins every peer's watch (PeerWatch).
//
// Peers: each entry of `peers` is host:port; a host name is resolved to all its addresses
// (a Kubernetes headless service names every replica), again at most every
// `resolve_interval`. The replica's own address may be in the list (one configuration for
// all replicas): every forwarded answer carries the answering replica's random id in its
// trailing metadata, and an address that answers with this replica's id is left out from then
// on (its answer too).
//
// Credentials: the caller's `authorization` metadata goes with the forwarded call, so the
// peer authorises the caller as it would directly (same tokens on every replica). With TLS
// the peer channel presents `channel_credentials` (the replica's own certificate for mTLS).
//
// Thread-safety: every method from any thread. Forwarded calls block the calling thread
// for at most `timeout` (or the caller's deadline, if sooner); peers are called in parallel.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "predwatch/v1/monitor.grpc.pb.h"

namespace predwatch::daemon {

// Metadata of forwarded calls: the request header marking a call as forwarded (its value is
// the forwarding replica's id) and the trailing header naming the replica that answered.
inline constexpr char kForwardedHeader[] = "predwatch-forwarded-by";
inline constexpr char kReplicaTrailer[] = "predwatch-replica";
// Trailing header of a forwarded call's NOT_FOUND when the peer does not hold the stream
// (as opposed to a window or class the stream lacks).
inline constexpr char kAbsentTrailer[] = "predwatch-stream-absent";

struct PeerRouterOptions {
  std::vector<std::string> peers;  // host:port; empty = no routing
  std::chrono::milliseconds timeout{3000};
  std::chrono::milliseconds resolve_interval{30000};
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials =
      grpc::InsecureChannelCredentials();
  std::string tls_target_name = "";  // non-empty: the name a peer's certificate must carry
  int max_message_bytes = 16 << 20;
  // Called for each forwarded call a peer did not answer, from the thread that called it:
  // `reason` is "timeout" (no answer within the timeout), "unavailable" (refused, down, TLS
  // or transport failure) or "watch_lost" (a forwarded WatchAlerts could not start or
  // ended), `detail` what gRPC said. Set: count and log it.
  std::function<void(const std::string& address, const std::string& reason,
                     const std::string& detail)>
      on_failure;
};

// What a call brings that a forwarded copy must carry, and what the server must answer with.
struct CallOrigin {
  std::string authorization;  // the caller's `authorization` metadata ("" = none)
  std::string forwarded_by;   // non-empty: a peer forwarded this call (answer locally only)
  std::chrono::system_clock::time_point deadline = std::chrono::system_clock::time_point::max();
  // Set by PeerRouter::route for a forwarded call about a stream this replica does not hold
  // (the server adds kAbsentTrailer).
  bool absent = false;
};

// The WatchAlerts streams of every peer, forwarded (each replica streams its own alerts),
// feeding one sink: started by PeerRouter::watch, ended by its destructor (which cancels the
// calls and waits for their threads). A peer whose stream cannot start or ends calls
// `on_lost` once with UNAVAILABLE naming it (the watcher no longer sees all alerts; the
// caller ends its call so that the client reconnects and gets a fresh snapshot).
class PeerWatch {
 public:
  using Sink = std::function<void(v1::WatchAlertsResponse)>;
  using Lost = std::function<void(grpc::Status)>;
  ~PeerWatch();

 private:
  friend class PeerRouter;
  struct Call {
    std::mutex mu;
    grpc::ClientContext* ctx = nullptr;  // while a call is running
    bool stopped = false;
    std::thread thread;
  };
  std::vector<std::unique_ptr<Call>> calls_;
};

// The answer to a forwarded call about a stream this replica does not hold: NOT_FOUND, with
// origin.absent set (the server then adds kAbsentTrailer, so the asker knows to look on).
inline grpc::Status not_held_here(const std::string& stream, CallOrigin& origin) {
  origin.absent = true;
  return grpc::Status(grpc::StatusCode::NOT_FOUND,
                      "unknown stream '" + stream + "' (not held by this replica)");
}

template <class Resp>
struct PeerAnswer {
  std::string address;
  Resp response;
};

template <class Resp>
struct Gathered {
  std::vector<PeerAnswer<Resp>> answers;  // peers that answered OK, in peer order
  std::vector<std::string> unreachable;   // "address: reason" of the others
};

class PeerRouter {
 public:
  template <class Req, class Resp>
  using Method = grpc::Status (v1::MonitorService::Stub::*)(grpc::ClientContext*, const Req&,
                                                            Resp*);

  explicit PeerRouter(PeerRouterOptions options);

  const std::string& id() const { return id_; }
  bool enabled() const { return !options_.peers.empty(); }

  // One stream's call. `held_here`: the engine holds `stream`. A forwarded call about a
  // stream not held here is not_held_here(). Otherwise answers with `local()` when the
  // stream is held here, when routing is off, or when no peer holds the stream (a peer that
  // could not be asked makes that UNAVAILABLE instead, naming it); else with the owner's
  // answer, status and all (a holder that is rebuilding answers UNAVAILABLE itself);
  // `*answered_by` receives its address.
  template <class Req, class Resp>
  grpc::Status route(bool held_here, const std::string& stream, CallOrigin& origin,
                     Method<Req, Resp> method, const Req& req, Resp* resp,
                     const std::function<grpc::Status()>& local,
                     std::string* answered_by = nullptr);

  // Every peer's own answer to `req` (empty when routing is off or the call was forwarded).
  template <class Req, class Resp>
  Gathered<Resp> gather(const CallOrigin& origin, Method<Req, Resp> method, const Req& req);

  // Every peer's WatchAlerts (snapshot, then transitions) into `sink`, from threads of its
  // own, until the returned object is destroyed; null when routing is off or the call was
  // forwarded. `sink` and `on_lost` must stay callable until then.
  std::unique_ptr<PeerWatch> watch(const CallOrigin& origin, const v1::WatchAlertsRequest& req,
                                   PeerWatch::Sink sink, PeerWatch::Lost on_lost);

 private:
  struct Peer {
    std::string address;
    std::unique_ptr<v1::MonitorService::Stub> stub;
  };
  struct Reply {
    grpc::Status status;
    bool answered = false;  // the peer's service answered (not a transport failure)
    bool absent = false;    // NOT_FOUND because the peer does not hold the stream
    bool self = false;      // the answer came from this replica
  };

  // The peers to ask now (resolving again when due), this replica left out.
  std::vector<std::shared_ptr<Peer>> peers();
  void mark_self(const std::string& address);
  std::string owner_of(const std::string& stream);
  void set_owner(const std::string& stream, const std::string& address);
  // The forwarded mark and the caller's token on a call to a peer; prepare() adds the
  // deadline of a unary call.
  void mark_forwarded(grpc::ClientContext& ctx, const CallOrigin& origin) const;
  void prepare(grpc::ClientContext& ctx, const CallOrigin& origin) const;
  // The reply of `peer` to a call that ended with `status`: recognises this replica (marked,
  // left out from then on) and reports a peer that did not answer (options_.on_failure).
  Reply finish(const Peer& peer, const grpc::ClientContext& ctx, grpc::Status status);

  template <class Req, class Resp>
  Reply call(Peer& peer, const CallOrigin& origin, Method<Req, Resp> method, const Req& req,
             Resp* resp) {
    grpc::ClientContext ctx;
    prepare(ctx, origin);
    grpc::Status s = ((*peer.stub).*method)(&ctx, req, resp);
    return finish(peer, ctx, std::move(s));
  }

  // `req` to every peer of `all` at once; replies[i] and answers[i] are all[i]'s.
  template <class Req, class Resp>
  std::vector<Reply> call_all(const std::vector<std::shared_ptr<Peer>>& all,
                              const CallOrigin& origin, Method<Req, Resp> method, const Req& req,
                              std::vector<Resp>& answers) {
    answers.assign(all.size(), Resp());
    std::vector<std::future<Reply>> pending;
    for (size_t i = 0; i < all.size(); ++i) {
      pending.push_back(std::async(
          std::launch::async, [&, i] { return call(*all[i], origin, method, req, &answers[i]); }));
    }
    std::vector<Reply> replies;
    for (auto& f : pending) replies.push_back(f.get());
    return replies;
  }

  PeerRouterOptions options_;
  std::string id_;
  std::mutex mu_;
  std::vector<std::shared_ptr<Peer>> resolved_;
  std::chrono::steady_clock::time_point resolved_at_{};
  bool resolving_ = false;  // a caller is resolving the peers' names (outside the lock)
  std::vector<std::string> self_addresses_;
  absl::flat_hash_map<std::string, std::string> owners_;  // stream -> peer address
};

template <class Req, class Resp>
grpc::Status PeerRouter::route(bool held_here, const std::string& stream, CallOrigin& origin,
                               Method<Req, Resp> method, const Req& req, Resp* resp,
                               const std::function<grpc::Status()>& local,
                               std::string* answered_by) {
  if (!held_here && !origin.forwarded_by.empty()) return not_held_here(stream, origin);
  if (held_here || !enabled()) return local();
  const std::vector<std::shared_ptr<Peer>> all = peers();
  // The remembered owner first: one call instead of a round over every peer.
  const std::string known = owner_of(stream);
  for (const auto& p : all) {
    if (p->address != known) continue;
    Resp r;
    const Reply reply = call(*p, origin, method, req, &r);
    if (reply.answered && !reply.self && !reply.absent) {
      *resp = std::move(r);
      if (answered_by) *answered_by = p->address;
      return reply.status;
    }
    break;
  }
  std::vector<Resp> answers;
  const std::vector<Reply> replies = call_all(all, origin, method, req, answers);
  std::string unreachable;
  for (size_t i = 0; i < all.size(); ++i) {
    const Reply& r = replies[i];
    if (r.self) continue;
    if (!r.answered) {
      unreachable += (unreachable.empty() ? "" : ", ") + all[i]->address + " (" +
                     r.status.error_message() + ")";
    } else if (!r.absent) {
      set_owner(stream, all[i]->address);
      *resp = std::move(answers[i]);
      if (answered_by) *answered_by = all[i]->address;
      return r.status;
    }
  }
  if (!unreachable.empty()) {
    return grpc::Status(
        grpc::StatusCode::UNAVAILABLE,
        "stream '" + stream +
            "' is not held by this replica and these replicas did not answer: " + unreachable);
  }
  return local();
}

template <class Req, class Resp>
Gathered<Resp> PeerRouter::gather(const CallOrigin& origin, Method<Req, Resp> method,
                                  const Req& req) {
  Gathered<Resp> out;
  if (!enabled() || !origin.forwarded_by.empty()) return out;
  const std::vector<std::shared_ptr<Peer>> all = peers();
  std::vector<Resp> answers;
  const std::vector<Reply> replies = call_all(all, origin, method, req, answers);
  for (size_t i = 0; i < all.size(); ++i) {
    const Reply& r = replies[i];
    if (r.self) continue;
    if (r.status.ok()) {
      out.answers.push_back({all[i]->address, std::move(answers[i])});
    } else {
      out.unreachable.push_back(all[i]->address + ": " + r.status.error_message());
    }
  }
  return out;
}

}  // namespace predwatch::daemon
