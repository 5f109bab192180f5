#include "daemon/ingest/event_decoders.h"

namespace predwatch::daemon {

EventDecoders::EventDecoders(Encoding default_encoding,
                             std::map<std::string, Encoding, std::less<>> topic_encodings)
    : default_encoding_(default_encoding), topic_encodings_(std::move(topic_encodings)) {}

std::optional<Encoding> EventDecoders::select(std::string_view topic,
                                              std::optional<std::string_view> content_type) const {
  if (content_type) return encoding_from_content_type(*content_type);
  if (auto it = topic_encodings_.find(topic); it != topic_encodings_.end()) return it->second;
  return default_encoding_;
}

DecodeResult EventDecoders::decode(std::string_view topic,
                                   std::optional<std::string_view> content_type,
                                   std::string_view payload, core::Event& out) {
  const std::optional<Encoding> encoding = select(topic, content_type);
  last_ = nullptr;
  if (!encoding) {
    out.clear();
    message_.assign("content-type: \"");
    message_.append(*content_type);
    message_.append("\" is neither application/json nor application/x-protobuf");
    return DecodeResult{DecodeError::kUnknownContentType, message_};
  }
  if (*encoding == Encoding::kJson) {
    last_ = &json_;
    return json_.decode(payload, out);
  }
  last_ = &protobuf_;
  return protobuf_.decode(payload, out);
}

}  // namespace predwatch::daemon
