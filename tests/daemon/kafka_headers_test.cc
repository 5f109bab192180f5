// The Kafka header functions of daemon/ingest/kafka_headers.h on hand-built librdkafka
// header lists (the KafkaSource tests cover them end to end through the mock cluster).
#include "daemon/ingest/kafka_headers.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace predwatch::daemon {
namespace {

using Headers = std::unique_ptr<rd_kafka_headers_t, decltype(&rd_kafka_headers_destroy)>;

// A header list; a pair whose value is "<null>" gets a null value.
Headers make(const std::vector<std::pair<std::string, std::string>>& list) {
  Headers h(rd_kafka_headers_new(list.size()), &rd_kafka_headers_destroy);
  for (const auto& [k, v] : list) {
    const bool null = v == "<null>";
    rd_kafka_header_add(h.get(), k.data(), static_cast<ssize_t>(k.size()),
                        null ? nullptr : v.data(), null ? 0 : static_cast<ssize_t>(v.size()));
  }
  return h;
}

TEST(KafkaHeaders, ContentTypeIsTheLastLowerCaseOneElseTheLastCapitalisedOne) {
  auto h = make({{"Content-Type", "application/x-protobuf"},
                 {"content-type", "application/json"},
                 {"CONTENT-TYPE", "text/plain"},
                 {"content-type", "application/protobuf"},
                 {"Content-Type", "application/json"}});
  EXPECT_EQ(content_type_header(h.get()), "application/protobuf");
  EXPECT_EQ(content_type_header(make({{"Content-Type", "a"}, {"Content-Type", "b"}}).get()), "b");
  EXPECT_EQ(content_type_header(make({{"CONTENT-TYPE", "application/json"}}).get()), std::nullopt);
  EXPECT_EQ(content_type_header(make({{"content-type", "<null>"}}).get()), "");
  EXPECT_EQ(content_type_header(make({}).get()), std::nullopt);
  EXPECT_EQ(content_type_header(nullptr), std::nullopt);
}

// FUZZING.md finding 6: a name with bytes after a NUL is not a content-type header, neither
// when decoding nor when copying to the dead-letter topic (the copy used to carry it as
// "content-type", declaring a content type the original did not have).
TEST(KafkaHeaders, NameWithANulIsNotAContentType) {
  auto h = make({{std::string("content-type\0x", 14), "application/x-protobuf"}});
  EXPECT_EQ(content_type_header(h.get()), std::nullopt);
  const OwnedHeaders copy = dead_letter_headers("undecodable", "e", "t", 0, 1, h.get());
  EXPECT_EQ(copy.size(), 3u);
}

TEST(KafkaHeaders, DeadLetterHeadersNameReasonErrorSourceAndCopyTheContentTypes) {
  auto h = make({{"trace", "1"},
                 {"Content-Type", "application/json"},
                 {"content-type", std::string("a\0b", 3)},
                 {"content-type", "<null>"}});
  OwnedHeaders copy =
      dead_letter_headers("bad_value", "detections[0]: x", "events/eu", 7, 42, h.get());
  const OwnedHeaders want = {{"predwatch-reason", "bad_value"},
                             {"predwatch-error", "detections[0]: x"},
                             {"predwatch-source", "events/eu/7@42"},
                             {"content-type", std::string("a\0b", 3)},
                             {"content-type", ""},
                             {"Content-Type", "application/json"}};
  EXPECT_EQ(copy, want);
  EXPECT_EQ(dead_letter_headers("r", "e", "t", -1, -1, nullptr).size(), 3u);
  add_payload_omitted_header(copy, 1500000);
  ASSERT_EQ(copy.size(), want.size() + 1);
  EXPECT_EQ(copy.back(),
            (std::pair<std::string, std::string>{"predwatch-payload-omitted", "1500000"}));
}

}  // namespace
}  // namespace predwatch::daemon
