// Decodes events read from a file (one JSON message per line) as predwatchd decodes the
// JSON messages of one Kafka topic: PredictionEvents, or the topic's event mapping
// (kafka.mappings[], docs/EVENTS.md "Other shapes") when `--topic` names a mapped topic.
// Used by `predwatch replay` and `predwatch check-event`.
//
// A file has no Kafka metadata: a mapping that reads @key or @timestamp finds nothing
// (missing_field); @topic is the topic named; @offset is "0:<line number>".
//
// Not thread-safe. The Event filled by decode() is valid until the next decode().
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "config/settings.h"
#include "daemon/ingest/event_decoders.h"

namespace predwatch::daemon {

class FileEventDecoder {
 public:
  // topic "": PredictionEvents. Otherwise `topic` must be one of settings.kafka.topics;
  // null with `error` when it is not or its mapping cannot be resolved.
  static std::unique_ptr<FileEventDecoder> create(const config::Settings& settings,
                                                  const std::string& topic, std::string& error);

  DecodeResult decode(std::string_view line, size_t line_number, core::Event& out);

  std::span<const std::string> unknown_fields() const { return decoders_.unknown_fields(); }
  std::string_view field_hint(std::string_view path) const { return decoders_.field_hint(path); }
  // Whether a mapping decodes the lines (else they are PredictionEvents).
  bool mapped() const { return decoders_.mapped(topic_); }
  // EventDecoders::ignored_phrase of the topic.
  std::string_view ignored_phrase() const { return decoders_.ignored_phrase(topic_); }

  FileEventDecoder(std::string topic, std::vector<EventMapping> mappings);

 private:
  std::string topic_;
  EventDecoders decoders_;
};

}  // namespace predwatch::daemon
