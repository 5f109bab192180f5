#include "daemon/api/api_auth.h"

#include <cctype>
#include <utility>

namespace predwatch::daemon {
namespace {

using grpc::Status;
using grpc::StatusCode;

constexpr char kHowToSend[] =
    "send metadata 'authorization: Bearer <token>' (predwatch: --token-file FILE or "
    "PREDWATCH_TOKEN)";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool is_loopback_bind(std::string_view bind) {
  const size_t colon = bind.rfind(':');
  std::string_view host = colon == std::string_view::npos ? bind : bind.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost" || host == "::1") return true;
  // 127.0.0.0/8 as a dotted quad.
  if (!host.starts_with("127.")) return false;
  int parts = 0, digits = 0;
  for (char c : host) {
    if (c == '.') {
      if (digits == 0) return false;
      ++parts;
      digits = 0;
    } else if (c >= '0' && c <= '9' && digits < 3) {
      ++digits;
    } else {
      return false;
    }
  }
  return parts == 3 && digits > 0;
}

bool tokens_equal(std::string_view given, std::string_view expected) {
  // Every byte of `expected` is compared whatever `given` holds; volatile keeps the compiler
  // from turning the loop into an early-exit memcmp.
  volatile unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    const unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff = diff | (g ^ static_cast<unsigned char>(expected[i]));
  }
  return diff == 0;
}

std::string_view bearer_token(std::string_view header) {
  header = trim(header);
  constexpr std::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size()) return {};
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return {};
  }
  if (header[kScheme.size()] != ' ') return {};
  return trim(header.substr(kScheme.size()));
}

ApiAuthorizer::ApiAuthorizer(ApiAuthOptions options, bool loopback, bool verified_clients)
    : options_(std::move(options)),
      loopback_(loopback),
      verified_clients_(verified_clients),
      writes_open_(options_.write_token.empty() &&
                   (loopback || verified_clients || options_.allow_unauthenticated_writes)) {}

Status ApiAuthorizer::check(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                            RpcAccess access, std::string& reason) const {
  const bool write = access == RpcAccess::kWrite;
  if (write && options_.write_token.empty()) {
    if (writes_open_) return Status::OK;
    reason = "disabled";
    return Status(StatusCode::PERMISSION_DENIED,
                  "mutating RPCs are disabled: predwatchd listens beyond loopback without a "
                  "write token; set grpc.auth.token_file or grpc.auth.token_env (or require "
                  "client certificates with grpc.tls.client_ca, or bind grpc.bind to "
                  "127.0.0.1) — docs/SECURITY.md");
  }
  if (!write && options_.read_token.empty()) return Status::OK;

  std::string_view token;
  bool present = false;
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    present = true;
    token = bearer_token(std::string_view(it->second.data(), it->second.size()));
  }
  if (!present || token.empty()) {
    reason = "missing";
    return Status(StatusCode::UNAUTHENTICATED,
                  std::string(write ? "this RPC changes state and needs the write token: "
                                    : "reading needs a token (grpc.auth.read_token_* is set): ") +
                      kHowToSend);
  }
  // Both comparisons always run, so the time taken does not say which token matched.
  const bool is_write = !options_.write_token.empty() && tokens_equal(token, options_.write_token);
  const bool is_read = !options_.read_token.empty() && tokens_equal(token, options_.read_token);
  if (is_write) return Status::OK;
  if (is_read && !write) return Status::OK;
  if (is_read) {
    reason = "forbidden";
    return Status(StatusCode::PERMISSION_DENIED,
                  "the read token cannot call a mutating RPC; use the write token");
  }
  reason = "invalid";
  return Status(StatusCode::UNAUTHENTICATED, "invalid token");
}

std::string ApiAuthorizer::describe() const {
  std::string writes;
  if (!options_.write_token.empty()) {
    writes = "need the write token";
  } else if (writes_open_) {
    writes = std::string("open without a token (") +
             (options_.allow_unauthenticated_writes ? "allow_unauthenticated_mutations"
              : verified_clients_                   ? "client certificates required"
                                                    : "loopback bind") +
             ")";
  } else {
    writes = "DISABLED (no write token on a non-loopback bind)";
  }
  const std::string reads = options_.read_token.empty() ? "open" : "need a token";
  return "gRPC auth: reads " + reads + ", mutations " + writes;
}

}  // namespace predwatch::daemon
