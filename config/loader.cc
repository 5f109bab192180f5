#include "config/loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "config/duration.h"

namespace predwatch::config {
namespace {

using Keys = std::vector<std::string_view>;

struct Pos {
  int line = 0;
  int column = 0;
};

Pos pos_of(const YAML::Node& n) {
  if (!n.IsDefined()) return {};
  const YAML::Mark m = n.Mark();
  if (m.is_null() || m.line < 0) return {};
  return {m.line + 1, m.column + 1};
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  out += s;
  out += '"';
  return out;
}

std::string join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// " (did you mean "x"?)" when a candidate is within edit distance 2 of word, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::size_t best = 3;
  const std::string* pick = nullptr;
  for (const std::string& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best) {
      best = d;
      pick = &c;
    }
  }
  return pick ? " (did you mean " + quote(*pick) + "?)" : "";
}

std::string fmt_double(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string describe(const YAML::Node& n) {
  if (n.IsNull()) return "nothing";
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a map";
  return quote(n.Scalar());
}

bool valid_name_char(char c, bool allow_dot) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || (allow_dot && c == '.');
}

bool valid_topic(std::string_view t) {
  if (t.empty() || t.size() > 249 || t == "." || t == "..") return false;
  return std::all_of(t.begin(), t.end(), [](char c) { return valid_name_char(c, true); });
}

