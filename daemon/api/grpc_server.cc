#include "daemon/api/grpc_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/impl/server_builder_plugin.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <map>
#include <set>

#include "daemon/api/api_auth.h"
#include "daemon/api/api_convert.h"
#include "daemon/api/monitor_commands.h"
#include "daemon/api/monitor_queries.h"
#include "daemon/api/routed_queries.h"
#include "daemon/convert/stats_convert.h"
#include "predwatch/v1/monitor.grpc.pb.h"

namespace predwatch::daemon {
namespace {

constexpr char kServiceName[] = "predwatch.v1.MonitorService";

using grpc::Status;
using grpc::StatusCode;
using Stub = v1::MonitorService::Stub;

Status check_call(grpc::CallbackServerContext* ctx) {
  const bool expired = ctx->deadline() <= std::chrono::system_clock::now();
  if (expired)
    return Status(StatusCode::DEADLINE_EXCEEDED, "deadline exceeded before the call ran");
  if (ctx->IsCancelled()) return Status(StatusCode::CANCELLED, "call cancelled");
  return Status::OK;
}

class MonitorService;

// State of one WatchAlerts call, shared with the engine listener (which may still run after
// the call ended: the engine calls a copy of its listener list).
struct WatchState {
  std::mutex mu;
  grpc::ServerWriteReactor<v1::WatchAlertsResponse>* reactor = nullptr;  // null once done
  std::string stream;                                                    // "" = all
  std::deque<v1::WatchAlertsResponse> queue;
  size_t queued_bytes = 0;          // ByteSizeLong() of the messages in `queue`
  size_t max_queue_bytes = 0;       // the limit (GrpcServerOptions::max_watch_queue_bytes)
  v1::WatchAlertsResponse current;  // the message being written
  bool writing = false;
  bool finish_requested = false;
  bool finished = false;
  Status finish_status;

  // Starts the next write or the Finish when nothing is in flight. Releases `lock`.
  void advance(std::unique_lock<std::mutex>& lock) {
    if (writing || finished || reactor == nullptr) return;
    auto* r = reactor;
    if (finish_requested) {
      finished = true;
      const Status s = finish_status;
      lock.unlock();
      r->Finish(s);  // OnDone (which clears `reactor`) cannot run before this call
      return;
    }
    if (queue.empty()) return;
    current = std::move(queue.front());
    queue.pop_front();
    queued_bytes -= std::min(queued_bytes, current.ByteSizeLong());
    writing = true;
    lock.unlock();
    r->StartWrite(&current);
  }

  void request_finish(Status s) {
    std::unique_lock lock(mu);
    if (finish_requested) return;
    finish_requested = true;
    finish_status = std::move(s);
    advance(lock);
  }

  void push(v1::WatchAlertsResponse msg) {
    std::unique_lock lock(mu);
    if (finish_requested || reactor == nullptr) return;
    const size_t bytes = msg.ByteSizeLong();
    if (queued_bytes + bytes > max_queue_bytes) {
      finish_requested = true;
      finish_status = Status(StatusCode::RESOURCE_EXHAUSTED,
                             "the client reads alert transitions too slowly (" +
                                 std::to_string(queued_bytes) + " bytes buffered); reconnect");
    } else {
      queued_bytes += bytes;
      queue.push_back(std::move(msg));
    }
    advance(lock);
  }
};

class MonitorService final : public v1::MonitorService::CallbackService {
 public:
  MonitorService(MonitorEngine& engine, size_t max_message_bytes, size_t max_watchers,
                 size_t max_watch_queue_bytes, ApiAuthorizer auth,
                 std::function<void(const std::string&, const std::string&, const std::string&)>
                     on_auth_failure,
                 std::shared_ptr<PeerRouter> router)
      : engine_(engine),
        queries_(engine, router),
        max_bytes_(max_message_bytes),
        max_watchers_(max_watchers),
        max_watch_queue_bytes_(max_watch_queue_bytes),
        auth_(std::make_shared<const ApiAuthorizer>(std::move(auth))),
        on_auth_failure_(std::move(on_auth_failure)) {}

