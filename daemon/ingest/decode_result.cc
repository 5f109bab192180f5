#include "daemon/ingest/decode_result.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace predwatch::daemon {

std::string_view decode_error_name(DecodeError error) {
  static constexpr std::array<std::string_view, kDecodeErrorCount> kNames = {"ok",
                                                                             "undecodable",
                                                                             "missing_field",
                                                                             "invalid_box",
                                                                             "bad_confidence",
                                                                             "bad_timestamp",
                                                                             "bad_value",
                                                                             "unknown_content_type",
                                                                             "message_too_large",
                                                                             "too_many_detections"};
  const auto i = static_cast<size_t>(error);
  return i < kNames.size() ? kNames[i] : "unknown";
}

std::string_view encoding_name(Encoding encoding) {
  return encoding == Encoding::kJson ? "json" : "protobuf";
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool iends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

}  // namespace

std::optional<Encoding> encoding_from_content_type(std::string_view content_type) {
  const std::string_view media = trim(content_type.substr(0, content_type.find(';')));
  if (iequals(media, "application/json") ||
      (media.size() > 17 && iequals(media.substr(0, 12), "application/") &&
       iends_with(media, "+json"))) {
    return Encoding::kJson;
  }
  if (iequals(media, "application/x-protobuf") || iequals(media, "application/protobuf") ||
      iequals(media, "application/vnd.google.protobuf") ||
      iequals(media, "application/x-google-protobuf")) {
    return Encoding::kProtobuf;
  }
  return std::nullopt;
}

}  // namespace predwatch::daemon
