// ApiAuthorizer: who may call which predwatch.v1.MonitorService RPC (docs/SECURITY.md).
//
// RPCs are readers (ListStreams, GetWindowStats, GetDrift, ListAlerts, ListAlertTransitions,
// WatchAlerts, GetExemplars, GetBaseline, GetReference) or writers (SetBaseline, RevertBaseline,
// SnapshotBaseline, PinReference, ResetReference: each changes what alerts fire). Credentials are
// bearer tokens in the call's `authorization: Bearer <token>` metadata, compared in constant time.
//
// Policy:
//   - writers: with a write token configured, the call must carry it. Without one, writers
//     are allowed only when the listener cannot be reached from other hosts (a loopback
//     bind), when every connection presented a verified client certificate (mTLS), or when
//     `allow_unauthenticated_writes` says so; otherwise every writer is refused.
//   - readers: with a read token configured, the call must carry it or the write token;
//     without one, readers are open.
// Refusals: no token where one is needed -> UNAUTHENTICATED ("missing"); a token that matches
// nothing -> UNAUTHENTICATED ("invalid"); the read token on a writer -> PERMISSION_DENIED
// ("forbidden"); writers disabled -> PERMISSION_DENIED ("disabled"). The message says what to
// configure or send; it never echoes the token.
//
// The standard health service (grpc.health.v1) and server reflection are not behind this:
// probes need no credentials, and they reveal serving status and the (public) API schema only.
//
// Thread-safety: immutable after construction; check() from any thread.
#pragma once

#include <grpcpp/support/status.h>
#include <grpcpp/support/string_ref.h>

#include <map>
#include <string>
#include <string_view>

namespace predwatch::daemon {

enum class RpcAccess { kRead, kWrite };

struct ApiAuthOptions {
  std::string write_token = "";  // bearer token of writers (it also reads); "" = none configured
  std::string read_token = "";   // bearer token of readers; "" = readers need no token
  // Without a write token: allow writers from anyone who reaches the port.
  bool allow_unauthenticated_writes = false;
};

class ApiAuthorizer {
 public:
  // `loopback`: the server listens on a loopback address only. `verified_clients`: TLS
  // requires and verifies a client certificate on every connection.
  ApiAuthorizer(ApiAuthOptions options, bool loopback, bool verified_clients);

  // OK, or the refusal; `reason` is set to "missing", "invalid", "forbidden" or "disabled"
  // on a refusal (the label of predwatch_api_auth_failures_total).
  grpc::Status check(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                     RpcAccess access, std::string& reason) const;

  // True when writers are allowed without a token (loopback, mTLS or explicit).
  bool writes_open() const { return writes_open_; }
  // One line for the start log: how readers and writers are authorised.
  std::string describe() const;

 private:
  ApiAuthOptions options_;
  bool loopback_;
  bool verified_clients_;
  bool writes_open_;
};

// True when `bind` ("host:port") names a loopback host: 127.0.0.0/8, [::1], localhost.
bool is_loopback_bind(std::string_view bind);

// Equality whose running time depends only on the length of `expected` (not on where the
// first difference is), so timing does not reveal a token byte by byte.
bool tokens_equal(std::string_view given, std::string_view expected);

// The token of an `authorization` metadata value "Bearer <token>" (scheme case-insensitive,
// surrounding spaces ignored); "" when the value is not a bearer credential.
std::string_view bearer_token(std::string_view header);

}  // namespace predwatch::daemon
