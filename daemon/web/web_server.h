// WebServer: predwatchd's read-only web view (docs/WEB.md) — the page and its assets
// (web_assets.h) and the JSON API (web_api.h) — served over plain HTTP by civetweb.
//
// Every request enters through one function (serve() in web_server.cc): method check, the
// access check, then the API or an asset. Access: the API answers only callers the gRPC
// API's policy lets read (api/api_auth: with a read token configured, `Authorization:
// Bearer <read or write token>`; 401 otherwise, counted and logged through
// on_auth_failure); the page's files and /api/v1/health are open (they hold no data). The
// server binds loopback by default (config web.bind) and speaks plain HTTP: put TLS in
// front of it before sending tokens across a network.
//
// Only GET and HEAD are answered (405 otherwise); responses carry no-store caching for the
// API, a restrictive Content-Security-Policy (everything from this origin, nothing else) and
// X-Content-Type-Options: nosniff.
//
// Thread-safety: start() and shutdown() from one thread; set_ready() from any thread;
// requests are served on civetweb's worker threads (`threads`).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "daemon/api/api_auth.h"
#include "daemon/engine/monitor_engine.h"
#include "daemon/web/web_api.h"

namespace predwatch::daemon {

struct WebServerOptions {
  std::string bind = "127.0.0.1:8088";  // host:port; port 0 picks a free port
  int threads = 8;  // worker threads; each serves one request (no keep-alive) at a time
  WebApiLimits limits;
  ApiAuthOptions auth;  // the gRPC API's tokens: readers need the read (or write) token if set
  // Called on every refused request: ("WebApi", reason, peer).
  std::function<void(const std::string&, const std::string&, const std::string&)> on_auth_failure;
  std::shared_ptr<PeerRouter> router;  // set: answer for the other replicas too (grpc.peers)
};

class WebServer {
 public:
  // Starts listening. On failure (bind error, bad address) returns null and sets `error`.
  static std::unique_ptr<WebServer> Start(const MonitorEngine& engine,
                                          const WebServerOptions& options, std::string& error);
  virtual ~WebServer() = default;

  virtual int port() const = 0;
  // Until true, the API calls that read windows answer 503 (as gRPC's UNAVAILABLE).
  virtual void set_ready(bool ready) = 0;
  // Replaces the tokens (SIGHUP re-reads them); requests in flight finish under the old ones.
  virtual void set_auth(ApiAuthOptions auth) = 0;
  // Stops accepting connections and waits for the requests in flight.
  virtual void shutdown() = 0;
};

}  // namespace predwatch::daemon
