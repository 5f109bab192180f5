#include "daemon/ingest/mapped_json_decoder.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "daemon/ingest/json_event_decoder.h"
#include "daemon/ingest/rfc3339.h"

namespace predwatch::daemon {
namespace {

using Kind = FieldSource::Kind;
using config::BoxFormat;
using config::BoxUnits;
using config::DetectionLayout;
using config::TimestampUnit;

bool parse_number(std::string_view s, double& out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

// A number, or a number written as a string ("0.5").
bool number_of(simdjson::dom::element v, double& out) {
  if (v.is_number()) return !v.get_double().get(out);
  std::string_view s;
  return !v.get_string().get(s) && parse_number(s, out);
}

// Milliseconds per unit of an epoch number; `auto` by the number's size.
double ms_per_unit(TimestampUnit unit, double v) {
  switch (unit) {
    case TimestampUnit::kSeconds:
      return 1e3;
    case TimestampUnit::kMicros:
      return 1e-3;
    case TimestampUnit::kNanos:
      return 1e-6;
    case TimestampUnit::kAuto: {
      const double a = std::fabs(v);
      return a < 1e11 ? 1e3 : a < 1e14 ? 1.0 : a < 1e17 ? 1e-3 : 1e-6;
    }
    default:
      return 1.0;
  }
}

}  // namespace

MappedJsonDecoder::MappedJsonDecoder(EventMapping mapping) : mapping_(std::move(mapping)) {
  const EventMapping& m = mapping_;
  for (const FieldSource* s :
       {&m.stream, &m.frame_id, &m.timestamp, &m.image_width, &m.image_height, &m.image_uri,
        &m.model_name, &m.model_version, &m.detections}) {
    if (!s->first_key().empty()) root_keys_.push_back(s->first_key());
  }
  for (const FieldSource* s : {&m.class_name, &m.class_id, &m.confidence, &m.box}) {
    if (s->first_key().empty()) continue;
    (m.layout == DetectionLayout::kRows ? detection_keys_ : root_keys_).push_back(s->first_key());
  }
  for (const std::string& extra : m.detection_extras) detection_keys_.push_back(extra);
  detection_scope_ = (m.detections.path.empty() ? std::string("$") : m.detections.text) + "[].";
}

bool MappedJsonDecoder::locate(Element from, const std::vector<std::string>& path, Element& out) {
  Element cur = from;
  for (const std::string& key : path) {
    simdjson::dom::object object;
    simdjson::dom::array array;
    if (key.size() > 2 && key.front() == '[' && key.back() == ']') {
      // "[name=boxes]": the first element of the list that is an object whose `name` is the
      // string "boxes".
      const size_t eq = key.find('=');
      if (eq == std::string::npos || cur.get_array().get(array)) return false;
      const std::string_view field(key.data() + 1, eq - 1);
      const std::string_view want(key.data() + eq + 1, key.size() - eq - 2);
      bool found = false;
      for (Element e : array) {
        std::string_view got;
        if (!e.get_object().get(object) && !object.at_key(field).get_string().get(got) &&
            got == want) {
          cur = e;
          found = true;
          break;
        }
      }
      if (!found) return false;
    } else if (!cur.get_object().get(object)) {
      if (object.at_key(key).get(cur)) return false;
    } else if (!cur.get_array().get(array)) {
      size_t i = 0;
      const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), i);
      if (ec != std::errc() || end != key.data() + key.size()) return false;
      if (array.at(i).get(cur)) return false;
    } else {
      return false;
    }
  }
  out = cur;
  return true;
}

bool MappedJsonDecoder::find(Element from, const std::vector<std::string>& path, Element& out) {
  return locate(from, path, out) && !out.is_null();
}

