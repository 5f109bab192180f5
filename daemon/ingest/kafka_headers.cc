#include "daemon/ingest/kafka_headers.h"

#include <fmt/format.h>

namespace predwatch::daemon {
namespace {

constexpr const char* kContentTypeNames[] = {"content-type", "Content-Type"};

std::string_view value_view(const void* value, size_t size) {
  return value ? std::string_view(static_cast<const char*>(value), size) : std::string_view();
}

}  // namespace

std::optional<std::string_view> content_type_header(const rd_kafka_headers_t* headers) {
  if (headers == nullptr) return std::nullopt;
  for (const char* name : kContentTypeNames) {
    const void* value = nullptr;
    size_t size = 0;
    if (rd_kafka_header_get_last(headers, name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      return value_view(value, size);
    }
  }
  return std::nullopt;
}

OwnedHeaders dead_letter_headers(std::string_view reason, std::string_view error,
                                 std::string_view topic, int32_t partition, int64_t offset,
                                 const rd_kafka_headers_t* original) {
  OwnedHeaders out = {
      {std::string(kReasonHeader), std::string(reason)},
      {std::string(kErrorHeader), std::string(error)},
      {std::string(kSourceHeader), fmt::format("{}/{}@{}", topic, partition, offset)}};
  if (original == nullptr) return out;
  for (const char* name : kContentTypeNames) {
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get(original, i, name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
      out.emplace_back(name, std::string(value_view(value, size)));
    }
  }
  return out;
}

void add_payload_omitted_header(OwnedHeaders& headers, size_t payload_size) {
  headers.emplace_back(std::string(kPayloadOmittedHeader), std::to_string(payload_size));
}

}  // namespace predwatch::daemon
