// The outcome of decoding one event, and the wire encodings predwatch understands.
//
// A DecodeResult names why an event was rejected (a small enum, usable as a metric label
// via decode_error_name) and carries a message naming the field ("detections[2].box:
// x_min 700 > x_max 650"). The message is a view into the decoder that produced it and
// is valid until that decoder's next decode() call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace predwatch::daemon {

enum class DecodeError : uint8_t {
  kOk = 0,
  kUndecodable,         // not JSON / not a protobuf message / wrong top-level shape
  kMissingField,        // a required field is absent (frame_id, stream, timestamp, box, ...)
  kInvalidBox,          // non-finite, inverted or far out of the image
  kBadConfidence,       // confidence present but not a finite number in [0, 1]
  kBadTimestamp,        // timestamp unparseable or out of range
  kBadValue,            // another field has the wrong type or an out-of-range value
  kUnknownContentType,  // the message's content-type header names no known encoding
  kMessageTooLarge,     // the payload exceeds the size limit (limits.max_message_bytes)
  kTooManyDetections,   // more detections than limits.max_detections_per_event
};
inline constexpr size_t kDecodeErrorCount = 10;

// "ok", "undecodable", "missing_field", "invalid_box", "bad_confidence", "bad_timestamp",
// "bad_value", "unknown_content_type", "message_too_large", "too_many_detections".
std::string_view decode_error_name(DecodeError error);

struct DecodeResult {
  DecodeError error = DecodeError::kOk;
  std::string_view message;  // empty when ok; see the file comment for its lifetime

  bool ok() const { return error == DecodeError::kOk; }
};

enum class Encoding : uint8_t { kJson, kProtobuf };

std::string_view encoding_name(Encoding encoding);  // "json", "protobuf"

// Maps a content-type header value to an encoding: application/json (also
// application/*+json) -> kJson; application/x-protobuf, application/protobuf,
// application/vnd.google.protobuf -> kProtobuf. Case-insensitive; parameters after ';'
// are ignored. nullopt for anything else.
std::optional<Encoding> encoding_from_content_type(std::string_view content_type);

}  // namespace predwatch::daemon
