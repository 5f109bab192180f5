#include "daemon/api/peer_router.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>

namespace predwatch::daemon {
namespace {

std::string random_id() {
  std::random_device rd;
  const uint64_t v = (uint64_t(rd()) << 32) ^ rd();
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// host:port -> every address of host, as host:port strings gRPC can dial ("[v6]:port" for
// IPv6). A host that does not resolve now stands for itself (gRPC resolves it again).
std::vector<std::string> resolve(const std::string& peer) {
  const size_t colon = peer.rfind(':');
  if (colon == std::string::npos) return {peer};
  std::string host = peer.substr(0, colon);
  const std::string port = peer.substr(colon + 1);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) return {peer};
  std::vector<std::string> out;
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    if (a->ai_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr, text, sizeof text);
      out.push_back(std::string(text) + ":" + port);
    } else if (a->ai_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr, text,
                sizeof text);
      out.push_back("[" + std::string(text) + "]:" + port);
    }
  }
  freeaddrinfo(res);
  if (out.empty()) out.push_back(peer);
  return out;
}

}  // namespace

PeerRouter::PeerRouter(PeerRouterOptions options)
    : options_(std::move(options)), id_(random_id()) {}

std::vector<std::shared_ptr<PeerRouter::Peer>> PeerRouter::peers() {
  // Name resolution can take seconds: it runs outside the lock, by one caller at a time
  // (the others go on with the current list), except while there is no list yet.
  bool resolve_now = false;
  {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (resolved_.empty() || (!resolving_ && now - resolved_at_ >= options_.resolve_interval)) {
      resolve_now = true;
      resolving_ = true;
      resolved_at_ = now;
    }
  }
  if (resolve_now) {
    std::set<std::string> addresses;
    for (const std::string& p : options_.peers) {
      for (std::string& a : resolve(p)) addresses.insert(std::move(a));
    }
    std::lock_guard lock(mu_);
    std::vector<std::shared_ptr<Peer>> next;
    for (const std::string& a : addresses) {
      auto same = std::find_if(resolved_.begin(), resolved_.end(),
                               [&](const auto& p) { return p->address == a; });
      if (same != resolved_.end()) {
        next.push_back(*same);  // keep its channel
        continue;
      }
      grpc::ChannelArguments args;
      args.SetMaxReceiveMessageSize(options_.max_message_bytes);
      args.SetMaxSendMessageSize(options_.max_message_bytes);
      if (!options_.tls_target_name.empty()) {
        args.SetSslTargetNameOverride(options_.tls_target_name);
      }
      auto peer = std::make_shared<Peer>();
      peer->address = a;
      peer->stub = v1::MonitorService::NewStub(
          grpc::CreateCustomChannel(a, options_.channel_credentials, args));
      next.push_back(std::move(peer));
    }
    resolved_ = std::move(next);
    resolving_ = false;
  }
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Peer>> out;
  for (const auto& p : resolved_) {
    if (std::find(self_addresses_.begin(), self_addresses_.end(), p->address) ==
        self_addresses_.end()) {
      out.push_back(p);
    }
  }
  return out;
}

void PeerRouter::mark_self(const std::string& address) {
  std::lock_guard lock(mu_);
  if (std::find(self_addresses_.begin(), self_addresses_.end(), address) == self_addresses_.end())
    self_addresses_.push_back(address);
}

std::string PeerRouter::owner_of(const std::string& stream) {
  std::lock_guard lock(mu_);
  auto it = owners_.find(stream);
  return it == owners_.end() ? std::string() : it->second;
}

void PeerRouter::set_owner(const std::string& stream, const std::string& address) {
  std::lock_guard lock(mu_);
  // Bounded: a replica remembers at most as many owners as a fleet has streams, but a caller
  // asking for made-up names must not grow it (only streams some peer holds get here).
  if (owners_.size() >= 1'000'000) owners_.clear();
  owners_[stream] = address;
}

void PeerRouter::mark_forwarded(grpc::ClientContext& ctx, const CallOrigin& origin) const {
  ctx.AddMetadata(kForwardedHeader, id_);
  if (!origin.authorization.empty()) ctx.AddMetadata("authorization", origin.authorization);
}

