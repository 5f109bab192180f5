// Chooses the decoder for each Kafka message: the message's content-type header when it
// has one (application/json, application/x-protobuf; see encoding_from_content_type), else
// the default encoding of its topic, else the global default. A content-type header that
// names no known encoding is rejected with kUnknownContentType.
//
// Owns one JsonEventDecoder and one ProtobufEventDecoder. Not thread-safe: one per
// consuming thread. The Event filled by decode() is valid until the next decode().
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/ingest/json_event_decoder.h"
#include "daemon/ingest/protobuf_event_decoder.h"

namespace predwatch::daemon {

class EventDecoders {
 public:
  explicit EventDecoders(Encoding default_encoding = Encoding::kJson,
                         std::map<std::string, Encoding, std::less<>> topic_encodings = {});

  // The encoding used for a message of `topic` with the given content-type header (nullopt:
  // no header); nullopt when the header names no known encoding.
  std::optional<Encoding> select(std::string_view topic,
                                 std::optional<std::string_view> content_type) const;

  DecodeResult decode(std::string_view topic, std::optional<std::string_view> content_type,
                      std::string_view payload, core::Event& out);
  // The ignored fields of the last decode() (EventDecoder::unknown_fields).
  std::span<const std::string> unknown_fields() const {
    return last_ ? last_->unknown_fields() : std::span<const std::string>{};
  }

 private:
  Encoding default_encoding_;
  std::map<std::string, Encoding, std::less<>> topic_encodings_;
  JsonEventDecoder json_;
  ProtobufEventDecoder protobuf_;
  std::string message_;
  const EventDecoder* last_ = nullptr;
};

}  // namespace predwatch::daemon
