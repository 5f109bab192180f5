// GrpcServer: serves predwatch.v1.MonitorService (proto/predwatch/v1/monitor.proto) over a
// MonitorEngine, next to the standard grpc.health.v1.Health service and server reflection.
//
// Health: with `health_bind` set, a second, plaintext listener serves grpc.health.v1 alone
// (no API, no reflection), the same statuses, for probes that cannot speak TLS (Kubernetes
// gRPC probes) while the API port requires it.
//
// Health: the overall status "" and "predwatch.v1.MonitorService" are NOT_SERVING until
// set_ready(true) (windows rebuilt after start or rebalance); the name "liveness" is
// SERVING while the process runs (Kubernetes liveness/startup probes use it, so a rebuild
// never restarts a pod).
//
// Access control: every predwatch.v1.MonitorService call passes the ApiAuthorizer built from
// `auth`, the bind and the TLS settings (daemon/api/api_auth.h) before it runs; refusals are
// reported to `on_auth_failure` (rpc, reason, peer: gRPC's "ipv4:10.0.0.7:51234"). Health
// and reflection need no credentials.
//
// Thread-safety: start() and shutdown() from one thread; set_ready() from any thread;
// on_auth_failure is called on gRPC's threads.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "daemon/api/api_auth.h"
#include "daemon/api/peer_router.h"
#include "daemon/engine/monitor_engine.h"

namespace predwatch::daemon {

struct GrpcServerOptions {
  std::string bind = "127.0.0.1:50051";  // "127.0.0.1:0" picks a free port
  struct Tls {
    std::string cert_pem, key_pem;
    std::string client_ca_pem;  // non-empty: require and verify client certificates
  };
  std::optional<Tls> tls = std::nullopt;
  int max_message_bytes = 16 << 20;
  ApiAuthOptions auth = {};
  std::string health_bind = "";  // "" = no health-only listener
  // WatchAlerts: concurrent calls (a further one ends at once with RESOURCE_EXHAUSTED), and
  // the bytes of transitions buffered for one slow reader (past them its call ends with
  // RESOURCE_EXHAUSTED, "reconnect"; the reconnect's snapshot has the current state).
  size_t max_watchers = 64;
  size_t max_watch_queue_bytes = 4 << 20;
  std::function<void(const std::string& rpc, const std::string& reason, const std::string& peer)>
      on_auth_failure = {};
  // Set: the replicas answer for each other (daemon/api/peer_router.h); null: this one alone.
  std::shared_ptr<PeerRouter> router = nullptr;
};

class GrpcServer {
 public:
  // Builds and starts the server. On failure (bind error, bad TLS material) returns null
  // and sets `error`.
  static std::unique_ptr<GrpcServer> Start(MonitorEngine& engine, const GrpcServerOptions& options,
                                           std::string& error);
  virtual ~GrpcServer() = default;

  virtual int port() const = 0;
  virtual int health_port() const = 0;  // 0 without health_bind
  // ApiAuthorizer::describe() of the running server, for the start log.
  virtual std::string auth_description() const = 0;
  // Replaces the tokens and allow_unauthenticated_writes (token rotation on reload); the
  // bind and TLS keep deciding loopback and mTLS. Calls already authorised are unaffected.
  // Thread-safe.
  virtual void set_auth(ApiAuthOptions auth) = 0;
  virtual void set_ready(bool ready) = 0;
  // Ends open WatchAlerts streams with OK, stops accepting calls, waits up to `grace`.
  virtual void shutdown(std::chrono::milliseconds grace) = 0;
};

}  // namespace predwatch::daemon
