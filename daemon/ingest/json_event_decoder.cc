#include "daemon/ingest/json_event_decoder.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "daemon/ingest/rfc3339.h"

namespace predwatch::daemon {

namespace ondemand = simdjson::ondemand;
using simdjson::ondemand::json_type;

namespace {

bool key_is(std::string_view key, std::string_view snake, std::string_view camel) {
  return key == snake || key == camel;
}

// Protobuf's JSON mapping lets numbers travel as strings, including the three specials.
bool parse_number_string(std::string_view s, double& out) {
  if (s == "NaN") {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (s == "Infinity" || s == "-Infinity") {
    out = s[0] == '-' ? -std::numeric_limits<double>::infinity()
                      : std::numeric_limits<double>::infinity();
    return true;
  }
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

constexpr size_t kNoIndex = std::numeric_limits<size_t>::max();

}  // namespace

JsonEventDecoder::JsonEventDecoder() = default;

DecodeResult JsonEventDecoder::type_error(std::string_view path, size_t index,
                                          std::string_view expected) {
  return normalizer_.fail(DecodeError::kBadValue, "{}: expected {}",
                          fmt::format(fmt::runtime(path), index), expected);
}

DecodeResult JsonEventDecoder::read_string(JsonValue v, std::string_view path, size_t index,
                                           std::string_view& out) {
  json_type t;
  if (v.type().get(t)) return normalizer_.fail(DecodeError::kUndecodable, "malformed JSON");
  if (t == json_type::null) return {};
  if (t != json_type::string) return type_error(path, index, "a string");
  if (v.get_string().get(out)) {
    return normalizer_.fail(DecodeError::kUndecodable, "{}: malformed string",
                            fmt::format(fmt::runtime(path), index));
  }
  return {};
}

DecodeResult JsonEventDecoder::read_double(JsonValue v, std::string_view path, size_t index,
                                           double& out, bool& present) {
  present = false;
  json_type t;
  if (v.type().get(t)) return normalizer_.fail(DecodeError::kUndecodable, "malformed JSON");
  if (t == json_type::null) return {};
  if (t == json_type::number) {
    if (v.get_double().get(out)) {
      return normalizer_.fail(DecodeError::kUndecodable, "{}: malformed number",
                              fmt::format(fmt::runtime(path), index));
    }
  } else if (t == json_type::string) {
    std::string_view s;
    if (v.get_string().get(s) || !parse_number_string(s, out))
      return type_error(path, index, "a number");
  } else {
    return type_error(path, index, "a number");
  }
  present = true;
  return {};
}

DecodeResult JsonEventDecoder::read_bool(JsonValue v, std::string_view path, size_t index,
                                         bool& out) {
  json_type t;
  if (v.type().get(t)) return normalizer_.fail(DecodeError::kUndecodable, "malformed JSON");
  if (t == json_type::null) return {};
  if (t != json_type::boolean || v.get_bool().get(out))
    return type_error(path, index, "true or false");
  return {};
}

DecodeResult JsonEventDecoder::decode(std::string_view payload, core::Event& out) {
  unknown_.clear();
  normalizer_.begin(out);
  copy_padded(payload, buffer_);
  ondemand::document doc;
  if (auto err = parser_.iterate(buffer_.data(), payload.size(), buffer_.size()).get(doc)) {
    return normalizer_.fail(DecodeError::kUndecodable, "not JSON: {}",
                            simdjson::error_message(err));
  }
  ondemand::object obj;
  if (auto err = doc.get_object().get(obj)) {
    return normalizer_.fail(DecodeError::kUndecodable, "not a JSON object: {}",
                            simdjson::error_message(err));
  }
  if (DecodeResult r = decode_top(obj, out); !r.ok()) return r;
  return normalizer_.finish(out);
}

DecodeResult JsonEventDecoder::decode_top(ondemand::object& obj, core::Event& out) {
  bool have_timestamp = false;
  int64_t timestamp_ms_field = 0;
  bool have_timestamp_ms = false;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) {
      return normalizer_.fail(DecodeError::kUndecodable, "malformed JSON object");
    }
    JsonValue v = field.value();
    DecodeResult r;
    if (key_is(key, "frame_id", "frameId")) {
      r = read_string(v, "frame_id", kNoIndex, out.frame_id);
    } else if (key == "stream") {
      r = read_string(v, "stream", kNoIndex, out.stream);
    } else if (key == "timestamp") {
      std::string_view text;
      r = read_string(v, "timestamp", kNoIndex, text);
      if (r.ok() && text.data() != nullptr) {
        const auto t = parse_rfc3339(text);
        if (!t) {
          return normalizer_.fail(DecodeError::kBadTimestamp,
                                  "timestamp: \"{}\" is not an RFC 3339 time", text);
        }
        out.time_ms = to_unix_ms(*t);
        have_timestamp = true;
      }
    } else if (key_is(key, "timestamp_ms", "timestampMs")) {
      double ms;
      bool present;
      r = read_double(v, "timestamp_ms", kNoIndex, ms, present);
      if (r.ok() && present) {
        if (!std::isfinite(ms) || ms != std::floor(ms) || std::fabs(ms) > 9.0e15) {
          return normalizer_.fail(DecodeError::kBadTimestamp,
                                  "timestamp_ms: {} is not an integer millisecond time", ms);
        }
        timestamp_ms_field = static_cast<int64_t>(ms);
        have_timestamp_ms = true;
      }
    } else if (key == "model" || key == "image") {
      const bool is_model = key == "model";
      json_type t;
      if (v.type().get(t)) return normalizer_.fail(DecodeError::kUndecodable, "malformed JSON");
      if (t == json_type::null) continue;
      ondemand::object sub;
      if (t != json_type::object || v.get_object().get(sub)) {
        return type_error(is_model ? "model" : "image", kNoIndex, "an object");
      }
      for (auto f : sub) {
        std::string_view k;
        if (f.unescaped_key().get(k)) {
          return normalizer_.fail(DecodeError::kUndecodable, "malformed JSON object");
        }
        if (is_model) {
          if (k == "name") {
            r = read_string(f.value(), "model.name", kNoIndex, out.model_name);
          } else if (k == "version") {
            r = read_string(f.value(), "model.version", kNoIndex, out.model_version);
          } else {
            note_unknown("model.", k);
          }
        } else if (k == "uri") {
          r = read_string(f.value(), "image.uri", kNoIndex, out.image_uri);
        } else if (k == "width" || k == "height") {
          double d;
          bool present;
          const bool is_width = k == "width";
          const std::string_view path = is_width ? "image.width" : "image.height";
          r = read_double(f.value(), path, kNoIndex, d, present);
          if (r.ok() && present) {
            if (!is_pixel_count(d)) {
              return normalizer_.fail(DecodeError::kBadValue, "{}: {} is not a pixel count", path,
                                      d);
            }
            (is_width ? out.width : out.height) = static_cast<uint32_t>(d);
          }
        } else {
          note_unknown("image.", k);
        }
        if (!r.ok()) return r;
      }
    } else if (key == "detections") {
      json_type t;
      if (v.type().get(t)) return normalizer_.fail(DecodeError::kUndecodable, "malformed JSON");
      if (t == json_type::null) continue;
      ondemand::array arr;
      if (t != json_type::array || v.get_array().get(arr)) {
        return type_error("detections", kNoIndex, "an array");
      }
      size_t index = 0;
      for (auto elem : arr) {
        if (DecodeResult dr = decode_detection(elem, out, index++); !dr.ok()) return dr;
      }
    } else {
      note_unknown("", key);
    }
    if (!r.ok()) return r;
  }
  if (have_timestamp) {
    normalizer_.set_has_timestamp();
  } else if (have_timestamp_ms) {
    out.time_ms = timestamp_ms_field;
    normalizer_.set_has_timestamp();
  }
  return {};
}

DecodeResult JsonEventDecoder::decode_detection(JsonValue v, core::Event& out, size_t index) {
  ondemand::object obj;
  json_type t;
  if (v.type().get(t)) return normalizer_.fail(DecodeError::kUndecodable, "malformed JSON");
  if (t != json_type::object || v.get_object().get(obj)) {
    return type_error("detections[{}]", index, "an object");
  }
  EventNormalizer::RawDetection* raw = nullptr;
  core::NamedDetection& d = normalizer_.add_detection(out, raw);
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) {
      return normalizer_.fail(DecodeError::kUndecodable, "malformed JSON object");
    }
    DecodeResult r;
    double number;
    bool present;
    if (key_is(key, "class_name", "className")) {
      r = read_string(field.value(), "detections[{}].class_name", index, d.class_name);
    } else if (key_is(key, "class_id", "classId")) {
      r = read_double(field.value(), "detections[{}].class_id", index, number, present);
      if (r.ok() && present) {
        if (!(number >= -2147483648.0 && number <= 2147483647.0 && number == std::floor(number))) {
          return normalizer_.fail(DecodeError::kBadValue,
                                  "detections[{}].class_id: {} is not an int32", index, number);
        }
        d.class_index = static_cast<int32_t>(number);
      }
    } else if (key == "confidence") {
      r = read_double(field.value(), "detections[{}].confidence", index, number, present);
      if (r.ok() && present) {
        d.confidence = static_cast<float>(number);
        raw->has_confidence = true;
      }
    } else if (key_is(key, "mask_area", "maskArea")) {
      r = read_double(field.value(), "detections[{}].mask_area", index, number, present);
      if (r.ok() && present) {
        d.mask_area = static_cast<float>(number);
        raw->has_mask_area = true;
      }
    } else if (key == "box") {
      r = decode_box(field.value(), d.box, *raw, index);
    } else {
      note_unknown("detections[].", key);
    }
    if (!r.ok()) return r;
  }
  return {};
}

