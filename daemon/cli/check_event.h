// `predwatch check-event FILE [--config C]`: explains what predwatch makes of sample events
// before a producer sends them to Kafka (issue 16).
//
// FILE holds JSON PredictionEvents, one per line, or one event spread over several lines
// ("-" reads stdin); with `topic`, messages of that topic as its event mapping reads them
// (daemon/cli/file_event_decoder.h). For each event (at most `limit`) it prints: whether it is
// accepted and why not (the decoder's reason and message, the stream admission of the
// configuration), the stream, frame, event time (with a hint when the number looks like seconds or
// microseconds, or lies ahead of this machine's clock by more than limits.max_future_skew),
// image size and model, then one row per detection: the class as sent and the name it is
// counted under (the stream's class map and class list), the confidence (and whether
// min_confidence leaves it out), the normalised box; then every field the decoder ignored,
// with what the name usually means. `--json`: one JSON object per event and line.
//
// Exit code: 0 when every event checked is accepted, 1 when one is not (or FILE cannot be
// read, or the configuration is invalid). Ignored fields are warnings only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>

namespace predwatch::daemon {

struct CheckEventOptions {
  std::filesystem::path events;  // "-": stdin
  std::filesystem::path config;  // empty: the defaults
  std::string topic;             // set: decode as predwatchd decodes this topic (its mapping)
  bool json = false;
  size_t limit = 20;    // events explained; the rest are only counted
  int64_t now_ms = -1;  // this machine's clock (tests set it); -1: read it
};

int run_check_event(const CheckEventOptions& options, std::ostream& out, std::ostream& err);

}  // namespace predwatch::daemon
