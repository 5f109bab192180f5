#include "daemon/cli/file_event_decoder.h"

#include <algorithm>

namespace predwatch::daemon {

FileEventDecoder::FileEventDecoder(std::string topic, std::vector<EventMapping> mappings)
    : topic_(std::move(topic)), decoders_(Encoding::kJson, {}, std::move(mappings)) {}

std::unique_ptr<FileEventDecoder> FileEventDecoder::create(const config::Settings& settings,
                                                           const std::string& topic,
                                                           std::string& error) {
  if (topic.empty()) return std::make_unique<FileEventDecoder>("", std::vector<EventMapping>{});
  const std::vector<std::string>& topics = settings.kafka.topics;
  if (std::find(topics.begin(), topics.end(), topic) == topics.end()) {
    error = "--topic " + topic + ": not one of the configured kafka.topics";
    return nullptr;
  }
  std::vector<EventMapping> mappings;
  for (const config::EventMappingSettings& s : settings.kafka.mappings) {
    if (s.topic != topic) continue;
    std::optional<EventMapping> m = resolve_mapping(s, error);
    if (!m) {
      error = "kafka.mappings (topic " + topic + "): " + error;
      return nullptr;
    }
    mappings.push_back(std::move(*m));
  }
  return std::make_unique<FileEventDecoder>(topic, std::move(mappings));
}

DecodeResult FileEventDecoder::decode(std::string_view line, size_t line_number, core::Event& out) {
  MessageMeta meta;
  meta.partition = 0;
  meta.offset = static_cast<int64_t>(line_number);
  return decoders_.decode(topic_, std::nullopt, line, out, meta);
}

}  // namespace predwatch::daemon
