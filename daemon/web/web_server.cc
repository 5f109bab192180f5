#include "daemon/web/web_server.h"

#include <arpa/inet.h>
#include <civetweb.h>

#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "daemon/web/web_assets.h"

namespace predwatch::daemon {
namespace {

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return status >= 500 ? "Internal Server Error" : "Error";
  }
}

// "host:port" -> civetweb's listening_ports ("127.0.0.1:8088"; "8088" for every address),
// or "" with `error` set. Debian's civetweb is built without IPv6, and it takes IP literals
// only: the host must be an IPv4 address, "localhost" (127.0.0.1), or empty / "0.0.0.0" /
// "*" (every address).
std::string listening_port(const std::string& bind, std::string& error) {
  const size_t colon = bind.rfind(':');
  const std::string port = colon == std::string::npos ? "" : bind.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535) {
    error = "web.bind: '" + bind + "' is not host:port";
    return "";
  }
  std::string host = bind.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  if (host.empty() || host == "0.0.0.0" || host == "*") return port;
  in_addr a{};
  if (inet_pton(AF_INET, host.c_str(), &a) != 1) {
    error = "web.bind: '" + host +
            "' is not an IPv4 address (the web server takes IPv4 addresses and "
            "\"localhost\"; it is built without IPv6)";
    return "";
  }
  return host + ":" + port;
}

class WebServerImpl final : public WebServer {
 public:
  WebServerImpl(const MonitorEngine& engine, const WebServerOptions& options)
      : api_(engine, options.limits, options.router),
        loopback_(is_loopback_bind(options.bind)),
        auth_(std::make_shared<const ApiAuthorizer>(options.auth, loopback_, false)),
        on_auth_failure_(options.on_auth_failure) {}
  ~WebServerImpl() override { shutdown(); }

  bool start(const WebServerOptions& options, std::string& error) {
    const std::string ports = listening_port(options.bind, error);
    if (ports.empty()) return false;
    const std::string threads = std::to_string(std::max(1, options.threads));
    const char* opts[] = {"listening_ports", ports.c_str(), "num_threads", threads.c_str(),
                          "request_timeout_ms", "10000",
                          // No keep-alive: civetweb gives a connection a worker thread until
                          // it closes, and a page polling every 3 s would hold its
                          // connections (and the pool) forever. Loopback connects are cheap.
                          "enable_keep_alive", "no", nullptr};
    mg_callbacks callbacks{};
    callbacks.log_message = [](const mg_connection*, const char*) { return 1; };  // quiet
    // Every request, from the first one the listener accepts (a handler registered after
    // mg_start would leave a moment when civetweb answers by itself).
    callbacks.begin_request = &WebServerImpl::on_request;
    ctx_ = mg_start(&callbacks, this, opts);
    if (!ctx_) {
      error = "web: cannot listen on '" + options.bind + "' (address in use, or invalid)";
      return false;
    }
    mg_server_port sp[4];
    const int n = mg_get_server_ports(ctx_, 4, sp);
    port_ = n > 0 ? sp[0].port : 0;
    return true;
  }

  int port() const override { return port_; }
  void set_ready(bool ready) override { api_.set_ready(ready); }
  void set_auth(ApiAuthOptions auth) override {
    auto a = std::make_shared<const ApiAuthorizer>(std::move(auth), loopback_, false);
    std::lock_guard lock(auth_mu_);
    auth_ = std::move(a);
  }

  void shutdown() override {
    std::lock_guard lock(mu_);
    if (ctx_) mg_stop(ctx_);
    ctx_ = nullptr;
  }

 private:
  static int on_request(mg_connection* conn) {
    const mg_request_info* info = mg_get_request_info(conn);
    const auto* self = static_cast<const WebServerImpl*>(info->user_data);
    WebRequest req;
    req.method = info->request_method ? info->request_method : "";
    req.path =
        info->local_uri_raw ? info->local_uri_raw : (info->local_uri ? info->local_uri : "/");
    req.query = info->query_string ? info->query_string : "";
    if (const char* a = mg_get_header(conn, "Authorization")) req.authorization = a;
    req.peer = info->remote_addr;
    const WebResponse resp = self->serve(req);
    write(conn, req.method == "HEAD", resp);
    return 1;  // handled
  }

