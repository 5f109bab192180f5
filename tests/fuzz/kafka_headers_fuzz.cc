// Fuzzes the Kafka header handling of the consumer (daemon/ingest/kafka_headers.h,
// decode_result.h, event_decoders.h) on header lists built with librdkafka itself.
//
// Input: 4 bytes partition, 8 bytes offset (little-endian; missing bytes are 0), then
// headers: key_len (1 byte; bit 7 set: the value is null, bits 0-6: length), key bytes,
// value_len (1 byte), value bytes; a header cut short ends the list. The values of the
// first three headers double as the topic, reason and error of the dead-letter copy.
//
// Checks:
//   - content_type_header equals a model over the input: the value of the last header whose
//     whole name is "content-type", else of the last "Content-Type" (null: empty), else none;
//   - dead_letter_headers: predwatch-reason / -error / -source first, the source parses back
//     (right to left) into topic, partition and offset; then exactly the input's
//     "content-type" headers and then its "Content-Type" headers, in order, values byte for
//     byte; and the copy declares the same content type as the original (content_type_header
//     of a librdkafka list built from the copy); add_payload_omitted_header appends one
//     header whose value parses back to the size;
//   - encoding_from_content_type of every value does not depend on letter case, surrounding
//     blanks or appended parameters, and EventDecoders::select agrees with it; a content type
//     with no known encoding is rejected as kUnknownContentType with a message, a known one
//     is decoded (the error, if any, is something else).
#include <librdkafka/rdkafka.h>

#include <cctype>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "daemon/ingest/event_decoders.h"
#include "daemon/ingest/kafka_headers.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace predwatch;

struct InputHeader {
  std::string key;
  bool null_value = false;
  std::string value;
};

template <typename T>
T read_le(const uint8_t*& p, const uint8_t* end) {
  uint64_t v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    if (p < end) v |= uint64_t{*p++} << (8 * i);
  }
  return static_cast<T>(v);
}

