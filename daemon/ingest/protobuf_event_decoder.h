// Decodes a binary predwatch.v1.PredictionEvent (proto/predwatch/v1/event.proto).
//
// One PredictionEvent object is reused across calls (protobuf keeps the capacity of cleared
// strings and repeated fields), so steady state does not allocate; strings in the Event
// point into it. Validation and box normalisation: EventNormalizer. Not thread-safe.
#pragma once

#include <memory>
#include <string_view>

#include "daemon/ingest/event_decoder.h"
#include "daemon/ingest/event_normalizer.h"

namespace predwatch::v1 {
class PredictionEvent;
}

namespace predwatch::daemon {

class ProtobufEventDecoder final : public EventDecoder {
 public:
  ProtobufEventDecoder();
  ~ProtobufEventDecoder() override;
  DecodeResult decode(std::string_view payload, core::Event& out) override;

 private:
  std::unique_ptr<v1::PredictionEvent> message_;
  EventNormalizer normalizer_;
};

}  // namespace predwatch::daemon
