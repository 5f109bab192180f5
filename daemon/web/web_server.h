// WebServer: predwatchd's read-only web view (docs/WEB.md) — the page and its assets
// (web_assets.h) and the JSON API (web_api.h) — served over plain HTTP by civetweb.
//
// Every request enters through one function (serve() in web_server.cc): method check, then
// the API or an asset. That is where an access check goes when the gRPC API gets one
// (bearer tokens); until then the server has none, and binds loopback by default
// (config web.bind).
//
// Only GET and HEAD are answered (405 otherwise); responses carry no-store caching for the
// API, a restrictive Content-Security-Policy (everything from this origin, nothing else) and
// X-Content-Type-Options: nosniff.
//
// Thread-safety: start() and shutdown() from one thread; set_ready() from any thread;
// requests are served on civetweb's worker threads (`threads`).
#pragma once

#include <memory>
#include <string>

#include "daemon/engine/monitor_engine.h"
#include "daemon/web/web_api.h"

namespace predwatch::daemon {

struct WebServerOptions {
  std::string bind = "127.0.0.1:8088";  // host:port; port 0 picks a free port
  int threads = 8;  // worker threads; each serves one request (no keep-alive) at a time
  WebApiLimits limits;
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
  // Stops accepting connections and waits for the requests in flight.
  virtual void shutdown() = 0;
};

}  // namespace predwatch::daemon
