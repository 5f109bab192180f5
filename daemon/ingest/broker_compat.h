// Detects the one broker/client combination predwatch cannot work with: a Kafka 4.x
// broker (JoinGroup v0/v1 removed by KIP-896) and a librdkafka older than 2.11, which
// gates its whole consumer-group feature on JoinGroup v0 (librdkafka issue #4948) and then
// silently never joins the group.
//
// The check sends one ApiVersions v0 request (which every broker version answers) over a
// plain TCP connection to each bootstrap server and reads the JoinGroup version range.
// It only works for PLAINTEXT listeners; for TLS/SASL the caller skips it.
//
// Functions block for at most the given timeout per broker. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace predwatch::daemon {

struct BrokerApiVersions {
  std::string broker;           // "host:port" as probed
  int16_t join_group_min = -1;  // -1: JoinGroup not listed
  int16_t join_group_max = -1;
  int16_t max_api_key_seen = -1;
};

// Probes one "host:port". nullopt and `error` set when the broker cannot be reached or
// answers with something that is not an ApiVersions v0 response.
std::optional<BrokerApiVersions> probe_api_versions(std::string_view host_port,
                                                    std::chrono::milliseconds timeout,
                                                    std::string& error);

// The librdkafka version this process runs with, as rd_kafka_version() (0xMMmmrrxx).
int linked_librdkafka_version();

// First librdkafka version whose consumer groups work with Kafka 4.x brokers.
inline constexpr int kFirstLibrdkafkaForKafka4 = 0x020b0000;  // 2.11.0

// When `versions` shows a broker without JoinGroup v0 and `librdkafka_version` is older
// than 2.11, the one clear error message to report (naming the broker, the librdkafka
// version and the fix); nullopt when the combination works.
std::optional<std::string> kafka4_incompatibility(const BrokerApiVersions& versions,
                                                  int librdkafka_version,
                                                  std::string_view librdkafka_version_str);

}  // namespace predwatch::daemon