  PeerRouter* router() const { return queries_.router(); }

  std::shared_ptr<const ApiAuthorizer> authorizer() const {
    std::lock_guard lock(auth_mu_);
    return auth_;
  }
  void set_authorizer(std::shared_ptr<const ApiAuthorizer> a) {
    std::lock_guard lock(auth_mu_);
    auth_ = std::move(a);
  }

  std::atomic<bool> ready{false};

  void end_watches() {
    std::vector<std::shared_ptr<WatchState>> all;
    {
      std::lock_guard lock(watches_mu_);
      all.assign(watches_.begin(), watches_.end());
    }
    for (auto& w : all) w->request_finish(Status::OK);
  }

  grpc::ServerUnaryReactor* ListStreams(grpc::CallbackServerContext* ctx,
                                        const v1::ListStreamsRequest* req,
                                        v1::ListStreamsResponse* resp) override {
    return unary(ctx, "ListStreams", RpcAccess::kRead, resp,
                 [&](CallOrigin& o) { return queries_.list_streams(o, *req, resp); });
  }

  grpc::ServerUnaryReactor* GetWindowStats(grpc::CallbackServerContext* ctx,
                                           const v1::GetWindowStatsRequest* req,
                                           v1::GetWindowStatsResponse* resp) override {
    return unary(ctx, "GetWindowStats", RpcAccess::kRead, resp,
                 [&](CallOrigin& o) { return queries_.window_stats(o, ready, *req, resp); });
  }

  grpc::ServerUnaryReactor* GetDrift(grpc::CallbackServerContext* ctx,
                                     const v1::GetDriftRequest* req,
                                     v1::GetDriftResponse* resp) override {
    return unary(ctx, "GetDrift", RpcAccess::kRead, resp,
                 [&](CallOrigin& o) { return queries_.drift(o, ready, *req, resp); });
  }

  grpc::ServerUnaryReactor* ListAlerts(grpc::CallbackServerContext* ctx,
                                       const v1::ListAlertsRequest* req,
                                       v1::ListAlertsResponse* resp) override {
    return unary(ctx, "ListAlerts", RpcAccess::kRead, resp,
                 [&](CallOrigin& o) { return queries_.alerts(o, *req, resp); });
  }