DecodeResult MappedJsonDecoder::fail_missing(std::string_view name, const FieldSource& source) {
  switch (source.kind) {
    case Kind::kKey:
      return normalizer_.fail(DecodeError::kMissingField,
                              "{}: the message has no key (mapped from @key)", name);
    case Kind::kTimestamp:
      return normalizer_.fail(DecodeError::kMissingField,
                              "{}: the message has no Kafka timestamp (mapped from @timestamp)",
                              name);
    case Kind::kTopic:
    case Kind::kOffset:
      return normalizer_.fail(DecodeError::kMissingField,
                              "{}: not read from Kafka, so no {} (mapped from it)", name,
                              source.text);
    case Kind::kNone:
      return normalizer_.fail(DecodeError::kMissingField, "{}: not mapped", name);
    default:
      return normalizer_.fail(DecodeError::kMissingField,
                              "{}: nothing at \"{}\" (where the mapping reads it)", name,
                              source.text);
  }
}

DecodeResult MappedJsonDecoder::read_text(const FieldSource& source, Element root,
                                          std::string_view name, bool required, Text slot,
                                          std::string_view& out) {
  switch (source.kind) {
    case Kind::kNone:
      return required ? fail_missing(name, source) : DecodeResult{};
    case Kind::kConstant:
      out = source.constant;
      return {};
    case Kind::kKey:
      if (!meta_.has_key) return required ? fail_missing(name, source) : DecodeResult{};
      // A key is bytes, where everything else a mapping reads is UTF-8 already (simdjson
      // validates the payload, the loader the constants): a binary key as the stream or
      // frame name would make every API answer that lists it unserializable.
      if (!simdjson::validate_utf8(meta_.key.data(), meta_.key.size())) {
        return normalizer_.fail(DecodeError::kBadValue,
                                "{}: the message key is not valid UTF-8 (mapped from @key)", name);
      }
      out = meta_.key;
      return {};
    case Kind::kTopic:
      if (meta_.topic.empty()) return required ? fail_missing(name, source) : DecodeResult{};
      out = meta_.topic;
      return {};
    case Kind::kOffset:
      if (meta_.offset < 0) return required ? fail_missing(name, source) : DecodeResult{};
      texts_[slot] = std::to_string(meta_.partition) + ":" + std::to_string(meta_.offset);
      out = texts_[slot];
      return {};
    case Kind::kTimestamp:
      return fail_missing(name, source);  // the loader does not allow it here
    case Kind::kPath:
      break;
  }
  Element v;
  if (!find(root, source.path, v)) return required ? fail_missing(name, source) : DecodeResult{};
  if (!v.get_string().get(out)) return {};
  int64_t i = 0;
  uint64_t u = 0;
  if (!v.get_int64().get(i)) {
    texts_[slot] = std::to_string(i);
  } else if (!v.get_uint64().get(u)) {
    texts_[slot] = std::to_string(u);
  } else {
    return normalizer_.fail(DecodeError::kBadValue, "{}: expected a string or an integer at {}",
                            name, source.text);
  }
  out = texts_[slot];
  return {};
}

DecodeResult MappedJsonDecoder::read_timestamp(Element root, core::Event& out) {
  const FieldSource& source = mapping_.timestamp;
  if (source.kind == Kind::kTimestamp) {
    if (meta_.timestamp_ms < 0) return fail_missing("timestamp", source);
    out.time_ms = meta_.timestamp_ms;
    normalizer_.set_has_timestamp();
    return {};
  }
  Element v;
  if (source.kind != Kind::kPath || !find(root, source.path, v)) {
    return fail_missing("timestamp", source);
  }
  const TimestampUnit unit = mapping_.timestamp_unit;
  std::string_view text;
  if (!v.get_string().get(text) &&
      (unit == TimestampUnit::kAuto || unit == TimestampUnit::kRfc3339)) {
    if (const auto t = parse_rfc3339(text)) {
      out.time_ms = to_unix_ms(*t);
      normalizer_.set_has_timestamp();
      return {};
    }
    if (unit == TimestampUnit::kRfc3339) {
      return normalizer_.fail(DecodeError::kBadTimestamp,
                              "timestamp: \"{}\" at {} is not an RFC 3339 time", text, source.text);
    }
  }
  double number = 0;
  if (unit == TimestampUnit::kRfc3339 || !number_of(v, number)) {
    return normalizer_.fail(DecodeError::kBadTimestamp, "timestamp: expected {} at {}",
                            unit == TimestampUnit::kRfc3339 ? "an RFC 3339 string"
                                                            : "an epoch number or RFC 3339 string",
                            source.text);
  }
  const double per_unit = ms_per_unit(unit, number);
  const double ms = number * per_unit;
  if (!std::isfinite(ms) || std::fabs(ms) > 9.0e15) {
    return normalizer_.fail(DecodeError::kBadTimestamp, "timestamp: {} at {} is out of range",
                            number, source.text);
  }
  int64_t whole = 0;
  if (per_unit < 1 && !v.get_int64().get(whole)) {
    // µs and ns integers exactly (a double has 53 bits: ns since 1970 do not fit).
    const int64_t divisor = per_unit == 1e-3 ? 1'000 : 1'000'000;
    out.time_ms = whole / divisor - (whole % divisor < 0 ? 1 : 0);
  } else {
    out.time_ms = static_cast<int64_t>(std::llround(ms));
  }
  normalizer_.set_has_timestamp();
  return {};
}

