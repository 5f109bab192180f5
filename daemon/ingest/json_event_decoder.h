// Decodes a PredictionEvent written in protobuf's JSON mapping (simdjson On-Demand).
//
// Accepts field names in snake_case (frame_id) and lowerCamelCase (frameId); null as
// "absent"; numbers also as JSON strings ("0.5", "NaN", "Infinity"), as the mapping allows;
// `timestamp` as an RFC 3339 string (see rfc3339.h) or, as an extension, an integer
// `timestamp_ms` / `timestampMs` (milliseconds since the epoch; `timestamp` wins when both
// are given). Unknown fields are ignored and listed by unknown_fields() (with a hint for
// the usual names of other formats: unknown_field_hint). Content after the top-level object is not
// detected (simdjson 3.0's On-Demand API has no document::at_end). Validation and box
// normalisation: EventNormalizer.
//
// The payload is copied into an owned, padded buffer (simdjson needs padding); strings in
// the Event point into it or into the parser. Not thread-safe.
#pragma once

#include <simdjson.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/ingest/event_decoder.h"
#include "daemon/ingest/event_normalizer.h"

namespace predwatch::daemon {

// Shared by the JSON decoders (this one and MappedJsonDecoder):
// Appends scope + key ("detections[]." + "score") to `unknown` unless it is there already or
// `unknown` holds kMaxUnknownPerEvent paths (more distinct unknown fields are not listed).
inline constexpr size_t kMaxUnknownPerEvent = 16;
void note_unknown_field(std::vector<std::string>& unknown, std::string_view scope,
                        std::string_view key);
// Copies `payload` into `buffer` (grown when needed, never shrunk) with the padding simdjson
// reads past its end.
void copy_padded(std::string_view payload, std::vector<char>& buffer);

class JsonEventDecoder final : public EventDecoder {
  using JsonValue = simdjson::simdjson_result<simdjson::ondemand::value>;

 public:
  JsonEventDecoder();
  DecodeResult decode(std::string_view payload, core::Event& out) override;
  std::span<const std::string> unknown_fields() const override { return unknown_; }

 private:
  enum class Scope { kTop, kModel, kImage, kDetection, kBox };
  DecodeResult decode_top(simdjson::ondemand::object& obj, core::Event& out);
  DecodeResult decode_detection(JsonValue v, core::Event& out, size_t index);
  DecodeResult decode_box(JsonValue v, core::Box& box, EventNormalizer::RawDetection& raw,
                          size_t index);

  // Readers: absent (null) leaves the output untouched and sets *present=false.
  DecodeResult read_string(JsonValue v, std::string_view path, size_t index, std::string_view& out);
  DecodeResult read_double(JsonValue v, std::string_view path, size_t index, double& out,
                           bool& present);
  DecodeResult read_bool(JsonValue v, std::string_view path, size_t index, bool& out);
  DecodeResult type_error(std::string_view path, size_t index, std::string_view expected);

  // Records an ignored field: `scope` ("", "detections[].", ...) + key, once per decode.
  void note_unknown(std::string_view scope, std::string_view key) {
    note_unknown_field(unknown_, scope, key);
  }

  simdjson::ondemand::parser parser_;
  std::vector<std::string> unknown_;  // of the last decode
  std::vector<char> buffer_;          // payload + SIMDJSON_PADDING
  EventNormalizer normalizer_;
};

// For an unknown field path as unknown_fields() lists it, the PredictionEvent field that
// detector outputs usually mean by it ("detections[].score" -> "detections[].confidence",
// "detections[].bbox" -> "detections[].box"), or "" when there is no usual meaning.
std::string_view unknown_field_hint(std::string_view path);

}  // namespace predwatch::daemon