// host:port with port in [0, 65535]; host non-empty (IPv6 literals in brackets).
bool valid_bind(std::string_view b) {
  const std::size_t colon = b.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == b.size()) return false;
  const std::string_view host = b.substr(0, colon);
  const std::string_view port = b.substr(colon + 1);
  if (host.find_first_of(" \t") != std::string_view::npos) return false;
  if (host.front() == '[' && host.back() != ']') return false;
  if (host.front() != '[' && host.find(':') != std::string_view::npos) return false;
  int p = -1;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  return ec == std::errc() && end == port.data() + port.size() && p >= 0 && p <= 65535;
}

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string index(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string map_entry(const std::string& path, std::string_view key) {
  return path + "[" + quote(key) + "]";
}

template <typename E>
struct EnumName {
  std::string_view name;
  E value;
};

// A YAML map after key checking: each known key's (key node, value node), first occurrence.
struct Field {
  YAML::Node key;
  YAML::Node value;
  // Values that are null carry an unhelpful mark (the next token); point at the key instead.
  Pos pos() const { return value.IsNull() ? pos_of(key) : pos_of(value); }
};

struct MapView {
  bool present = false;  // the map existed (possibly empty)
  Pos pos;
  std::string path;
  std::vector<std::pair<std::string, Field>> fields;

  const Field* get(std::string_view key) const {
    for (const auto& [k, f] : fields) {
      if (k == key) return &f;
    }
    return nullptr;
  }
};

class Parser {
 public:
  Parser(std::string file, const LoadOptions& options) : file_(std::move(file)), opt_(options) {}

  std::vector<ConfigError> take_errors() { return std::move(errors_); }

  void error(Pos p, const std::string& path, std::string message) {
    errors_.push_back(ConfigError{file_, p.line, p.column, path, std::move(message)});
  }

  // Position recorded for a key path (the value's position), else the closest recorded
  // ancestor's, else the document start.
  Pos pos_at(std::string path) const {
    while (true) {
      if (auto it = positions_.find(path); it != positions_.end()) return it->second;
      const std::size_t cut = path.find_last_of(".[");
      if (cut == std::string::npos) return {};
      path.resize(cut);
    }
  }

  // Checks that n (found at p) is a map; null counts as an empty map. Reports non-scalar,
  // unknown (with suggestion) and duplicate keys.
  MapView map(const YAML::Node& n, Pos p, const std::string& path, const Keys& allowed) {
    MapView view;
    view.pos = p;
    view.path = path;
    if (!n.IsDefined() || n.IsNull()) {
      view.present = n.IsDefined();
      return view;
    }
    if (!n.IsMap()) {
      error(p, path,
            "must be a map with keys: " + join(to_strings(allowed)) + " (got " + describe(n) + ")");
      return view;
    }
    view.present = true;
    std::map<std::string, Pos> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
      const YAML::Node key = it->first;  // a copy: *it is a temporary
      if (!key.IsScalar()) {
        error(pos_of(key), path, "keys must be plain strings (got " + describe(key) + ")");
        continue;
      }
      const std::string k = key.Scalar();
      const std::string kpath = child(path, k);
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
        const std::vector<std::string> names = to_strings(allowed);
        std::string hint = did_you_mean(k, names);
        if (hint.empty()) hint = "; allowed keys: " + join(names);
        error(pos_of(key), kpath, "unknown key " + quote(k) + hint);
        continue;
      }
      if (auto [prev, inserted] = seen.emplace(k, pos_of(key)); !inserted) {
        error(pos_of(key), kpath,
              "duplicate key " + quote(k) + " (first at line " + std::to_string(prev->second.line) +
                  ")");
        continue;
      }
      Field f{key, it->second};
      positions_[kpath] = f.pos();
      view.fields.emplace_back(k, std::move(f));
    }
    return view;
  }

  // For list entries that must be maps: false (reported) unless n is a map. map() has
  // reported non-null non-maps already; null entries ("- " alone) are reported here.
  bool is_list_entry_map(const YAML::Node& n, const MapView& m) {
    if (n.IsMap()) return true;
    if (n.IsNull()) error(m.pos, m.path, "must be a map (got nothing)");
    return false;
  }

  // A map whose keys are user data (kafka.properties, drift.per_stream): every scalar key
  // accepted, duplicates reported.
  MapView free_map(const YAML::Node& n, Pos p, const std::string& path, std::string_view what) {
    MapView view;
    view.pos = p;
    view.path = path;
    if (!n.IsDefined() || n.IsNull()) return view;
    if (!n.IsMap()) {
      error(p, path, "must be a map of " + std::string(what) + " (got " + describe(n) + ")");
      return view;
    }
    view.present = true;
    std::set<std::string> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
      const YAML::Node key = it->first;  // a copy: *it is a temporary
      if (!key.IsScalar() || key.Scalar().empty()) {
        error(pos_of(key), path, "keys must be non-empty strings (got " + describe(key) + ")");
        continue;
      }
      const std::string kpath = map_entry(path, key.Scalar());
      if (!seen.insert(key.Scalar()).second) {
        error(pos_of(key), kpath, "duplicate key " + quote(key.Scalar()));
        continue;
      }
      Field f{key, it->second};
      positions_[kpath] = f.pos();
      view.fields.emplace_back(key.Scalar(), std::move(f));
    }
    return view;
  }

  MapView section(const MapView& parent, std::string_view key, const Keys& allowed) {
    const Field* f = parent.get(key);
    if (!f) {
      MapView empty;
      empty.pos = parent.pos;
      empty.path = child(parent.path, key);
      return empty;
    }
    return map(f->value, f->pos(), child(parent.path, key), allowed);
  }

  // ---- scalars ----

  // The scalar text of field key, or nullopt (absent, or reported as not a scalar).
  std::optional<std::string> scalar(const MapView& m, std::string_view key, std::string_view what) {
    const Field* f = m.get(key);
    if (!f) return std::nullopt;
    if (!f->value.IsScalar()) {
      error(f->pos(), child(m.path, key),
            "must be " + std::string(what) + " (got " + describe(f->value) + ")");
      return std::nullopt;
    }
    return f->value.Scalar();
  }

  bool read_int(const MapView& m, std::string_view key, std::int64_t lo, std::int64_t hi,
                std::int64_t& out) {
    const std::string what =
        "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    auto s = scalar(m, key, what);
    if (!s) return false;
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    if (s->empty() || ec != std::errc() || end != s->data() + s->size() || v < lo || v > hi) {
      error(m.get(key)->pos(), child(m.path, key), "must be " + what + " (got " + quote(*s) + ")");
      return false;
    }
    out = v;
    return true;
  }

  struct Range {
    double lo;
    bool lo_open;
    double hi;
    bool hi_open;
    bool contains(double v) const {
      return (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
    }
    std::string text() const {
      return std::string(lo_open ? "(" : "[") + fmt_double(lo) + ", " + fmt_double(hi) +
             (hi_open ? ")" : "]");
    }
  };

  bool read_double(const MapView& m, std::string_view key, Range r, double& out) {
    const std::string what = "a number in " + r.text();
    auto s = scalar(m, key, what);
    if (!s) return false;
    double v = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    if (s->empty() || ec != std::errc() || end != s->data() + s->size() || !std::isfinite(v) ||
        !r.contains(v)) {
      error(m.get(key)->pos(), child(m.path, key), "must be " + what + " (got " + quote(*s) + ")");
      return false;
    }
    out = v;
    return true;
  }

  bool read_bool(const MapView& m, std::string_view key, bool& out) {
    auto s = scalar(m, key, "true or false");
    if (!s) return false;
    if (*s == "true") {
      out = true;
    } else if (*s == "false") {
      out = false;
    } else {
      error(m.get(key)->pos(), child(m.path, key), "must be true or false (got " + quote(*s) + ")");
      return false;
    }
    return true;
  }

  bool read_string(const MapView& m, std::string_view key, bool allow_empty, std::string& out) {
    auto s = scalar(m, key, allow_empty ? "a string" : "a non-empty string");
    if (!s) return false;
    if (!allow_empty && s->empty()) {
      error(m.get(key)->pos(), child(m.path, key), "must be a non-empty string");
      return false;
    }
    out = *s;
    return true;
  }

  bool read_duration(const MapView& m, std::string_view key, Millis lo, Millis hi, Millis& out) {
    const std::string what = "a duration like 10s, 5m, 1h";
    auto s = scalar(m, key, what);
    if (!s) return false;
    const auto d = parse_duration(*s);
    if (!d) {
      error(m.get(key)->pos(), child(m.path, key),
            "must be " + what + " (units ms, s, m, h, d; got " + quote(*s) + ")");
      return false;
    }
    if (*d < lo || *d > hi) {
      error(m.get(key)->pos(), child(m.path, key),
            "must be between " + format_duration(lo) + " and " + format_duration(hi) + " (got " +
                quote(*s) + ")");
      return false;
    }
    out = *d;
    return true;
  }

  bool read_bytes(const MapView& m, std::string_view key, std::int64_t lo, std::int64_t hi,
                  std::int64_t& out) {
    const std::string what = "a byte size like 1048576, 512KiB, 16MiB";
    auto s = scalar(m, key, what);
    if (!s) return false;
    const auto b = parse_byte_size(*s);
    if (!b) {
      error(m.get(key)->pos(), child(m.path, key), "must be " + what + " (got " + quote(*s) + ")");
      return false;
    }
    if (*b < lo || *b > hi) {
      error(m.get(key)->pos(), child(m.path, key),
            "must be in [" + format_byte_size(lo) + ", " + format_byte_size(hi) + "] (got " +
                quote(*s) + ")");
      return false;
    }
    out = *b;
    return true;
  }

  template <typename E>
  bool parse_enum(const YAML::Node& n, Pos p, const std::string& path,
                  std::initializer_list<EnumName<E>> names, E& out) {
    std::vector<std::string> all;
    for (const auto& e : names) all.emplace_back(e.name);
    const std::string what = "one of: " + join(all);
    if (!n.IsScalar()) {
      error(p, path, "must be " + what + " (got " + describe(n) + ")");
      return false;
    }
    for (const auto& e : names) {
      if (e.name == n.Scalar()) {
        out = e.value;
        return true;
      }
    }
    error(p, path,
          "must be " + what + " (got " + quote(n.Scalar()) + ")" + did_you_mean(n.Scalar(), all));
    return false;
  }

  template <typename E>
  bool read_enum(const MapView& m, std::string_view key, std::initializer_list<EnumName<E>> names,
                 E& out) {
    const Field* f = m.get(key);
    if (!f) return false;
    return parse_enum(f->value, f->pos(), child(m.path, key), names, out);
  }

  // A list of strings; each element checked by `valid` (described as `one`, the list as a
  // list of `many`). Duplicates reported.
  template <typename Valid>
  bool read_string_list(const MapView& m, std::string_view key, bool allow_empty_list,
                        std::string_view one, std::string_view many, Valid valid,
                        std::vector<std::string>& out) {
    const Field* f = m.get(key);
    if (!f) return false;
    const std::string path = child(m.path, key);
    if (!f->value.IsSequence()) {
      error(f->pos(), path,
            "must be a list of " + std::string(many) + " (got " + describe(f->value) + ")");
      return false;
    }
    if (f->value.size() == 0 && !allow_empty_list) {
      error(f->pos(), path, "must be a non-empty list of " + std::string(many));
      return false;
    }
    bool ok = true;
    std::vector<std::string> items;
    for (std::size_t i = 0; i < f->value.size(); ++i) {
      const YAML::Node& e = f->value[i];
      const std::string epath = index(path, i);
      positions_[epath] = pos_of(e);
      if (!e.IsScalar() || !valid(e.Scalar())) {
        error(e.IsNull() ? f->pos() : pos_of(e), epath,
              "must be " + std::string(one) + " (got " + describe(e) + ")");
        ok = false;
        continue;
      }
      if (std::find(items.begin(), items.end(), e.Scalar()) != items.end()) {
        error(pos_of(e), epath, "duplicate entry " + quote(e.Scalar()));
        ok = false;
        continue;
      }
      items.push_back(e.Scalar());
    }
    if (ok) out = std::move(items);
    return ok;
  }

  // Resolves a path setting against base_dir and checks existence when asked.
  void file_path(const MapView& m, std::string_view key, std::string& out) {
    std::string raw;
    if (!read_string(m, key, false, raw)) return;
    std::filesystem::path p(raw);
    if (p.is_relative() && !opt_.base_dir.empty()) p = opt_.base_dir / p;
    out = p.lexically_normal().string();
    if (opt_.check_files_exist) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(p, ec)) {
        error(m.get(key)->pos(), child(m.path, key), "file " + quote(out) + " does not exist");
      }
    }
  }

  void optional_file_path(const MapView& m, std::string_view key, std::optional<std::string>& out) {
    const Field* f = m.get(key);
    if (!f || f->value.IsNull()) return;
    std::string s;
    file_path(m, key, s);
    if (!s.empty()) out = s;
  }

 private:
  static std::vector<std::string> to_strings(const Keys& keys) {
    return std::vector<std::string>(keys.begin(), keys.end());
  }

  std::string file_;
  LoadOptions opt_;
  std::vector<ConfigError> errors_;
  std::map<std::string, Pos> positions_;
};

