// Decodes a PredictionEvent written in protobuf's JSON mapping (simdjson On-Demand).
//
// Accepts field names in snake_case (frame_id) and lowerCamelCase (frameId); null as
// "absent"; numbers also as JSON strings ("0.5", "NaN", "Infinity"), as the mapping allows;
// `timestamp` as an RFC 3339 string (see rfc3339.h) or, as an extension, an integer
// `timestamp_ms` / `timestampMs` (milliseconds since the epoch; `timestamp` wins when both
// are given). Unknown fields are ignored. Content after the top-level object is not
// detected (simdjson 3.0's On-Demand API has no document::at_end). Validation and box
// normalisation: EventNormalizer.
//
// The payload is copied into an owned, padded buffer (simdjson needs padding); strings in
// the Event point into it or into the parser. Not thread-safe.
#pragma once

#include <simdjson.h>

#include <memory>
#include <string_view>
#include <vector>

#include "daemon/ingest/event_decoder.h"
#include "daemon/ingest/event_normalizer.h"

namespace predwatch::daemon {

class JsonEventDecoder final : public EventDecoder {
  using JsonValue = simdjson::simdjson_result<simdjson::ondemand::value>;

 public:
  JsonEventDecoder();
  DecodeResult decode(std::string_view payload, core::Event& out) override;

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

  simdjson::ondemand::parser parser_;
  std::vector<char> buffer_;  // payload + SIMDJSON_PADDING
  EventNormalizer normalizer_;
};

}  // namespace predwatch::daemon
