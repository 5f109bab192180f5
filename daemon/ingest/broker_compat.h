// Detects the one broker/client combination predwatch cannot work with: SASL GSSAPI
// (Kerberos) authentication with a librdkafka older than 2.11 against a broker that does not
// advertise JoinGroup v0. Kafka 4.0.0 removed JoinGroup v0/v1 (KIP-896; 4.0.1 and later
// advertise them again, KAFKA-19444), and librdkafka before 2.11 enables GSSAPI only when the
// broker lists JoinGroup v0 (librdkafka issue #4948): it then never authenticates.
// Consumer groups themselves need no JoinGroup v0 (librdkafka >= 2.0 joins with v5), so no
// other configuration is affected.
//
// The check sends one ApiVersions v0 request (which every broker version answers, on a
// SASL_PLAINTEXT listener before authentication too) over a plain TCP connection to each
// bootstrap server and reads the JoinGroup version range. It cannot speak TLS, so the
// caller skips it for SASL_SSL.
//
// Functions block for at most the given timeout per broker. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
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

// First librdkafka version whose Kerberos (GSSAPI) authentication works with brokers that
// do not advertise JoinGroup v0 (Kafka 4.0.0).
inline constexpr int kFirstLibrdkafkaForKafka4 = 0x020b0000;  // 2.11.0

// Whether librdkafka client `properties` authenticate with SASL GSSAPI: security.protocol
// sasl_plaintext or sasl_ssl (any case) and sasl.mechanisms (or its alias sasl.mechanism)
// GSSAPI or unset, GSSAPI being librdkafka's default mechanism.
bool uses_kerberos(const std::map<std::string, std::string>& properties);

// When `versions` shows a broker without JoinGroup v0 and `librdkafka_version` is older
// than 2.11, the one clear error message to report for a client that uses Kerberos (naming
// the broker, the librdkafka version and the fix); nullopt when the combination works.
std::optional<std::string> kafka4_incompatibility(const BrokerApiVersions& versions,
                                                  int librdkafka_version,
                                                  std::string_view librdkafka_version_str);

}  // namespace predwatch::daemon