DecodeResult JsonEventDecoder::decode_box(JsonValue v, core::Box& box,
                                          EventNormalizer::RawDetection& raw, size_t index) {
  json_type t;
  if (v.type().get(t)) return normalizer_.fail(DecodeError::kUndecodable, "malformed JSON");
  if (t == json_type::null) return {};
  ondemand::object obj;
  if (t != json_type::object || v.get_object().get(obj)) {
    return type_error("detections[{}].box", index, "an object");
  }
  raw.has_box = true;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) {
      return normalizer_.fail(DecodeError::kUndecodable, "malformed JSON object");
    }
    float* target = nullptr;
    std::string_view path;
    if (key_is(key, "x_min", "xMin")) {
      target = &box.x_min;
      path = "detections[{}].box.x_min";
    } else if (key_is(key, "y_min", "yMin")) {
      target = &box.y_min;
      path = "detections[{}].box.y_min";
    } else if (key_is(key, "x_max", "xMax")) {
      target = &box.x_max;
      path = "detections[{}].box.x_max";
    } else if (key_is(key, "y_max", "yMax")) {
      target = &box.y_max;
      path = "detections[{}].box.y_max";
    } else if (key == "normalized") {
      if (DecodeResult r =
              read_bool(field.value(), "detections[{}].box.normalized", index, raw.normalized);
          !r.ok()) {
        return r;
      }
      continue;
    } else {
      note_unknown("detections[].box.", key);
      continue;
    }
    double number;
    bool present;
    if (DecodeResult r = read_double(field.value(), path, index, number, present); !r.ok())
      return r;
    // Protobuf stores box coordinates as float; round the same way here for parity.
    if (present) *target = static_cast<float>(number);
  }
  return {};
}