void PeerRouter::prepare(grpc::ClientContext& ctx, const CallOrigin& origin) const {
  ctx.set_deadline(std::min(origin.deadline, std::chrono::system_clock::now() + options_.timeout));
  mark_forwarded(ctx, origin);
}

PeerRouter::Reply PeerRouter::finish(const Peer& peer, const grpc::ClientContext& ctx,
                                     grpc::Status status) {
  Reply r;
  const auto& trailers = ctx.GetServerTrailingMetadata();
  if (auto it = trailers.find(kReplicaTrailer); it != trailers.end()) {
    r.answered = true;
    r.self = std::string_view(it->second.data(), it->second.size()) == id_;
  }
  r.absent = status.error_code() == grpc::NOT_FOUND && trailers.count(kAbsentTrailer) > 0;
  if (r.self) mark_self(peer.address);
  // Without the trailer the call never reached the peer's service (down, refused, too slow):
  // unreachable, whatever gRPC called it.
  if (!r.answered) {
    const bool timed_out = status.error_code() == grpc::DEADLINE_EXCEEDED;
    if (options_.on_failure) {
      options_.on_failure(peer.address, timed_out ? "timeout" : "unavailable",
                          status.error_message());
    }
    if (timed_out) {
      status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "no answer within the peer timeout");
    }
  }
  r.status = std::move(status);
  return r;
}

PeerWatch::~PeerWatch() {
  for (auto& c : calls_) {
    std::lock_guard lock(c->mu);
    c->stopped = true;
    if (c->ctx) c->ctx->TryCancel();
  }
  for (auto& c : calls_) {
    if (!c->thread.joinable()) continue;
    // Destroyed from a call's own thread (its on_lost ended the server call at once): that
    // thread is about to return.
    if (c->thread.get_id() == std::this_thread::get_id()) {
      c->thread.detach();
    } else {
      c->thread.join();
    }
  }
}

std::unique_ptr<PeerWatch> PeerRouter::watch(const CallOrigin& origin,
                                             const v1::WatchAlertsRequest& req,
                                             PeerWatch::Sink sink, PeerWatch::Lost on_lost) {
  if (!enabled() || !origin.forwarded_by.empty()) return nullptr;
  auto w = std::unique_ptr<PeerWatch>(new PeerWatch);
  for (const std::shared_ptr<Peer>& peer : peers()) {
    auto call = std::make_unique<PeerWatch::Call>();
    PeerWatch::Call* c = call.get();
    c->thread = std::thread([this, c, peer, origin, req, sink, on_lost] {
      grpc::ClientContext ctx;
      mark_forwarded(ctx, origin);  // no deadline: a watch lasts
      {
        std::lock_guard lock(c->mu);
        if (c->stopped) return;
        c->ctx = &ctx;
      }
      auto reader = peer->stub->WatchAlerts(&ctx, req);
      // A forwarded watch sends its initial metadata (the answering replica's id) at once.
      reader->WaitForInitialMetadata();
      const auto& md = ctx.GetServerInitialMetadata();
      auto it = md.find(kReplicaTrailer);
      const bool self =
          it != md.end() && std::string_view(it->second.data(), it->second.size()) == id_;
      if (self) {
        mark_self(peer->address);
        ctx.TryCancel();
      }
      v1::WatchAlertsResponse m;
      while (!self && reader->Read(&m)) sink(std::move(m));
      const grpc::Status s = reader->Finish();
      {
        std::lock_guard lock(c->mu);
        c->ctx = nullptr;
        if (c->stopped || self) return;
      }
      const std::string why = s.ok() ? std::string("it ended the stream") : s.error_message();
      if (options_.on_failure) options_.on_failure(peer->address, "watch_lost", why);
      on_lost(grpc::Status(
          grpc::StatusCode::UNAVAILABLE,
          "replica " + peer->address + " stopped streaming its alerts (" + why + "); reconnect"));
    });
    w->calls_.push_back(std::move(call));
  }
  return w;
}

}  // namespace predwatch::daemon