DecodeResult MappedJsonDecoder::read_size(const FieldSource& source, Element root,
                                          std::string_view name, uint32_t& out) {
  double pixels = 0;
  if (source.kind == Kind::kConstant) {
    if (!parse_number(source.constant, pixels)) return {};  // the loader checked it
  } else {
    Element v;
    if (source.kind != Kind::kPath || !find(root, source.path, v)) return {};
    if (!number_of(v, pixels)) {
      return normalizer_.fail(DecodeError::kBadValue, "{}: expected a number at {}", name,
                              source.text);
    }
  }
  if (!is_pixel_count(pixels)) {
    return normalizer_.fail(DecodeError::kBadValue, "{}: {} at {} is not a pixel count", name,
                            pixels, source.text);
  }
  out = static_cast<uint32_t>(pixels);
  return {};
}

DecodeResult MappedJsonDecoder::decode(std::string_view payload, core::Event& out) {
  unknown_.clear();
  normalizer_.begin(out);
  copy_padded(payload, buffer_);
  Element root;
  if (auto err = parser_.parse(buffer_.data(), payload.size(), false).get(root)) {
    return normalizer_.fail(DecodeError::kUndecodable, "not JSON: {}",
                            simdjson::error_message(err));
  }
  if (root.is_object()) note_unknown_keys(root, root_keys_, "");
  const EventMapping& m = mapping_;
  DecodeResult r = read_text(m.stream, root, "stream", true, kStream, out.stream);
  if (r.ok()) r = read_text(m.frame_id, root, "frame_id", true, kFrameId, out.frame_id);
  if (r.ok()) r = read_timestamp(root, out);
  if (r.ok()) r = read_text(m.model_name, root, "model.name", false, kModelName, out.model_name);
  if (r.ok()) {
    r = read_text(m.model_version, root, "model.version", false, kModelVersion, out.model_version);
  }
  if (r.ok()) r = read_text(m.image_uri, root, "image.uri", false, kImageUri, out.image_uri);
  if (r.ok()) r = read_size(m.image_width, root, "image.width", out.width);
  if (r.ok()) r = read_size(m.image_height, root, "image.height", out.height);
  if (r.ok())
    r = m.layout == DetectionLayout::kRows ? read_rows(root, out) : read_columns(root, out);
  if (!r.ok()) return r;
  return normalizer_.finish(out);
}

DecodeResult MappedJsonDecoder::read_rows(Element root, core::Event& out) {
  const FieldSource& source = mapping_.detections;
  Element list;
  // A path that leads nowhere is most likely a wrong mapping; null is an empty list.
  if (!locate(root, source.path, list)) return fail_missing("detections", source);
  if (list.is_null()) return {};
  simdjson::dom::array rows;
  if (list.get_array().get(rows)) {
    return normalizer_.fail(DecodeError::kBadValue, "detections: expected a list at {}",
                            source.text);
  }
  size_t index = 0;
  for (Element row : rows) {
    if (row.is_object()) {
      note_unknown_keys(row, detection_keys_, detection_scope_);
    } else if (!row.is_array()) {
      return normalizer_.fail(DecodeError::kBadValue,
                              "detections[{}]: expected an object or a list at {}", index,
                              source.text);
    }
    auto at = [&](const FieldSource& s, size_t, Element& e) {
      return s.kind == Kind::kPath && find(row, s.path, e);
    };
    if (DecodeResult r = read_detection(out, index++, at, false); !r.ok()) return r;
  }
  return {};
}