// ---- sections ----

const Keys kTopKeys = {"kafka",    "streams", "windows", "statistics", "drift",
                       "alerting", "metrics", "grpc",    "limits",     "logging"};

const std::initializer_list<EnumName<EvaluationClock>> kEvaluationClocks = {
    {"wall", EvaluationClock::kWall}, {"event", EvaluationClock::kEvent}};
const std::initializer_list<EnumName<Decoder>> kDecoders = {
    {"json", Decoder::kJson}, {"protobuf", Decoder::kProtobuf}, {"auto", Decoder::kAuto}};
const std::initializer_list<EnumName<WindowType>> kWindowTypes = {{"time", WindowType::kTime},
                                                                  {"count", WindowType::kCount}};
const std::initializer_list<EnumName<DriftMeasure>> kMeasures = {
    {"js_distance", DriftMeasure::kJsDistance},
    {"psi", DriftMeasure::kPsi},
    {"hellinger", DriftMeasure::kHellinger}};
const std::initializer_list<EnumName<Correction>> kCorrections = {
    {"bh", Correction::kBenjaminiHochberg}, {"bonferroni", Correction::kBonferroni}};
const std::initializer_list<EnumName<LogLevel>> kLogLevels = {{"trace", LogLevel::kTrace},
                                                              {"debug", LogLevel::kDebug},
                                                              {"info", LogLevel::kInfo},
                                                              {"warn", LogLevel::kWarn},
                                                              {"error", LogLevel::kError}};
const std::initializer_list<EnumName<LogFormat>> kLogFormats = {{"text", LogFormat::kText},
                                                                {"json", LogFormat::kJson}};
const std::initializer_list<EnumName<DriftKind>> kDriftKinds = {
    {"class_distribution", DriftKind::kClassDistribution},
    {"pair_rate", DriftKind::kPairRate},
    {"novel_pair", DriftKind::kNovelPair},
    {"objects_per_image", DriftKind::kObjectsPerImage},
    {"spatial", DriftKind::kSpatial},
    {"confidence", DriftKind::kConfidence},
    {"box_size", DriftKind::kBoxSize},
    {"class_appeared", DriftKind::kClassAppeared},
    {"class_vanished", DriftKind::kClassVanished},
    {"objects_per_frame", DriftKind::kObjectsPerFrame}};