  // The one entry point of every request (see the header: the access check goes here).
  WebResponse serve(const WebRequest& req) const {
    if (req.method != "GET" && req.method != "HEAD") {
      WebResponse r =
          error_response(405, "METHOD_NOT_ALLOWED", "the web view is read-only: GET and HEAD only");
      r.headers.emplace_back("Allow", "GET, HEAD");
      return r;
    }
    if (req.path == "/api" || req.path.rfind("/api/", 0) == 0) {
      if (req.path != "/api/v1/health") {
        if (std::optional<WebResponse> refused = authorize(req)) return *refused;
      }
      WebResponse r = api_.handle(req);
      r.headers.emplace_back("Cache-Control", "no-store");
      return r;
    }
    if (const WebAsset* a = find_web_asset(req.path)) {
      WebResponse r;
      r.content_type = std::string(a->content_type);
      r.body = std::string(a->body);
      r.headers.emplace_back("Cache-Control", "no-cache");
      return r;
    }
    return error_response(404, "NOT_FOUND", "no page at '" + req.path + "'; the view is at /");
  }

  // nullopt when the caller may read; else the refusal (401 with a Bearer challenge, or 403).
  std::optional<WebResponse> authorize(const WebRequest& req) const {
    std::shared_ptr<const ApiAuthorizer> auth;
    {
      std::lock_guard lock(auth_mu_);
      auth = auth_;
    }
    std::multimap<grpc::string_ref, grpc::string_ref> metadata;
    if (!req.authorization.empty()) metadata.emplace("authorization", req.authorization);
    std::string reason;
    const grpc::Status s = auth->check(metadata, RpcAccess::kRead, reason);
    if (s.ok()) return std::nullopt;
    if (on_auth_failure_) on_auth_failure_("WebApi", reason, req.peer);
    const bool denied = s.error_code() == grpc::StatusCode::PERMISSION_DENIED;
    WebResponse r = error_response(
        denied ? 403 : 401, denied ? "PERMISSION_DENIED" : "UNAUTHENTICATED", s.error_message());
    if (!denied) r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"predwatch\"");
    return r;
  }

  static void write(mg_connection* conn, bool head, const WebResponse& r) {
    std::string h = "HTTP/1.1 " + std::to_string(r.status) + " " + reason(r.status) + "\r\n";
    h += "Content-Type: " + r.content_type + "\r\n";
    h += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
    h += "X-Content-Type-Options: nosniff\r\n";
    h += "Referrer-Policy: no-referrer\r\n";
    // Scripts, styles and data from this origin only; images may come from anywhere (an
    // event's image URI); never framed.
    h += "Content-Security-Policy: default-src 'self'; img-src * data:; frame-ancestors 'none'\r\n";
    for (const auto& [k, v] : r.headers) h += k + ": " + v + "\r\n";
    h += "\r\n";
    mg_write(conn, h.data(), h.size());
    if (!head && !r.body.empty()) mg_write(conn, r.body.data(), r.body.size());
  }

  WebApi api_;
  const bool loopback_;
  mutable std::mutex auth_mu_;
  std::shared_ptr<const ApiAuthorizer> auth_;  // replaced whole by set_auth()
  std::function<void(const std::string&, const std::string&, const std::string&)> on_auth_failure_;
  std::mutex mu_;
  mg_context* ctx_ = nullptr;
  int port_ = 0;
};

}  // namespace

std::unique_ptr<WebServer> WebServer::Start(const MonitorEngine& engine,
                                            const WebServerOptions& options, std::string& error) {
  auto s = std::make_unique<WebServerImpl>(engine, options);
  if (!s->start(options, error)) return nullptr;
  return s;
}

}  // namespace predwatch::daemon