DecodeResult MappedJsonDecoder::read_columns(Element root, core::Event& out) {
  const EventMapping& m = mapping_;
  struct Column {
    const FieldSource* source;
    Element value;  // the list
    simdjson::dom::array list;
    bool present = false;
  };
  Column columns[] = {
      {&m.box, {}, {}}, {&m.class_name, {}, {}}, {&m.class_id, {}, {}}, {&m.confidence, {}, {}}};
  for (Column& c : columns) {
    if (c.source->kind != Kind::kPath || !find(root, c.source->path, c.value)) continue;
    if (c.value.get_array().get(c.list)) {
      return normalizer_.fail(DecodeError::kBadValue, "{}: expected a list (layout columns)",
                              c.source->text);
    }
    c.present = true;
  }
  if (!columns[0].present) return fail_missing("box", m.box);
  // One flat list of numbers (a tensor's data, Triton): 4 per box.
  Element first;
  const bool flat =
      columns[0].list.size() > 0 && !columns[0].list.at(0).get(first) && first.is_number();
  if (flat && columns[0].list.size() % 4 != 0) {
    return normalizer_.fail(DecodeError::kBadValue,
                            "{}: {} numbers, not 4 per box (a flat list of boxes)", m.box.text,
                            columns[0].list.size());
  }
  const size_t n = flat ? columns[0].list.size() / 4 : columns[0].list.size();
  for (const Column& c : columns) {
    if (c.present && c.source != &m.box && c.list.size() != n) {
      return normalizer_.fail(DecodeError::kBadValue, "{}: {} entries, but {} has {} boxes",
                              c.source->text, c.list.size(), m.box.text, n);
    }
  }
  auto at = [&](const FieldSource& s, size_t i, Element& e) {
    for (const Column& c : columns) {
      if (c.source != &s) continue;
      if (flat && c.source == &m.box) {
        e = c.value;  // the whole list: read_box takes the 4 numbers from index 4 i
        return true;
      }
      return c.present && !c.list.at(i).get(e) && !e.is_null();
    }
    return false;
  };
  for (size_t i = 0; i < n; ++i) {
    if (DecodeResult r = read_detection(out, i, at, flat); !r.ok()) return r;
  }
  return {};
}

template <typename At>
DecodeResult MappedJsonDecoder::read_detection(core::Event& out, size_t index, At at,
                                               bool flat_boxes) {
  const EventMapping& m = mapping_;
  EventNormalizer::RawDetection* raw = nullptr;
  core::NamedDetection& d = normalizer_.add_detection(out, raw);
  Element v;
  if (at(m.class_name, index, v)) {
    if (v.get_string().get(d.class_name)) {
      return normalizer_.fail(DecodeError::kBadValue,
                              "detections[{}].class_name: expected a string at {}", index,
                              m.class_name.text);
    }
  }
  if (at(m.class_id, index, v)) {
    if (DecodeResult r = set_class_id(v, index, d); !r.ok()) return r;
  }
  if (at(m.confidence, index, v)) {
    double c = 0;
    if (!number_of(v, c)) {
      return normalizer_.fail(DecodeError::kBadValue,
                              "detections[{}].confidence: expected a number at {}", index,
                              m.confidence.text);
    }
    d.confidence = static_cast<float>(c);
    raw->has_confidence = true;
  }
  if (at(m.box, index, v)) {
    if (DecodeResult r = read_box(v, index, flat_boxes, d.box); !r.ok()) return r;
    raw->has_box = true;
    raw->normalized = m.box_units == BoxUnits::kNormalized;
  }
  return {};
}