// librdkafka properties predwatch sets itself, and the setting to use instead.
const std::map<std::string_view, std::string_view> kManagedProperties = {
    {"bootstrap.servers", "kafka.brokers"},
    {"metadata.broker.list", "kafka.brokers"},
    {"group.id", "kafka.group_id"},
    {"auto.commit.interval.ms", "kafka.commit_interval_ms"},
    {"enable.auto.commit", "kafka.commit_interval_ms"},
};

void parse_kafka(Parser& p, const MapView& root, KafkaSettings& k) {
  MapView m = p.section(root, "kafka",
                        {"brokers", "embedded", "topics", "group_id", "decoder",
                         "dead_letter_topic", "properties", "commit_interval_ms", "rebuild"});
  const bool brokers_given = p.read_string(m, "brokers", true, k.brokers);
  p.read_bool(m, "embedded", k.embedded);
  if (k.embedded) {
    if (brokers_given && !k.brokers.empty()) {
      p.error(m.get("brokers")->pos(), "kafka.brokers",
              "must be empty (or left out) when kafka.embedded is true");
    }
    k.brokers.clear();
  } else if (brokers_given) {
    bool ok = !k.brokers.empty();
    std::stringstream ss(k.brokers);
    for (std::string b; ok && std::getline(ss, b, ',');) {
      ok = !b.empty() && b.find_first_of(" \t") == std::string::npos;
    }
    if (ok && k.brokers.back() == ',') ok = false;
    if (!ok) {
      p.error(m.get("brokers")->pos(), "kafka.brokers",
              "must be a comma-separated list of host:port (or empty with kafka.embedded: "
              "true), got " +
                  quote(k.brokers));
    }
  }
  p.read_string_list(m, "topics", false, "a Kafka topic name ([A-Za-z0-9._-], at most 249 chars)",
                     "Kafka topic names", valid_topic, k.topics);
  p.read_string(m, "group_id", false, k.group_id);
  p.read_enum(m, "decoder", kDecoders, k.decoder);
  if (const Field* f = m.get("dead_letter_topic"); f && !f->value.IsNull()) {
    std::string t;
    if (p.read_string(m, "dead_letter_topic", false, t)) {
      if (!valid_topic(t)) {
        p.error(f->pos(), "kafka.dead_letter_topic",
                "must be a Kafka topic name ([A-Za-z0-9._-], at most 249 chars), got " + quote(t));
      } else if (std::find(k.topics.begin(), k.topics.end(), t) != k.topics.end()) {
        p.error(f->pos(), "kafka.dead_letter_topic",
                "must differ from the consumed kafka.topics (got " + quote(t) + ")");
      } else {
        k.dead_letter_topic = t;
      }
    }
  }
  if (const Field* f = m.get("properties")) {
    MapView props = p.free_map(f->value, f->pos(), "kafka.properties", "librdkafka properties");
    for (const auto& [key, field] : props.fields) {
      const std::string path = map_entry("kafka.properties", key);
      if (auto it = kManagedProperties.find(key); it != kManagedProperties.end()) {
        p.error(pos_of(field.key), path,
                "is set by predwatch; use " + std::string(it->second) + " instead");
        continue;
      }
      if (!field.value.IsScalar()) {
        p.error(field.pos(), path, "must be a string value (got " + describe(field.value) + ")");
        continue;
      }
      k.properties[key] = field.value.Scalar();
    }
  }
  p.read_int(m, "commit_interval_ms", 100, 3'600'000, k.commit_interval_ms);
  p.read_bool(m, "rebuild", k.rebuild);
}

bool valid_window_name(std::string_view n) {
  return !n.empty() && n.size() <= 64 &&
         std::all_of(n.begin(), n.end(), [](char c) { return valid_name_char(c, true); });
}

