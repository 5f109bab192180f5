// The interface of a wire decoder: bytes of one Kafka message -> core::Event.
//
// decode() clears and fills `out`; its string_views point into the decoder (its copy of
// the payload or its reused message object), so `out` is valid until the next decode()
// on the same decoder. Decoders reuse their buffers: steady state does not allocate.
// Not thread-safe: one decoder per consuming thread.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/event.h"
#include "daemon/ingest/decode_result.h"

namespace predwatch::daemon {

class EventDecoder {
 public:
  virtual ~EventDecoder() = default;
  virtual DecodeResult decode(std::string_view payload, core::Event& out) = 0;
  // Fields of the last decode() that are not part of a PredictionEvent and were ignored,
  // each once, as paths with detections collapsed: "score" at the top level,
  // "detections[].score", "detections[].box.w", "model.id". Valid until the next decode().
  // Empty for decoders that cannot tell (protobuf keeps unknown field numbers only).
  virtual std::span<const std::string> unknown_fields() const { return {}; }
};

}  // namespace predwatch::daemon