void check_encoding(std::string_view value, const daemon::EventDecoders& decoders) {
  const auto enc = daemon::encoding_from_content_type(value);
  std::string upper(value), lower(value);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  FUZZ_CHECK(daemon::encoding_from_content_type(upper) == enc, "letter case changes the encoding");
  FUZZ_CHECK(daemon::encoding_from_content_type(lower) == enc, "letter case changes the encoding");
  FUZZ_CHECK(daemon::encoding_from_content_type(" \t" + std::string(value) + " ") == enc,
             "surrounding blanks change the encoding");
  FUZZ_CHECK(daemon::encoding_from_content_type(std::string(value) + ";charset=utf-8") == enc,
             "a parameter changes the encoding");
  FUZZ_CHECK(decoders.select("t", value) == enc, "select() disagrees with the content type");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const uint8_t* p = data;
  const uint8_t* end = data + size;
  const auto partition = read_le<int32_t>(p, end);
  const auto offset = read_le<int64_t>(p, end);
  std::vector<InputHeader> input;
  while (p < end) {
    InputHeader h;
    const size_t klen = *p & 0x7f;
    h.null_value = (*p & 0x80) != 0;
    ++p;
    if (static_cast<size_t>(end - p) < klen) break;
    h.key.assign(reinterpret_cast<const char*>(p), klen);
    p += klen;
    if (p == end) break;
    const size_t vlen = *p++;
    if (static_cast<size_t>(end - p) < vlen) break;
    h.value.assign(reinterpret_cast<const char*>(p), vlen);
    p += vlen;
    if (h.null_value) h.value.clear();
    input.push_back(std::move(h));
  }

  // The header list as a consumed message carries it.
  std::unique_ptr<rd_kafka_headers_t, decltype(&rd_kafka_headers_destroy)> hdrs(
      rd_kafka_headers_new(input.size()), &rd_kafka_headers_destroy);
  for (const InputHeader& h : input) {
    rd_kafka_header_add(hdrs.get(), h.key.data(), static_cast<ssize_t>(h.key.size()),
                        h.null_value ? nullptr : h.value.data(),
                        static_cast<ssize_t>(h.value.size()));
  }

  // Content type: the model.
  std::optional<std::string> want;
  for (const char* name : {"content-type", "Content-Type"}) {
    for (auto it = input.rbegin(); it != input.rend() && !want; ++it) {
      if (it->key == name) want = it->value;
    }
  }
  const std::optional<std::string_view> got = daemon::content_type_header(hdrs.get());
  FUZZ_CHECK(got.has_value() == want.has_value(), "content type found: %d, expected: %d",
             got.has_value(), want.has_value());
  if (got) FUZZ_CHECK(*got == *want, "content type differs from the last header's");
  FUZZ_CHECK(!daemon::content_type_header(nullptr), "content type without headers");

  static daemon::EventDecoders decoders(daemon::Encoding::kProtobuf,
                                        {{"j", daemon::Encoding::kJson}});
  FUZZ_CHECK(decoders.select("j", std::nullopt) == daemon::Encoding::kJson, "topic default");
  FUZZ_CHECK(decoders.select("t", std::nullopt) == daemon::Encoding::kProtobuf, "global default");
  for (const InputHeader& h : input) check_encoding(h.value, decoders);
  if (got) {
    core::Event event;
    const daemon::DecodeResult r = decoders.decode("t", got, "{}", event);
    if (!daemon::encoding_from_content_type(*got)) {
      FUZZ_CHECK(r.error == daemon::DecodeError::kUnknownContentType && !r.message.empty(),
                 "unknown content type not rejected as such");
    } else {
      FUZZ_CHECK(r.error != daemon::DecodeError::kUnknownContentType,
                 "known content type rejected");
    }
  }

  // Dead-letter headers.
  const std::string topic = input.size() > 0 ? input[0].value : "";
  const std::string reason = input.size() > 1 ? input[1].value : "";
  const std::string error = input.size() > 2 ? input[2].value : "";
  daemon::OwnedHeaders dl =
      daemon::dead_letter_headers(reason, error, topic, partition, offset, hdrs.get());
  FUZZ_CHECK(dl.size() >= 3, "dead-letter copy with %zu headers", dl.size());
  FUZZ_CHECK(dl[0].first == daemon::kReasonHeader && dl[0].second == reason, "reason header");
  FUZZ_CHECK(dl[1].first == daemon::kErrorHeader && dl[1].second == error, "error header");
  FUZZ_CHECK(dl[2].first == daemon::kSourceHeader, "source header");
  {
    const std::string& src = dl[2].second;
    const size_t at = src.rfind('@');
    FUZZ_CHECK(at != std::string::npos, "source without '@': %s", src.c_str());
    const size_t slash = src.rfind('/', at);
    FUZZ_CHECK(slash != std::string::npos, "source without '/'");
    int32_t part = 0;
    int64_t off = 0;
    auto r1 = std::from_chars(src.data() + slash + 1, src.data() + at, part);
    auto r2 = std::from_chars(src.data() + at + 1, src.data() + src.size(), off);
    FUZZ_CHECK(r1.ec == std::errc() && r1.ptr == src.data() + at && part == partition,
               "source partition does not parse back: %s", src.c_str());
    FUZZ_CHECK(r2.ec == std::errc() && r2.ptr == src.data() + src.size() && off == offset,
               "source offset does not parse back: %s", src.c_str());
    FUZZ_CHECK(src.compare(0, slash, topic) == 0 && slash == topic.size(),
               "source topic does not parse back");
  }
  {
    daemon::OwnedHeaders copied;
    for (const char* name : {"content-type", "Content-Type"}) {
      for (const InputHeader& h : input) {
        if (h.key == name) copied.emplace_back(h.key, h.value);
      }
    }
    FUZZ_CHECK(dl.size() == 3 + copied.size(), "%zu content-type headers copied, expected %zu",
               dl.size() - 3, copied.size());
    for (size_t i = 0; i < copied.size(); ++i) {
      FUZZ_CHECK(dl[3 + i] == copied[i], "copied header %zu differs", i);
    }
    // The copy, as the dead-letter topic's consumers see it.
    std::unique_ptr<rd_kafka_headers_t, decltype(&rd_kafka_headers_destroy)> copy(
        rd_kafka_headers_new(dl.size()), &rd_kafka_headers_destroy);
    for (const auto& [k, v] : dl) {
      rd_kafka_header_add(copy.get(), k.data(), static_cast<ssize_t>(k.size()), v.data(),
                          static_cast<ssize_t>(v.size()));
    }
    const auto copy_type = daemon::content_type_header(copy.get());
    FUZZ_CHECK(copy_type.has_value() == got.has_value() && (!got || *copy_type == *got),
               "the dead-letter copy declares another content type than the original");
  }
  const size_t before = dl.size();
  const size_t payload_size = static_cast<size_t>(offset) & 0xffffffffu;
  daemon::add_payload_omitted_header(dl, payload_size);
  FUZZ_CHECK(dl.size() == before + 1 && dl.back().first == daemon::kPayloadOmittedHeader,
             "payload-omitted header not appended");
  size_t parsed = 0;
  const std::string& v = dl.back().second;
  auto r = std::from_chars(v.data(), v.data() + v.size(), parsed);
  FUZZ_CHECK(r.ec == std::errc() && r.ptr == v.data() + v.size() && parsed == payload_size,
             "payload-omitted value %s", v.c_str());
  return 0;
}