void note_unknown_field(std::vector<std::string>& unknown, std::string_view scope,
                        std::string_view key) {
  if (unknown.size() >= kMaxUnknownPerEvent) return;
  std::string path;
  path.reserve(scope.size() + key.size());
  path.append(scope).append(key);
  if (std::find(unknown.begin(), unknown.end(), path) == unknown.end()) {
    unknown.push_back(std::move(path));
  }
}

void copy_padded(std::string_view payload, std::vector<char>& buffer) {
  if (buffer.size() < payload.size() + simdjson::SIMDJSON_PADDING) {
    buffer.resize(payload.size() + simdjson::SIMDJSON_PADDING);
  }
  if (!payload.empty()) std::memcpy(buffer.data(), payload.data(), payload.size());
}

std::string_view unknown_field_hint(std::string_view path) {
  // Names detector outputs and other formats use for PredictionEvent's fields.
  static constexpr std::pair<std::string_view, std::string_view> kHints[] = {
      {"detections[].score", "detections[].confidence"},
      {"detections[].conf", "detections[].confidence"},
      {"detections[].prob", "detections[].confidence"},
      {"detections[].probability", "detections[].confidence"},
      {"detections[].label", "detections[].class_name (a name) or class_id (an index)"},
      {"detections[].class", "detections[].class_name (a name) or class_id (an index)"},
      {"detections[].name", "detections[].class_name"},
      {"detections[].category", "detections[].class_name"},
      {"detections[].cls", "detections[].class_id"},
      {"detections[].category_id", "detections[].class_id"},
      {"detections[].label_id", "detections[].class_id"},
      {"detections[].bbox", "detections[].box {x_min, y_min, x_max, y_max, normalized}"},
      {"detections[].xyxy", "detections[].box {x_min, y_min, x_max, y_max, normalized}"},
      {"detections[].xywh", "detections[].box (convert x, y, w, h to x_min ... y_max)"},
      {"detections[].box.x", "detections[].box.x_min (and x_max = x + w)"},
      {"detections[].box.y", "detections[].box.y_min (and y_max = y + h)"},
      {"detections[].box.w", "detections[].box.x_max (x_min + w)"},
      {"detections[].box.h", "detections[].box.y_max (y_min + h)"},
      {"detections[].box.x1", "detections[].box.x_min"},
      {"detections[].box.y1", "detections[].box.y_min"},
      {"detections[].box.x2", "detections[].box.x_max"},
      {"detections[].box.y2", "detections[].box.y_max"},
      {"detections[].box.xmin", "detections[].box.x_min"},
      {"detections[].box.ymin", "detections[].box.y_min"},
      {"detections[].box.xmax", "detections[].box.x_max"},
      {"detections[].box.ymax", "detections[].box.y_max"},
      {"predictions", "detections"},
      {"objects", "detections"},
      {"boxes", "detections"},
      {"results", "detections"},
      {"image_id", "frame_id"},
      {"frame", "frame_id"},
      {"id", "frame_id"},
      {"camera", "stream"},
      {"camera_id", "stream"},
      {"source", "stream"},
      {"stream_id", "stream"},
      {"ts", "timestamp_ms (epoch milliseconds) or timestamp (RFC 3339)"},
      {"time", "timestamp_ms (epoch milliseconds) or timestamp (RFC 3339)"},
      {"timestamp_s", "timestamp_ms (milliseconds: multiply by 1000)"},
      {"width", "image.width"},
      {"height", "image.height"},
      {"model_name", "model.name"},
      {"model_version", "model.version"},
  };
  for (const auto& [from, to] : kHints)
    if (from == path) return to;
  return {};
}

}  // namespace predwatch::daemon