  grpc::ServerWriteReactor<v1::WatchAlertsResponse>* WatchAlerts(
      grpc::CallbackServerContext* ctx, const v1::WatchAlertsRequest* req) override {
    class Reactor final : public grpc::ServerWriteReactor<v1::WatchAlertsResponse> {
     public:
      Reactor(MonitorService& svc, const v1::WatchAlertsRequest& req)
          : svc_(svc), req_(req), state_(std::make_shared<WatchState>()) {
        state_->stream = req.stream();
      }
      void Begin(grpc::CallbackServerContext* ctx) {
        const CallOrigin origin = call_origin(*ctx);
        // A peer's forwarded watch learns at once that this replica answers, and which one
        // it is (also from a replica that lists no peers itself).
        if (!origin.forwarded_by.empty()) {
          ctx->AddInitialMetadata(kReplicaTrailer,
                                  svc_.router() != nullptr ? svc_.router()->id() : "-");
        }
        std::unique_lock lock(state_->mu);
        state_->reactor = this;
        if (!origin.forwarded_by.empty()) StartSendInitialMetadata();
        Status s = svc_.authorize(ctx, "WatchAlerts", RpcAccess::kRead);
        if (s.ok()) s = check_call(ctx);
        state_->max_queue_bytes = svc_.max_watch_queue_bytes_;
        if (s.ok() && !svc_.add_watch(state_)) {
          s = Status(StatusCode::RESOURCE_EXHAUSTED, "too many WatchAlerts calls (" +
                                                         std::to_string(svc_.max_watchers_) +
                                                         " at most); retry later");
        }
        if (!s.ok()) {
          state_->finish_requested = true;
          state_->finish_status = s;
        } else {
          // Subscribing and taking the snapshot under the state lock keeps the snapshot
          // ahead of any transition the listener queues meanwhile.
          std::weak_ptr<WatchState> weak = state_;
          id_ = svc_.engine_.subscribe([weak](const core::AlertTransition& t) {
            auto st = weak.lock();
            if (!st) return;
            if (!st->stream.empty() && t.alert.last.key.stream != st->stream) return;
            v1::WatchAlertsResponse m;
            *m.mutable_transition() = transition_to_proto(t);
            st->push(std::move(m));
          });
          for (const core::Alert& a : svc_.engine_.alerts(state_->stream)) {
            v1::WatchAlertsResponse m;
            v1::AlertTransition* t = m.mutable_transition();
            ms_to_timestamp(a.last_evaluated_ms, t->mutable_time());
            alert_to_proto(a, t->mutable_alert());
            t->set_snapshot(true);
            state_->queued_bytes += m.ByteSizeLong();
            state_->queue.push_back(std::move(m));
          }
          // The other replicas' alerts (grpc.peers): their snapshots and transitions join
          // this stream; losing one ends the call (the client reconnects).
          if (PeerRouter* router = svc_.router()) {
            peers_ = router->watch(
                origin, req_,
                [weak](v1::WatchAlertsResponse m) {
                  if (auto st = weak.lock()) st->push(std::move(m));
                },
                [weak](Status lost) {
                  if (auto st = weak.lock()) st->request_finish(std::move(lost));
                });
          }
        }
        state_->advance(lock);
      }
      void OnWriteDone(bool ok) override {
        std::unique_lock lock(state_->mu);
        state_->writing = false;
        if (!ok && !state_->finish_requested) {
          state_->finish_requested = true;
          state_->finish_status = Status(StatusCode::CANCELLED, "write failed");
        }
        state_->advance(lock);
      }
      void OnCancel() override { state_->request_finish(Status::CANCELLED); }
      void OnDone() override {
        {
          std::lock_guard lock(state_->mu);
          state_->reactor = nullptr;
        }
        if (id_) svc_.engine_.unsubscribe(id_);
        peers_.reset();
        svc_.remove_watch(state_);
        delete this;
      }

     private:
      MonitorService& svc_;
      v1::WatchAlertsRequest req_;
      std::shared_ptr<WatchState> state_;
      uint64_t id_ = 0;
      std::unique_ptr<PeerWatch> peers_;
    };
    auto* r = new Reactor(*this, *req);
    r->Begin(ctx);
    return r;
  }

  grpc::ServerUnaryReactor* GetExemplars(grpc::CallbackServerContext* ctx,
                                         const v1::GetExemplarsRequest* req,
                                         v1::GetExemplarsResponse* resp) override {
    return unary(ctx, "GetExemplars", RpcAccess::kRead, resp,
                 [&](CallOrigin& o) { return queries_.exemplars(o, ready, *req, resp); });
  }

  grpc::ServerUnaryReactor* GetBaseline(grpc::CallbackServerContext* ctx,
                                        const v1::GetBaselineRequest* req,
                                        v1::GetBaselineResponse* resp) override {
    return unary(ctx, "GetBaseline", RpcAccess::kRead, resp,
                 [&](CallOrigin& o) { return queries_.baseline(o, *req, resp); });
  }

  grpc::ServerUnaryReactor* SetBaseline(grpc::CallbackServerContext* ctx,
                                        const v1::SetBaselineRequest* req,
                                        v1::SetBaselineResponse* resp) override {
    return unary(ctx, "SetBaseline", RpcAccess::kWrite, resp, [&](CallOrigin& o) {
      return write(o, req->stream(), &Stub::SetBaseline, *req, resp,
                   [&] { return command_set_baseline(engine_, *req, resp); });
    });
  }