DecodeResult MappedJsonDecoder::set_class_id(Element v, size_t index, core::NamedDetection& d) {
  double id = 0;
  if (!number_of(v, id) || id != std::floor(id) || std::fabs(id) > 2147483647.0) {
    return normalizer_.fail(DecodeError::kBadValue,
                            "detections[{}].class_id: expected an integer at {}", index,
                            mapping_.class_id.text);
  }
  const auto& names = mapping_.class_names;
  if (names.empty()) {
    d.class_index = static_cast<int32_t>(id);
    return {};
  }
  auto it = names.find(static_cast<int64_t>(id));
  if (it == names.end()) {
    return normalizer_.fail(DecodeError::kBadValue,
                            "detections[{}].class_id: {} is not among the {} class names of {}",
                            index, id, names.size(), mapping_.class_names_file);
  }
  if (d.class_name.empty()) d.class_name = it->second;
  return {};
}

DecodeResult MappedJsonDecoder::read_box(Element v, size_t index, bool flat_boxes, core::Box& box) {
  const EventMapping& m = mapping_;
  double c[4];
  simdjson::dom::array a;
  simdjson::dom::object o;
  if (flat_boxes) {
    for (size_t k = 0; k < 4; ++k) {
      if (v.get_array().get(a) || a.at(4 * index + k).get_double().get(c[k])) {
        return normalizer_.fail(DecodeError::kInvalidBox,
                                "detections[{}].box: entry {} of {} is not a number", index,
                                4 * index + k, m.box.text);
      }
    }
  } else if (!v.get_array().get(a)) {
    if (a.size() < 4) {
      return normalizer_.fail(DecodeError::kInvalidBox,
                              "detections[{}].box: {} numbers at {}; 4 needed", index, a.size(),
                              m.box.text);
    }
    for (size_t k = 0; k < 4; ++k) {
      if (a.at(k).get_double().get(c[k])) {
        return normalizer_.fail(DecodeError::kInvalidBox,
                                "detections[{}].box: entry {} at {} is not a number", index, k,
                                m.box.text);
      }
    }
  } else if (!v.get_object().get(o)) {
    for (size_t k = 0; k < 4; ++k) {
      Element e;
      if (o.at_key(m.box_keys[k]).get(e) || e.is_null()) {
        return normalizer_.fail(DecodeError::kMissingField,
                                "detections[{}].box: no {} at {} (box_keys: {}, {}, {}, {})", index,
                                m.box_keys[k], m.box.text, m.box_keys[0], m.box_keys[1],
                                m.box_keys[2], m.box_keys[3]);
      }
      if (!number_of(e, c[k])) {
        return normalizer_.fail(DecodeError::kInvalidBox,
                                "detections[{}].box: {} at {} is not a number", index,
                                m.box_keys[k], m.box.text);
      }
    }
  } else {
    return normalizer_.fail(DecodeError::kInvalidBox,
                            "detections[{}].box: expected 4 numbers or an object at {}", index,
                            m.box.text);
  }
  switch (m.box_format) {
    case BoxFormat::kXyxy:
      box = {float(c[0]), float(c[1]), float(c[2]), float(c[3])};
      break;
    case BoxFormat::kXywh:
      box = {float(c[0]), float(c[1]), float(c[0] + c[2]), float(c[1] + c[3])};
      break;
    case BoxFormat::kCxcywh:
      box = {float(c[0] - c[2] / 2), float(c[1] - c[3] / 2), float(c[0] + c[2] / 2),
             float(c[1] + c[3] / 2)};
      break;
  }
  return {};
}

void MappedJsonDecoder::note_unknown_keys(Element object,
                                          const std::vector<std::string_view>& known,
                                          std::string_view scope) {
  simdjson::dom::object fields;
  if (object.get_object().get(fields)) return;
  for (auto [key, value] : fields) {
    if (unknown_.size() >= kMaxUnknownPerEvent) return;
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      note_unknown_field(unknown_, scope, key);
    }
  }
}

}  // namespace predwatch::daemon
