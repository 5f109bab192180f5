#include "daemon/ingest/event_decoders.h"

namespace predwatch::daemon {
namespace {

// `bytes` as it may appear in a log line and a Kafka header: printable ASCII as it is,
// `"` and `\` escaped, every other byte as \xNN; at most kShown bytes of it, then the
// number of bytes left out. A header's value is the producer's, not text we trust.
void append_escaped(std::string& out, std::string_view bytes) {
  constexpr size_t kShown = 64;
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < bytes.size() && i < kShown; ++i) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(char(c));
    } else if (c >= 0x20 && c < 0x7f) {
      out.push_back(char(c));
    } else {
      out.append("\\x");
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (bytes.size() > kShown) {
    out.append("\"... (");
    out.append(std::to_string(bytes.size() - kShown));
    out.append(" more bytes)");
  } else {
    out.push_back('"');
  }
}

}  // namespace

EventDecoders::EventDecoders(Encoding default_encoding,
                             std::map<std::string, Encoding, std::less<>> topic_encodings,
                             std::vector<EventMapping> mappings)
    : default_encoding_(default_encoding), topic_encodings_(std::move(topic_encodings)) {
  for (EventMapping& m : mappings) {
    std::string topic = m.topic;
    mapped_[std::move(topic)] = std::make_unique<MappedJsonDecoder>(std::move(m));
  }
}

std::optional<Encoding> EventDecoders::select(std::string_view topic,
                                              std::optional<std::string_view> content_type) const {
  if (content_type) return encoding_from_content_type(*content_type);
  if (auto it = topic_encodings_.find(topic); it != topic_encodings_.end()) return it->second;
  return default_encoding_;
}

DecodeResult EventDecoders::decode(std::string_view topic,
                                   std::optional<std::string_view> content_type,
                                   std::string_view payload, core::Event& out, MessageMeta meta) {
  const std::optional<Encoding> encoding = select(topic, content_type);
  last_ = nullptr;
  if (!encoding) {
    out.clear();
    message_.assign("content-type: \"");
    append_escaped(message_, *content_type);
    message_.append(" is neither application/json nor application/x-protobuf");
    return DecodeResult{DecodeError::kUnknownContentType, message_};
  }
  if (*encoding == Encoding::kJson) {
    if (auto it = mapped_.find(topic); it != mapped_.end()) {
      meta.topic = topic;
      it->second->set_message(meta);
      last_ = it->second.get();
      return it->second->decode(payload, out);
    }
    last_ = &json_;
    return json_.decode(payload, out);
  }
  last_ = &protobuf_;
  return protobuf_.decode(payload, out);
}

}  // namespace predwatch::daemon
