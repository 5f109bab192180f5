// Chooses the decoder for each Kafka message: the message's content-type header when it
// has one (application/json, application/x-protobuf; see encoding_from_content_type), else
// the default encoding of its topic, else the global default. A content-type header that
// names no known encoding is rejected with kUnknownContentType. A JSON message of a topic
// with an event mapping (kafka.mappings[]) is decoded by that mapping (MappedJsonDecoder).
//
// Owns one JsonEventDecoder, one ProtobufEventDecoder and a MappedJsonDecoder per mapped
// topic. Not thread-safe: one per consuming thread. The Event filled by decode() is valid
// until the next decode() (and, for mapped topics, while the message's key lives).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/ingest/json_event_decoder.h"
#include "daemon/ingest/mapped_json_decoder.h"
#include "daemon/ingest/protobuf_event_decoder.h"

namespace predwatch::daemon {

class EventDecoders {
 public:
  explicit EventDecoders(Encoding default_encoding = Encoding::kJson,
                         std::map<std::string, Encoding, std::less<>> topic_encodings = {},
                         std::vector<EventMapping> mappings = {});

  // The encoding used for a message of `topic` with the given content-type header (nullopt:
  // no header); nullopt when the header names no known encoding.
  std::optional<Encoding> select(std::string_view topic,
                                 std::optional<std::string_view> content_type) const;

  // `meta`: the Kafka message's key, timestamp, partition and offset (mapped topics read
  // them for @key, @timestamp, @offset; its topic is `topic`).
  DecodeResult decode(std::string_view topic, std::optional<std::string_view> content_type,
                      std::string_view payload, core::Event& out, MessageMeta meta = {});
  // The ignored fields of the last decode() (EventDecoder::unknown_fields).
  std::span<const std::string> unknown_fields() const {
    return last_ ? last_->unknown_fields() : std::span<const std::string>{};
  }
  // Whether JSON messages of `topic` are decoded by an event mapping.
  bool mapped(std::string_view topic) const { return mapped_.find(topic) != mapped_.end(); }
  // How a message of `topic` tells of an ignored field: "is not part of a PredictionEvent",
  // or "is not read by the topic's mapping (kafka.mappings)".
  std::string_view ignored_phrase(std::string_view topic) const {
    return mapped(topic) ? "is not read by the topic's mapping (kafka.mappings)"
                         : "is not part of a PredictionEvent";
  }
  // What the decoder of the last decode() suggests for an ignored field (unknown_field_hint
  // for PredictionEvents; "" for a mapped topic, whose names are its own).
  std::string_view field_hint(std::string_view path) const {
    return last_ == &json_ ? unknown_field_hint(path) : std::string_view{};
  }

 private:
  Encoding default_encoding_;
  std::map<std::string, Encoding, std::less<>> topic_encodings_;
  JsonEventDecoder json_;
  ProtobufEventDecoder protobuf_;
  std::map<std::string, std::unique_ptr<MappedJsonDecoder>, std::less<>> mapped_;
  std::string message_;
  const EventDecoder* last_ = nullptr;
};

}  // namespace predwatch::daemon
