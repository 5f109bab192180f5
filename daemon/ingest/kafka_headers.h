// The Kafka message headers predwatch reads and writes, as functions over a librdkafka
// header list (the headers of a consumed message), used by KafkaSource (kafka_source.h) and
// fuzzed on their own (tests/fuzz/kafka_headers_fuzz.cc).
//
// Header names compare byte for byte over their whole length, case-sensitively, as
// librdkafka's rd_kafka_header_get_last does: "Content-Type" and "content-type" are the two
// spellings predwatch knows; "CONTENT-TYPE" or a name with bytes after a NUL
// ("content-type\0x") is another header. A header without a value (null) reads as an empty
// value.
//
// Thread-safety: pure functions of their arguments (the header list is only read).
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace predwatch::daemon {

// Headers of a produced message, in order (a name may repeat).
using OwnedHeaders = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view kReasonHeader = "predwatch-reason";
inline constexpr std::string_view kErrorHeader = "predwatch-error";
inline constexpr std::string_view kSourceHeader = "predwatch-source";
inline constexpr std::string_view kPayloadOmittedHeader = "predwatch-payload-omitted";

// The content type a message declares: the value of the last header named "content-type",
// else of the last one named "Content-Type"; nullopt when it has neither, or when `headers`
// is null (a message without headers; the topic's default encoding applies then,
// event_decoders.h). The view points into `headers`.
std::optional<std::string_view> content_type_header(const rd_kafka_headers_t* headers);

// The headers of the dead-letter copy of a message at `offset` of (topic, partition):
// predwatch-reason = reason, predwatch-error = error, predwatch-source =
// "<topic>/<partition>@<offset>", then the original's "content-type" headers and then its
// "Content-Type" headers, each in their order and byte for byte, so that the copy declares
// the content type the original did (content_type_header of both agree). `original` may be
// null (no headers).
OwnedHeaders dead_letter_headers(std::string_view reason, std::string_view error,
                                 std::string_view topic, int32_t partition, int64_t offset,
                                 const rd_kafka_headers_t* original);

// Marks a dead-letter copy sent without its payload: appends predwatch-payload-omitted with
// the payload's size in decimal bytes.
void add_payload_omitted_header(OwnedHeaders& headers, size_t payload_size);

}  // namespace predwatch::daemon