  grpc::ServerUnaryReactor* SnapshotBaseline(grpc::CallbackServerContext* ctx,
                                             const v1::SnapshotBaselineRequest* req,
                                             v1::SnapshotBaselineResponse* resp) override {
    return unary(ctx, "SnapshotBaseline", RpcAccess::kWrite, resp, [&](CallOrigin& o) {
      return write(o, req->stream(), &Stub::SnapshotBaseline, *req, resp,
                   [&] { return command_snapshot_baseline(engine_, ready, *req, resp); });
    });
  }

  grpc::ServerUnaryReactor* GetReference(grpc::CallbackServerContext* ctx,
                                         const v1::GetReferenceRequest* req,
                                         v1::GetReferenceResponse* resp) override {
    return unary(ctx, "GetReference", RpcAccess::kRead, resp,
                 [&](CallOrigin& o) { return queries_.reference(o, *req, resp); });
  }

  grpc::ServerUnaryReactor* PinReference(grpc::CallbackServerContext* ctx,
                                         const v1::PinReferenceRequest* req,
                                         v1::PinReferenceResponse* resp) override {
    return unary(ctx, "PinReference", RpcAccess::kWrite, resp, [&](CallOrigin& o) {
      return write(o, req->stream(), &Stub::PinReference, *req, resp, [&] {
        return command_pin_reference(engine_, ready, *req, resp->mutable_reference());
      });
    });
  }

  grpc::ServerUnaryReactor* ListAlertTransitions(grpc::CallbackServerContext* ctx,
                                                 const v1::ListAlertTransitionsRequest* req,
                                                 v1::ListAlertTransitionsResponse* resp) override {
    return unary(ctx, "ListAlertTransitions", RpcAccess::kRead, resp,
                 [&](CallOrigin& o) { return queries_.alert_transitions(o, *req, resp); });
  }

  grpc::ServerUnaryReactor* RevertBaseline(grpc::CallbackServerContext* ctx,
                                           const v1::RevertBaselineRequest* req,
                                           v1::RevertBaselineResponse* resp) override {
    return unary(ctx, "RevertBaseline", RpcAccess::kWrite, resp, [&](CallOrigin& o) {
      return write(o, req->stream(), &Stub::RevertBaseline, *req, resp,
                   [&] { return command_revert_baseline(engine_, *req, resp); });
    });
  }

  grpc::ServerUnaryReactor* ResetReference(grpc::CallbackServerContext* ctx,
                                           const v1::ResetReferenceRequest* req,
                                           v1::ResetReferenceResponse* resp) override {
    return unary(ctx, "ResetReference", RpcAccess::kWrite, resp, [&](CallOrigin& o) {
      return write(o, req->stream(), &Stub::ResetReference, *req, resp, [&] {
        return command_reset_reference(engine_, *req, resp->mutable_reference());
      });
    });
  }

 private:
  template <class Resp, class F>
  grpc::ServerUnaryReactor* unary(grpc::CallbackServerContext* ctx, const char* rpc,
                                  RpcAccess access, Resp* resp, F&& f) {
    grpc::ServerUnaryReactor* r = ctx->DefaultReactor();
    Status s = authorize(ctx, rpc, access);
    if (s.ok()) s = check_call(ctx);
    CallOrigin origin = call_origin(*ctx);
    if (s.ok()) s = f(origin);
    if (!origin.forwarded_by.empty()) {
      // The asker learns that this replica's service answered, and which replica it is.
      ctx->AddTrailingMetadata(kReplicaTrailer, router() != nullptr ? router()->id() : "-");
      if (origin.absent) ctx->AddTrailingMetadata(kAbsentTrailer, "1");
    }
    if (s.ok() && resp->ByteSizeLong() > max_bytes_) {
      s = Status(StatusCode::RESOURCE_EXHAUSTED,
                 "response of " + std::to_string(resp->ByteSizeLong()) +
                     " bytes exceeds the maximum message size of " + std::to_string(max_bytes_) +
                     "; ask for fewer sections, classes or pairs");
    }
    if (!s.ok()) resp->Clear();
    r->Finish(s);
    return r;
  }

