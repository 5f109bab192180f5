// GrpcServer: serves predwatch.v1.Monitor (proto/predwatch/v1/monitor.proto) over a
// MonitorEngine, next to the standard grpc.health.v1.Health service and server reflection.
//
// Health: the overall status "" and "predwatch.v1.Monitor" are NOT_SERVING until
// set_ready(true) (windows rebuilt after start or rebalance); the name "liveness" is
// SERVING while the process runs (Kubernetes liveness/startup probes use it, so a rebuild
// never restarts a pod).
//
// Thread-safety: start() and shutdown() from one thread; set_ready() from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "daemon/engine/monitor_engine.h"

namespace predwatch::daemon {

struct GrpcServerOptions {
  std::string bind = "0.0.0.0:50051";  // "127.0.0.1:0" picks a free port
  struct Tls {
    std::string cert_pem, key_pem;
    std::string client_ca_pem;  // non-empty: require and verify client certificates
  };
  std::optional<Tls> tls = std::nullopt;
  int max_message_bytes = 16 << 20;
};

class GrpcServer {
 public:
  // Builds and starts the server. On failure (bind error, bad TLS material) returns null
  // and sets `error`.
  static std::unique_ptr<GrpcServer> Start(MonitorEngine& engine, const GrpcServerOptions& options,
                                           std::string& error);
  virtual ~GrpcServer() = default;

  virtual int port() const = 0;
  virtual void set_ready(bool ready) = 0;
  // Ends open WatchAlerts streams with OK, stops accepting calls, waits up to `grace`.
  virtual void shutdown(std::chrono::milliseconds grace) = 0;
};

}  // namespace predwatch::daemon