void parse_windows(Parser& p, const MapView& root, std::vector<WindowSettings>& out) {
  const Field* f = root.get("windows");
  if (!f) return;
  if (!f->value.IsSequence() || f->value.size() == 0) {
    p.error(
        f->pos(), "windows",
        "must be a non-empty list of windows (leave out for the defaults 5m, 1h, last10k; got " +
            describe(f->value) + ")");
    return;
  }
  std::vector<WindowSettings> windows;
  std::map<std::string, Pos> names;
  for (std::size_t i = 0; i < f->value.size(); ++i) {
    const YAML::Node& n = f->value[i];
    const std::string path = index("windows", i);
    MapView m = p.map(n, n.IsNull() ? f->pos() : pos_of(n), path,
                      {"name", "type", "length", "pane", "allowed_lateness", "frames"});
    if (!p.is_list_entry_map(n, m)) continue;
    WindowSettings w;
    if (!m.get("name")) {
      p.error(m.pos, path, "window needs a name");
    } else if (p.read_string(m, "name", false, w.name)) {
      const Pos at = m.get("name")->pos();
      if (!valid_window_name(w.name)) {
        p.error(at, path + ".name",
                "must be 1-64 characters from [A-Za-z0-9_.-] (got " + quote(w.name) + ")");
      } else if (auto [prev, inserted] = names.emplace(w.name, at); !inserted) {
        p.error(at, path + ".name",
                "duplicate window name " + quote(w.name) + " (first at line " +
                    std::to_string(prev->second.line) + ")");
      }
    }
    if (m.get("type") && !p.read_enum(m, "type", kWindowTypes, w.type)) {
      windows.push_back(std::move(w));  // the type-specific checks would only add noise
      continue;
    }
    if (w.type == WindowType::kTime) {
      if (const Field* fr = m.get("frames")) {
        p.error(pos_of(fr->key), path + ".frames", "applies only to windows with type: count");
      }
      const bool has_length = m.get("length") != nullptr;
      const bool has_pane = m.get("pane") != nullptr;
      if (!has_length) p.error(m.pos, path, "time window needs length (a duration like 5m)");
      if (!has_pane) p.error(m.pos, path, "time window needs pane (a duration like 10s)");
      const bool length_ok = has_length && p.read_duration(m, "length", std::chrono::seconds(1),
                                                           std::chrono::days(30), w.length);
      const bool pane_ok = has_pane && p.read_duration(m, "pane", std::chrono::seconds(1),
                                                       std::chrono::days(1), w.pane);
      if (length_ok && pane_ok) {
        const Pos at = m.get("pane")->pos();
        if (w.pane > w.length) {
          p.error(at, path + ".pane",
                  "must not exceed length " + format_duration(w.length) + " (got " +
                      format_duration(w.pane) + ")");
        } else if (w.length % w.pane != Millis(0)) {
          p.error(at, path + ".pane",
                  "must divide length " + format_duration(w.length) + " evenly (got " +
                      format_duration(w.pane) + ")");
        } else if (w.length / w.pane > 3600) {
          p.error(at, path + ".pane",
                  "gives " + std::to_string(w.length / w.pane) + " panes of " +
                      format_duration(w.pane) + " in length " + format_duration(w.length) +
                      "; at most 3600 panes allowed");
        }
      }
      w.allowed_lateness = w.pane;
      if (p.read_duration(m, "allowed_lateness", Millis(0), std::chrono::days(30),
                          w.allowed_lateness) &&
          length_ok && w.allowed_lateness > w.length) {
        p.error(m.get("allowed_lateness")->pos(), path + ".allowed_lateness",
                "must not exceed length " + format_duration(w.length) + " (got " +
                    format_duration(w.allowed_lateness) + ")");
      }
    } else {
      for (std::string_view k : {"length", "pane", "allowed_lateness"}) {
        if (const Field* x = m.get(k)) {
          p.error(pos_of(x->key), child(path, k), "applies only to windows with type: time");
        }
      }
      if (!m.get("frames")) {
        p.error(m.pos, path, "count window needs frames (an integer in [1, 10000000])");
      }
      p.read_int(m, "frames", 1, 10'000'000, w.frames);
    }
    windows.push_back(std::move(w));
  }
  out = std::move(windows);
}