  // A write about one stream: here, or on the replica that holds it.
  template <class Req, class Resp>
  Status write(CallOrigin& o, const std::string& stream, PeerRouter::Method<Req, Resp> method,
               const Req& req, Resp* resp, const std::function<Status()>& local) {
    if (stream.empty()) return local();
    const bool held = queries_.holds(stream);
    if (!held && !o.forwarded_by.empty()) return not_held_here(stream, o);
    if (router() == nullptr) return local();
    return router()->route(held, stream, o, method, req, resp, local);
  }

  static CallOrigin call_origin(const grpc::CallbackServerContext& ctx) {
    CallOrigin o;
    const auto& md = ctx.client_metadata();
    if (auto it = md.find("authorization"); it != md.end()) {
      o.authorization.assign(it->second.data(), it->second.size());
    }
    if (auto it = md.find(kForwardedHeader); it != md.end()) {
      o.forwarded_by.assign(it->second.data(), it->second.size());
    }
    o.deadline = ctx.deadline();
    return o;
  }

  // Runs before anything else of a call: a refused call learns nothing about streams.
  Status authorize(grpc::CallbackServerContext* ctx, const char* rpc, RpcAccess access) {
    std::string reason;
    Status s = authorizer()->check(ctx->client_metadata(), access, reason);
    if (!s.ok() && on_auth_failure_) on_auth_failure_(rpc, reason, ctx->peer());
    return s;
  }

  // False (nothing added) when max_watchers calls are already watching.
  bool add_watch(const std::shared_ptr<WatchState>& w) {
    std::lock_guard lock(watches_mu_);
    if (watches_.size() >= max_watchers_) return false;
    watches_.insert(w);
    return true;
  }
  void remove_watch(const std::shared_ptr<WatchState>& w) {
    std::lock_guard lock(watches_mu_);
    watches_.erase(w);
  }

  MonitorEngine& engine_;
  RoutedQueries queries_;
  size_t max_bytes_;
  size_t max_watchers_;
  size_t max_watch_queue_bytes_;
  mutable std::mutex auth_mu_;
  std::shared_ptr<const ApiAuthorizer> auth_;  // replaced whole by set_auth()
  std::function<void(const std::string&, const std::string&, const std::string&)> on_auth_failure_;
  std::mutex watches_mu_;
  std::set<std::shared_ptr<WatchState>> watches_;
};

// Leaves server reflection out of a builder (the plugin registers itself for every server of
// the process): the health-only listener shows serving status and nothing else.
class WithoutReflection final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    std::erase_if(*plugins, [](const std::unique_ptr<grpc::ServerBuilderPlugin>& p) {
      return p->name() == "proto_server_reflection";
    });
  }
};

void initial_health(grpc::Server& server) {
  if (grpc::HealthCheckServiceInterface* h = server.GetHealthCheckService()) {
    h->SetServingStatus("", false);
    h->SetServingStatus(kServiceName, false);
    h->SetServingStatus("liveness", true);
  }
}

class GrpcServerImpl final : public GrpcServer {
 public:
  GrpcServerImpl(std::unique_ptr<MonitorService> service, std::unique_ptr<grpc::Server> server,
                 int port, std::unique_ptr<grpc::Server> health_server, int health_port,
                 std::unique_ptr<grpc::CallbackGenericService> health_fallback, bool loopback,
                 bool verified_clients)
      : service_(std::move(service)),
        server_(std::move(server)),
        port_(port),
        health_fallback_(std::move(health_fallback)),
        health_server_(std::move(health_server)),
        health_port_(health_port),
        loopback_(loopback),
        verified_clients_(verified_clients) {}
  ~GrpcServerImpl() override { shutdown(std::chrono::milliseconds(0)); }

  int port() const override { return port_; }
  int health_port() const override { return health_port_; }
  std::string auth_description() const override { return service_->authorizer()->describe(); }
  void set_auth(ApiAuthOptions auth) override {
    service_->set_authorizer(
        std::make_shared<const ApiAuthorizer>(std::move(auth), loopback_, verified_clients_));
  }

