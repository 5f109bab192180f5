#include "daemon/ingest/broker_compat.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <vector>

namespace predwatch::daemon {

namespace {

constexpr int16_t kApiVersionsKey = 18;
constexpr int16_t kJoinGroupKey = 11;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

bool wait_fd(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n > 0) return true;
    if (n == 0 || errno != EINTR) return false;
  }
}

bool read_exact(int fd, uint8_t* buf, size_t n, Clock::time_point deadline) {
  size_t got = 0;
  while (got < n) {
    if (!wait_fd(fd, POLLIN, deadline)) return false;
    const ssize_t r = ::recv(fd, buf + got, n - got, 0);
    if (r <= 0) {
      if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      return false;
    }
    got += static_cast<size_t>(r);
  }
  return true;
}

int16_t be16(const uint8_t* p) { return static_cast<int16_t>((p[0] << 8) | p[1]); }
int32_t be32(const uint8_t* p) {
  return static_cast<int32_t>((uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) |
                              (uint32_t{p[2]} << 8) | uint32_t{p[3]});
}

}  // namespace

std::optional<BrokerApiVersions> probe_api_versions(std::string_view host_port,
                                                    std::chrono::milliseconds timeout,
                                                    std::string& error) {
  const auto deadline = Clock::now() + timeout;
  const size_t colon = host_port.rfind(':');
  if (colon == std::string_view::npos) {
    error = fmt::format("{}: expected host:port", host_port);
    return std::nullopt;
  }
  std::string host(host_port.substr(0, colon));
  const std::string port(host_port.substr(colon + 1));
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    error = fmt::format("{}: {}", host_port, ::gai_strerror(rc));
    return std::nullopt;
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, ::freeaddrinfo);
  Fd fd(::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    error = fmt::format("{}: socket: {}", host_port, std::strerror(errno));
    return std::nullopt;
  }
  if (::connect(fd.get(), res->ai_addr, res->ai_addrlen) != 0 && errno != EINPROGRESS) {
    error = fmt::format("{}: connect: {}", host_port, std::strerror(errno));
    return std::nullopt;
  }
  if (!wait_fd(fd.get(), POLLOUT, deadline)) {
    error = fmt::format("{}: connect timed out", host_port);
    return std::nullopt;
  }
  int so_error = 0;
  socklen_t len = sizeof so_error;
  ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &len);
  if (so_error != 0) {
    error = fmt::format("{}: connect: {}", host_port, std::strerror(so_error));
    return std::nullopt;
  }

  // ApiVersions v0 request: size, api_key, api_version, correlation_id, client_id.
  constexpr std::string_view kClientId = "predwatch-probe";
  std::vector<uint8_t> req;
  auto put16 = [&](int v) { req.push_back(uint8_t(v >> 8)), req.push_back(uint8_t(v)); };
  auto put32 = [&](int32_t v) { put16(v >> 16), put16(v & 0xffff); };
  put32(0);  // size, patched below
  put16(kApiVersionsKey);
  put16(0);
  put32(0x70726564);  // correlation id
  put16(static_cast<int>(kClientId.size()));
  req.insert(req.end(), kClientId.begin(), kClientId.end());
  const int32_t body = static_cast<int32_t>(req.size() - 4);
  req[0] = uint8_t(body >> 24), req[1] = uint8_t(body >> 16), req[2] = uint8_t(body >> 8),
  req[3] = uint8_t(body);
  size_t sent = 0;
  while (sent < req.size()) {
    if (!wait_fd(fd.get(), POLLOUT, deadline)) {
      error = fmt::format("{}: send timed out", host_port);
      return std::nullopt;
    }
    const ssize_t n = ::send(fd.get(), req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EINTR && errno != EAGAIN) {
      error = fmt::format("{}: send: {}", host_port, std::strerror(errno));
      return std::nullopt;
    }
    if (n > 0) sent += static_cast<size_t>(n);
  }

  uint8_t header[4];
  if (!read_exact(fd.get(), header, 4, deadline)) {
    error = fmt::format("{}: no ApiVersions response (not a PLAINTEXT Kafka listener?)", host_port);
    return std::nullopt;
  }
  const int32_t size = be32(header);
  if (size < 10 || size > (1 << 20)) {
    error = fmt::format("{}: implausible ApiVersions response size {}", host_port, size);
    return std::nullopt;
  }
  std::vector<uint8_t> resp(static_cast<size_t>(size));
  if (!read_exact(fd.get(), resp.data(), resp.size(), deadline)) {
    error = fmt::format("{}: truncated ApiVersions response", host_port);
    return std::nullopt;
  }
  // correlation_id(4) error_code(2) count(4) then count * (key, min, max) int16s.
  const int16_t error_code = be16(&resp[4]);
  const int32_t count = be32(&resp[6]);
  if (count < 0 || 10 + static_cast<size_t>(count) * 6 > resp.size()) {
    error = fmt::format("{}: malformed ApiVersions response (error {}, count {})", host_port,
                        error_code, count);
    return std::nullopt;
  }
  BrokerApiVersions out;
  out.broker = std::string(host_port);
  for (int32_t i = 0; i < count; ++i) {
    const uint8_t* p = &resp[10 + static_cast<size_t>(i) * 6];
    const int16_t key = be16(p);
    out.max_api_key_seen = std::max(out.max_api_key_seen, key);
    if (key == kJoinGroupKey) {
      out.join_group_min = be16(p + 2);
      out.join_group_max = be16(p + 4);
    }
  }
  return out;
}

int linked_librdkafka_version() { return rd_kafka_version(); }

bool uses_kerberos(const std::map<std::string, std::string>& properties) {
  auto value_of = [&](const char* key) -> std::string {
    auto it = properties.find(key);
    if (it == properties.end()) return "";
    std::string lower = it->second;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower;
  };
  const std::string protocol = value_of("security.protocol");
  if (protocol != "sasl_plaintext" && protocol != "sasl_ssl") return false;
  std::string mechanism = value_of("sasl.mechanisms");
  if (mechanism.empty()) mechanism = value_of("sasl.mechanism");
  return mechanism.empty() || mechanism == "gssapi";
}

std::optional<std::string> kafka4_incompatibility(const BrokerApiVersions& v,
                                                  int librdkafka_version,
                                                  std::string_view librdkafka_version_str) {
  if (v.join_group_min <= 0 || librdkafka_version >= kFirstLibrdkafkaForKafka4) {
    return std::nullopt;
  }
  return fmt::format(
      "Kafka broker {} does not advertise JoinGroup v0 (it accepts v{}..v{}, as Kafka 4.0.0 "
      "does), and librdkafka {} then refuses SASL GSSAPI (Kerberos) authentication with it, so "
      "this consumer could never connect. Fix: use Kafka >= 4.0.1 (or <= 3.9), or build "
      "predwatch against librdkafka >= 2.11 (librdkafka issue #4948).",
      v.broker, v.join_group_min, v.join_group_max, librdkafka_version_str);
}

}  // namespace predwatch::daemon