void parse_statistics(Parser& p, const MapView& root, StatisticsSettings& s) {
  MapView m =
      p.section(root, "statistics",
                {"heatmap_grid", "exemplars_per_key", "max_classes", "max_detections_per_event"});
  p.read_int(m, "heatmap_grid", 2, 64, s.heatmap_grid);
  p.read_int(m, "exemplars_per_key", 0, 100, s.exemplars_per_key);
  p.read_int(m, "max_classes", 1, 100'000, s.max_classes);
  p.read_int(m, "max_detections_per_event", 1, 100'000, s.max_detections_per_event);
}

void parse_limits(Parser& p, const MapView& root, LimitsSettings& l) {
  MapView m =
      p.section(root, "limits", {"max_message_bytes", "max_classes", "max_detections_per_event"});
  p.read_bytes(m, "max_message_bytes", kKiB, 256 * kMiB, l.max_message_bytes);
  p.read_int(m, "max_classes", 1, 1'000'000, l.max_classes);
  p.read_int(m, "max_detections_per_event", 1, 1'000'000, l.max_detections_per_event);
}

bool non_empty(const std::string& s) { return !s.empty(); }

void parse_streams(Parser& p, const MapView& root, const std::vector<WindowSettings>& windows,
                   const StatisticsSettings& stats, StreamsSettings& s) {
  MapView m = p.section(root, "streams", {"max_streams", "entries"});
  p.read_int(m, "max_streams", 1, 1'000'000, s.max_streams);
  const Field* f = m.get("entries");
  if (!f || f->value.IsNull()) return;
  if (!f->value.IsSequence()) {
    p.error(f->pos(), "streams.entries",
            "must be a list of streams ({key, classes, class_map, baseline, windows}; got " +
                describe(f->value) + ")");
    return;
  }
  std::vector<std::string> window_names;
  for (const WindowSettings& w : windows) window_names.push_back(w.name);
  std::map<std::string, Pos> keys;
  std::int64_t concrete = 0;
  for (std::size_t i = 0; i < f->value.size(); ++i) {
    const YAML::Node& n = f->value[i];
    const std::string path = index("streams.entries", i);
    MapView e = p.map(n, n.IsNull() ? f->pos() : pos_of(n), path,
                      {"key", "classes", "class_map", "baseline", "windows"});
    if (!p.is_list_entry_map(n, e)) continue;
    StreamSettings st;
    if (!e.get("key")) {
      p.error(e.pos, path, "stream needs a key (a stream key, or \"*\" for all unlisted streams)");
    } else if (p.read_string(e, "key", false, st.key)) {
      const Pos at = e.get("key")->pos();
      if (auto [prev, inserted] = keys.emplace(st.key, at); !inserted) {
        p.error(at, path + ".key",
                "duplicate stream key " + quote(st.key) + " (first at line " +
                    std::to_string(prev->second.line) + ")");
      }
      if (st.key != kStreamTemplateKey) ++concrete;
    }
    if (const Field* c = e.get("classes")) {
      if (c->value.IsScalar() && c->value.Scalar() == "auto") {
        // empty list == auto
      } else if (c->value.IsSequence()) {
        if (p.read_string_list(e, "classes", false, "a non-empty class name",
                               "class names (or \"auto\")", non_empty, st.classes) &&
            static_cast<std::int64_t>(st.classes.size()) > stats.max_classes) {
          p.error(c->pos(), path + ".classes",
                  "lists " + std::to_string(st.classes.size()) +
                      " classes; statistics.max_classes is " + std::to_string(stats.max_classes));
        }
      } else {
        p.error(c->pos(), path + ".classes",
                "must be \"auto\" or a list of class names (got " + describe(c->value) + ")");
      }
    }
    p.optional_file_path(e, "class_map", st.class_map);
    p.optional_file_path(e, "baseline", st.baseline);
    std::vector<std::string> ws;
    if (p.read_string_list(e, "windows", false, "a window name",
                           "window names (leave out for all windows)", non_empty, ws)) {
      const YAML::Node& list = e.get("windows")->value;
      bool ok = true;
      for (std::size_t j = 0; j < ws.size(); ++j) {
        if (std::find(window_names.begin(), window_names.end(), ws[j]) == window_names.end()) {
          std::string hint = did_you_mean(ws[j], window_names);
          p.error(
              pos_of(list[j]), index(path + ".windows", j),
              "unknown window " + quote(ws[j]) + hint + "; defined windows: " + join(window_names));
          ok = false;
        }
      }
      if (ok) st.windows = std::move(ws);
    }
    s.entries.push_back(std::move(st));
  }
  if (concrete > s.max_streams) {
    p.error(p.pos_at("streams.max_streams"), "streams.max_streams",
            "is " + std::to_string(s.max_streams) + " but streams.entries lists " +
                std::to_string(concrete) + " streams");
  }
}

const Keys kThresholdKeys = {"js_distance",
                             "psi_warn",
                             "psi",
                             "hellinger_warn",
                             "hellinger",
                             "measure",
                             "alpha",
                             "min_frames",
                             "min_class_images",
                             "min_pair_count",
                             "min_rate_ratio",
                             "correction",
                             "smoothing_epsilon"};

ThresholdOverrides parse_thresholds(Parser& p, const MapView& m) {
  ThresholdOverrides o;
  auto dbl = [&](std::string_view key, Parser::Range r, std::optional<double>& out) {
    double v = 0;
    if (p.read_double(m, key, r, v)) out = v;
  };
  auto integer = [&](std::string_view key, std::int64_t lo, std::int64_t hi,
                     std::optional<std::int64_t>& out) {
    std::int64_t v = 0;
    if (p.read_int(m, key, lo, hi, v)) out = v;
  };
  dbl("js_distance", {0, true, 1, false}, o.js_distance);
  dbl("psi_warn", {0, true, 10, false}, o.psi_warn);
  dbl("psi", {0, true, 10, false}, o.psi);
  dbl("hellinger_warn", {0, true, 1, false}, o.hellinger_warn);
  dbl("hellinger", {0, true, 1, false}, o.hellinger);
  DriftMeasure measure{};
  if (p.read_enum(m, "measure", kMeasures, measure)) o.measure = measure;
  dbl("alpha", {0, true, 0.5, false}, o.alpha);
  integer("min_frames", 1, 10'000'000, o.min_frames);
  integer("min_class_images", 1, 10'000'000, o.min_class_images);
  integer("min_pair_count", 1, 1'000'000, o.min_pair_count);
  dbl("min_rate_ratio", {1, true, 1000, false}, o.min_rate_ratio);
  Correction c{};
  if (p.read_enum(m, "correction", kCorrections, c)) o.correction = c;
  dbl("smoothing_epsilon", {0, true, 0.1, false}, o.smoothing_epsilon);
  return o;
}

void check_psi_order(Parser& p, const DriftThresholds& t, Pos at, const std::string& path,
                     std::string_view context) {
  if (t.psi_warn > t.psi) {
    p.error(at, path,
            std::string(context) + "psi_warn (" + fmt_double(t.psi_warn) +
                ") must not exceed psi (" + fmt_double(t.psi) + ")");
  }
  if (t.hellinger_warn > t.hellinger) {
    p.error(at, path,
            std::string(context) + "hellinger_warn (" + fmt_double(t.hellinger_warn) +
                ") must not exceed hellinger (" + fmt_double(t.hellinger) + ")");
  }
}

void parse_drift(Parser& p, const MapView& root, DriftSettings& d) {
  MapView m = p.section(root, "drift",
                        {"evaluation_interval", "evaluation_clock", "thresholds", "per_stream",
                         "per_class", "kinds"});
  p.read_duration(m, "evaluation_interval", std::chrono::seconds(1), std::chrono::hours(1),
                  d.evaluation_interval);
  p.read_enum(m, "evaluation_clock", kEvaluationClocks, d.evaluation_clock);
  MapView tm = p.section(m, "thresholds", kThresholdKeys);
  d.thresholds = apply_overrides(DriftThresholds{}, parse_thresholds(p, tm));
  check_psi_order(p, d.thresholds, p.pos_at("drift.thresholds.psi_warn"),
                  "drift.thresholds.psi_warn", "");

  struct Layer {
    std::string name;
    Pos pos;
    std::string path;
  };
  std::vector<Layer> stream_layers, class_layers;
  for (std::string_view which : {"per_stream", "per_class"}) {
    const Field* f = m.get(which);
    if (!f) continue;
    const std::string path = child("drift", which);
    MapView entries =
        p.free_map(f->value, f->pos(), path,
                   which == "per_stream" ? "stream key -> thresholds" : "class name -> thresholds");
    auto& target = which == "per_stream" ? d.per_stream : d.per_class;
    auto& layers = which == "per_stream" ? stream_layers : class_layers;
    for (const auto& [name, field] : entries.fields) {
      const std::string epath = map_entry(path, name);
      MapView om = p.map(field.value, field.pos(), epath, kThresholdKeys);
      target[name] = parse_thresholds(p, om);
      layers.push_back({name, field.pos(), epath});
    }
  }
  // psi_warn <= psi must hold for every combination resolve_thresholds can produce.
  for (const Layer& s : stream_layers) {
    const DriftThresholds t = apply_overrides(d.thresholds, d.per_stream[s.name]);
    check_psi_order(p, t, s.pos, s.path, "resolved ");
  }
  for (const Layer& c : class_layers) {
    const DriftThresholds t = apply_overrides(d.thresholds, d.per_class[c.name]);
    check_psi_order(p, t, c.pos, c.path, "resolved ");
    for (const Layer& s : stream_layers) {
      const DriftThresholds ts =
          apply_overrides(apply_overrides(d.thresholds, d.per_stream[s.name]), d.per_class[c.name]);
      check_psi_order(p, ts, c.pos, c.path, "for stream " + quote(s.name) + ", resolved ");
    }
  }

  if (const Field* f = m.get("kinds")) {
    if (!f->value.IsSequence()) {
      p.error(f->pos(), "drift.kinds",
              "must be a list of drift kinds (got " + describe(f->value) + ")");
    } else {
      std::vector<DriftKind> kinds;
      bool ok = true;
      for (std::size_t i = 0; i < f->value.size(); ++i) {
        const YAML::Node& n = f->value[i];
        const std::string path = index("drift.kinds", i);
        DriftKind k{};
        if (!p.parse_enum(n, n.IsNull() ? f->pos() : pos_of(n), path, kDriftKinds, k)) {
          ok = false;
        } else if (std::find(kinds.begin(), kinds.end(), k) != kinds.end()) {
          p.error(pos_of(n), path, "duplicate entry " + quote(n.Scalar()));
          ok = false;
        } else {
          kinds.push_back(k);
        }
      }
      if (ok) d.kinds = std::move(kinds);
    }
  }
}

void parse_alerting(Parser& p, const MapView& root, AlertingSettings& a) {
  MapView m =
      p.section(root, "alerting", {"for_evaluations", "resolve_evaluations", "resolve_ratio"});
  p.read_int(m, "for_evaluations", 1, 1000, a.for_evaluations);
  p.read_int(m, "resolve_evaluations", 1, 1000, a.resolve_evaluations);
  p.read_double(m, "resolve_ratio", {0, true, 1, false}, a.resolve_ratio);
}

void read_bind(Parser& p, const MapView& m, std::string& out) {
  std::string b;
  if (!p.read_string(m, "bind", false, b)) return;
  if (!valid_bind(b)) {
    p.error(m.get("bind")->pos(), child(m.path, "bind"),
            "must be host:port with port in [0, 65535], e.g. 0.0.0.0:9464 or [::]:9464 (got " +
                quote(b) + ")");
    return;
  }
  out = b;
}

void parse_metrics(Parser& p, const MapView& root, MetricsSettings& s) {
  MapView m =
      p.section(root, "metrics", {"bind", "max_classes_exported", "top_pairs", "max_series"});
  read_bind(p, m, s.bind);
  p.read_int(m, "max_classes_exported", 1, 100'000, s.max_classes_exported);
  p.read_int(m, "top_pairs", 0, 1000, s.top_pairs);
  p.read_int(m, "max_series", 100, 1'000'000, s.max_series);
}

void parse_grpc(Parser& p, const MapView& root, GrpcSettings& g) {
  MapView m = p.section(root, "grpc", {"bind", "tls", "max_message_bytes"});
  read_bind(p, m, g.bind);
  p.read_bytes(m, "max_message_bytes", kKiB, kGiB, g.max_message_bytes);
  const Field* f = m.get("tls");
  if (!f || f->value.IsNull()) return;
  MapView t = p.map(f->value, f->pos(), "grpc.tls", {"cert", "key", "client_ca"});
  if (!t.present) return;
  TlsSettings tls;
  const bool has_cert = t.get("cert") != nullptr;
  const bool has_key = t.get("key") != nullptr;
  if (!has_cert || !has_key) {
    p.error(t.pos, "grpc.tls",
            std::string("needs both cert and key (PEM file paths); missing: ") +
                (!has_cert && !has_key ? "cert, key" : (!has_cert ? "cert" : "key")));
  }
  p.file_path(t, "cert", tls.cert);
  p.file_path(t, "key", tls.key);
  p.optional_file_path(t, "client_ca", tls.client_ca);
  if (has_cert && has_key) g.tls = tls;
}

void parse_logging(Parser& p, const MapView& root, LoggingSettings& l) {
  MapView m = p.section(root, "logging", {"level", "format"});
  p.read_enum(m, "level", kLogLevels, l.level);
  p.read_enum(m, "format", kLogFormats, l.format);
}

void cross_checks(Parser& p, const Settings& s) {
  if (s.statistics.max_classes > s.limits.max_classes) {
    p.error(p.pos_at("statistics.max_classes"), "statistics.max_classes",
            "(" + std::to_string(s.statistics.max_classes) +
                ") must not exceed limits.max_classes (" + std::to_string(s.limits.max_classes) +
                ")");
  }
  if (s.statistics.max_detections_per_event > s.limits.max_detections_per_event) {
    p.error(p.pos_at("statistics.max_detections_per_event"), "statistics.max_detections_per_event",
            "(" + std::to_string(s.statistics.max_detections_per_event) +
                ") must not exceed limits.max_detections_per_event (" +
                std::to_string(s.limits.max_detections_per_event) + ")");
  }
  if (s.metrics.max_classes_exported > s.statistics.max_classes) {
    p.error(p.pos_at("metrics.max_classes_exported"), "metrics.max_classes_exported",
            "(" + std::to_string(s.metrics.max_classes_exported) +
                ") must not exceed statistics.max_classes (" +
                std::to_string(s.statistics.max_classes) + ")");
  }
  const auto port = [](const std::string& b) { return b.substr(b.rfind(':') + 1); };
  if (port(s.metrics.bind) != "0" && port(s.metrics.bind) == port(s.grpc.bind)) {
    p.error(p.pos_at("grpc.bind"), "grpc.bind",
            "uses port " + port(s.grpc.bind) + ", which metrics.bind uses too");
  }
}

}  // namespace

std::string ConfigError::to_string() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += ": ";
  if (!path.empty()) out += path + ": ";
  out += message;
  return out;
}

std::string LoadResult::error_text() const {
  std::string out;
  for (const ConfigError& e : errors) out += e.to_string() + "\n";
  return out;
}

namespace {

// Offset of the first byte of `text` that is not well-formed UTF-8 (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), or npos. YAML documents are Unicode; a
// string with stray bytes would be rewritten by render_yaml's emitter (to U+FFFD) and so
// would not load back into the same Settings.
size_t first_invalid_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return i;
    }
    if (i + len > n || s[i + 1] < lo || s[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k) {
      if (s[i + k] < 0x80 || s[i + k] > 0xBF) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

}  // namespace

LoadResult load_config_string(std::string_view text, std::string_view name,
                              const LoadOptions& options) {
  Parser p{std::string(name), options};
  LoadResult result;
  if (const size_t bad = first_invalid_utf8(text); bad != std::string_view::npos) {
    const std::string_view before = text.substr(0, bad);
    const size_t line_start = before.rfind('\n');
    const Pos at{
        static_cast<int>(std::count(before.begin(), before.end(), '\n')) + 1,
        static_cast<int>(bad - (line_start == std::string_view::npos ? 0 : line_start + 1)) + 1};
    char msg[64];
    std::snprintf(msg, sizeof msg, "not valid UTF-8 (byte 0x%02x); the file must be UTF-8",
                  static_cast<unsigned>(static_cast<unsigned char>(text[bad])));
    p.error(at, "", msg);
    result.errors = p.take_errors();
    return result;
  }
  std::vector<YAML::Node> docs;
  try {
    // yaml-cpp 0.7's LoadAll loops forever, allocating, on some malformed input (a stray
    // ',' after a tag: jbeder/yaml-cpp#1040, fixed upstream by PR #1319); Load does not.
    // A stream holds several documents only with a marker line ("---" or "...") between
    // them, so LoadAll is needed only when one starts a line.
    const bool markers = text.starts_with("---") || text.starts_with("...") ||
                         text.find("\n---") != std::string_view::npos ||
                         text.find("\n...") != std::string_view::npos;
    if (markers) {
      docs = YAML::LoadAll(std::string(text));
    } else if (YAML::Node doc = YAML::Load(std::string(text)); doc) {
      docs.push_back(doc);
    }
  } catch (const YAML::Exception& e) {
    Pos at;
    if (!e.mark.is_null()) at = {e.mark.line + 1, e.mark.column + 1};
    p.error(at, "", "YAML syntax error: " + e.msg);
    result.errors = p.take_errors();
    return result;
  }
  if (docs.size() > 1) {
    p.error(pos_of(docs[1]), "",
            "expected one YAML document, found " + std::to_string(docs.size()));
  }
  const YAML::Node root_node = docs.empty() ? YAML::Node() : docs[0];
  Settings s;
  try {
    MapView root = p.map(root_node, Pos{1, 1}, "", kTopKeys);
    parse_windows(p, root, s.windows);
    parse_statistics(p, root, s.statistics);
    parse_limits(p, root, s.limits);
    parse_kafka(p, root, s.kafka);
    parse_streams(p, root, s.windows, s.statistics, s.streams);
    parse_drift(p, root, s.drift);
    parse_alerting(p, root, s.alerting);
    parse_metrics(p, root, s.metrics);
    parse_grpc(p, root, s.grpc);
    parse_logging(p, root, s.logging);
    cross_checks(p, s);
  } catch (const YAML::Exception& e) {
    // Not expected (every access is type-checked first); reported rather than thrown.
    Pos at;
    if (!e.mark.is_null()) at = {e.mark.line + 1, e.mark.column + 1};
    p.error(at, "", std::string("internal error reading YAML: ") + e.what());
  }
  result.errors = p.take_errors();
  std::stable_sort(result.errors.begin(), result.errors.end(),
                   [](const ConfigError& a, const ConfigError& b) {
                     return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                   });
  if (result.errors.empty()) result.settings = std::move(s);
  return result;
}

LoadResult load_config_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult r;
    r.errors.push_back(ConfigError{path.string(), 0, 0, "", "cannot read the file"});
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  LoadOptions options;
  std::error_code ec;
  options.base_dir = std::filesystem::absolute(path, ec).parent_path();
  if (ec) options.base_dir = path.parent_path();
  options.check_files_exist = true;
  return load_config_string(ss.str(), path.string(), options);
}

}  // namespace predwatch::config