  void set_ready(bool ready) override {
    service_->ready = ready;
    std::lock_guard lock(mu_);
    if (stopped_) return;
    for (grpc::Server* s : {server_.get(), health_server_.get()}) {
      grpc::HealthCheckServiceInterface* h = s ? s->GetHealthCheckService() : nullptr;
      if (!h) continue;
      h->SetServingStatus("", ready);
      h->SetServingStatus(kServiceName, ready);
    }
  }

  void shutdown(std::chrono::milliseconds grace) override {
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    service_->end_watches();
    server_->Shutdown(std::chrono::system_clock::now() + grace);
    server_->Wait();
    if (health_server_) {
      health_server_->Shutdown(std::chrono::system_clock::now());
      health_server_->Wait();
    }
  }

 private:
  std::unique_ptr<MonitorService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_;
  std::unique_ptr<grpc::CallbackGenericService> health_fallback_;  // outlives health_server_
  std::unique_ptr<grpc::Server> health_server_;                    // null without health_bind
  int health_port_;
  bool loopback_, verified_clients_;  // what set_auth() builds authorizers with
  std::mutex mu_;
  bool stopped_ = false;
};

}  // namespace

std::unique_ptr<GrpcServer> GrpcServer::Start(MonitorEngine& engine,
                                              const GrpcServerOptions& options,
                                              std::string& error) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (options.tls) {
    if (options.tls->cert_pem.empty() || options.tls->key_pem.empty()) {
      error = "grpc.tls: certificate and key are required";
      return nullptr;
    }
    grpc::SslServerCredentialsOptions o;
    o.pem_key_cert_pairs.push_back({options.tls->key_pem, options.tls->cert_pem});
    if (!options.tls->client_ca_pem.empty()) {
      o.pem_root_certs = options.tls->client_ca_pem;
      o.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    creds = grpc::SslServerCredentials(o);
  } else {
    creds = grpc::InsecureServerCredentials();
  }
  const size_t max_bytes = size_t(std::max(options.max_message_bytes, 4096));
  const bool verified_clients = options.tls && !options.tls->client_ca_pem.empty();
  ApiAuthorizer auth(options.auth, is_loopback_bind(options.bind), verified_clients);
  auto service = std::make_unique<MonitorService>(engine, max_bytes, options.max_watchers,
                                                  options.max_watch_queue_bytes, std::move(auth),
                                                  options.on_auth_failure, options.router);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.bind, creds, &port);
  // Without this, Linux lets a second server bind the same port (SO_REUSEPORT).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(service.get());
  builder.SetMaxReceiveMessageSize(int(max_bytes));
  builder.SetMaxSendMessageSize(int(max_bytes));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    error = "grpc: cannot listen on '" + options.bind + "' (address in use, or invalid)";
    if (server) server->Shutdown();
    return nullptr;
  }
  initial_health(*server);
  std::unique_ptr<grpc::Server> health_server;
  auto health_only_fallback = std::make_unique<grpc::CallbackGenericService>();
  int health_port = 0;
  if (!options.health_bind.empty()) {
    grpc::ServerBuilder hb;
    hb.AddListeningPort(options.health_bind, grpc::InsecureServerCredentials(), &health_port);
    hb.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    hb.SetOption(std::make_unique<WithoutReflection>());
    hb.SetMaxReceiveMessageSize(4096);
    // Every other method answers UNIMPLEMENTED. (Also: a server whose only service is the
    // default health service fails to build; "no completion queue is polled".)
    hb.RegisterCallbackGenericService(health_only_fallback.get());
    health_server = hb.BuildAndStart();
    if (!health_server || health_port == 0) {
      error = "grpc: cannot listen on health_bind '" + options.health_bind +
              "' (address in use, or invalid)";
      if (health_server) health_server->Shutdown();
      server->Shutdown();
      return nullptr;
    }
    initial_health(*health_server);
  }
  return std::make_unique<GrpcServerImpl>(
      std::move(service), std::move(server), port, std::move(health_server), health_port,
      std::move(health_only_fallback), is_loopback_bind(options.bind), verified_clients);
}

}  // namespace predwatch::daemon
