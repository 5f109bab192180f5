// Encodes a core::Event as a predwatch.v1.PredictionEvent in protobuf's JSON mapping, the
// form JsonEventDecoder reads (docs/EVENTS.md): snake_case names, `timestamp_ms`, boxes
// normalised. Used by the demo generator and `predwatch generate`.
//
// Thread-safety: pure function.
#pragma once

#include <string>

#include "core/event.h"

namespace predwatch::daemon {

// Appends the JSON object for `event` to `out`.
void append_event_json(const core::Event& event, std::string& out);

}  // namespace predwatch::daemon
