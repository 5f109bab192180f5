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
#include "config/schema.h"
#include "config/utf8.h"
#include "config/yaml_documents.h"

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

bool valid_env_name(std::string_view n) {
  if (n.empty() || n.size() > 255 || (n.front() >= '0' && n.front() <= '9')) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
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
        if (kpath == "limits.max_classes") {
          error(pos_of(key), kpath,
                "was removed: it meant the same as statistics.max_classes, the one class limit "
                "(classes tracked per stream); set that instead");
          continue;
        }
        if (kpath == "reference.state_dir") {
          error(pos_of(key), kpath,
                "moved to state.dir, which keeps the learned references (same files), the "
                "baselines installed over gRPC and the pending and firing alerts");
          continue;
        }
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

  // The key of m that setting s describes: the last component of its path.
  static std::string_view key_of(const Setting& s) {
    return s.path.substr(s.path.find_last_of(".]") + 1);
  }

  bool read_int(const MapView& m, const Setting& setting, std::int64_t& out) {
    const std::string_view key = key_of(setting);
    const std::string what = "an integer in " + interval_text(setting);
    auto s = scalar(m, key, what);
    if (!s) return false;
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    if (s->empty() || ec != std::errc() || end != s->data() + s->size() ||
        !setting.bounds->contains(double(v))) {
      error(m.get(key)->pos(), child(m.path, key), "must be " + what + " (got " + quote(*s) + ")");
      return false;
    }
    out = v;
    return true;
  }

  bool read_double(const MapView& m, const Setting& setting, double& out) {
    const std::string_view key = key_of(setting);
    const std::string what = "a number in " + interval_text(setting);
    auto s = scalar(m, key, what);
    if (!s) return false;
    double v = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    if (s->empty() || ec != std::errc() || end != s->data() + s->size() || !std::isfinite(v) ||
        !setting.bounds->contains(v)) {
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

  bool read_duration(const MapView& m, const Setting& setting, Millis& out) {
    const std::string_view key = key_of(setting);
    const Millis lo(static_cast<std::int64_t>(setting.bounds->lo));
    const Millis hi(static_cast<std::int64_t>(setting.bounds->hi));
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

  bool read_bytes(const MapView& m, const Setting& setting, std::int64_t& out) {
    const std::string_view key = key_of(setting);
    const std::string what = "a byte size like 1048576, 512KiB, 16MiB";
    auto s = scalar(m, key, what);
    if (!s) return false;
    const auto b = parse_byte_size(*s);
    if (!b) {
      error(m.get(key)->pos(), child(m.path, key), "must be " + what + " (got " + quote(*s) + ")");
      return false;
    }
    if (!setting.bounds->contains(double(*b))) {
      error(m.get(key)->pos(), child(m.path, key),
            "must be in " + interval_text(setting) + " (got " + quote(*s) + ")");
      return false;
    }
    out = *b;
    return true;
  }

  // n as one of names (enum value = index).
  bool parse_enum(const YAML::Node& n, Pos p, const std::string& path,
                  std::span<const std::string_view> names, std::int64_t& out) {
    std::vector<std::string> all(names.begin(), names.end());
    const std::string what = "one of: " + join(all);
    if (!n.IsScalar()) {
      error(p, path, "must be " + what + " (got " + describe(n) + ")");
      return false;
    }
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == n.Scalar()) {
        out = static_cast<std::int64_t>(i);
        return true;
      }
    }
    error(p, path,
          "must be " + what + " (got " + quote(n.Scalar()) + ")" + did_you_mean(n.Scalar(), all));
    return false;
  }

  bool read_enum(const MapView& m, const Setting& setting, std::int64_t& out) {
    const std::string_view key = key_of(setting);
    const Field* f = m.get(key);
    if (!f) return false;
    return parse_enum(f->value, f->pos(), child(m.path, key), setting.names, out);
  }

  bool read_bind(const MapView& m, std::string& out) {
    std::string b;
    if (!read_string(m, "bind", false, b)) return false;
    if (!valid_bind(b)) {
      error(m.get("bind")->pos(), child(m.path, "bind"),
            "must be host:port with port in [0, 65535], e.g. 0.0.0.0:9464 or [::]:9464 (got " +
                quote(b) + ")");
      return false;
    }
    out = b;
    return true;
  }

  // The value of setting's key in m, read by its kind (nullopt: absent or reported).
  std::optional<Value> read_value(const MapView& m, const Setting& setting) {
    const std::string_view key = key_of(setting);
    if (!m.get(key)) return std::nullopt;
    std::int64_t i = 0;
    double d = 0;
    bool b = false;
    std::string str;
    Millis ms{0};
    switch (setting.kind) {
      case Kind::kInteger:
        if (read_int(m, setting, i)) return i;
        break;
      case Kind::kEnum:
        if (read_enum(m, setting, i)) return i;
        break;
      case Kind::kBytes:
        if (read_bytes(m, setting, i)) return i;
        break;
      case Kind::kNumber:
        if (read_double(m, setting, d)) return d;
        break;
      case Kind::kBool:
        if (read_bool(m, key, b)) return b;
        break;
      case Kind::kString:
        if (read_string(m, key, false, str)) return str;
        break;
      case Kind::kHostPort:
        if (read_bind(m, str)) return str;
        break;
      case Kind::kDuration:
        if (read_duration(m, setting, ms)) return ms;
        break;
      case Kind::kEnumList:
      case Kind::kOther:
        break;
    }
    return std::nullopt;
  }

  // Reads every section-level scalar of the map m (a section of Settings) into out.
  void read_scalars(const MapView& m, Settings& out) {
    for (const Setting& s : settings_schema()) {
      if (!s.in_settings || s.path.size() <= m.path.size() || !s.path.starts_with(m.path) ||
          s.path[m.path.size()] != '.' || key_of(s).size() + m.path.size() + 1 != s.path.size()) {
        continue;
      }
      if (auto v = read_value(m, s)) s.in_settings.set(out, *v);
    }
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

  // A directory that need not exist yet (it is created when first written).
  void directory_path(const MapView& m, std::string_view key, std::string& out) {
    std::string raw;
    if (!read_string(m, key, true, raw)) return;
    if (raw.empty()) {
      out.clear();
      return;
    }
    std::filesystem::path p(raw);
    if (p.is_relative() && !opt_.base_dir.empty()) p = opt_.base_dir / p;
    out = p.lexically_normal().string();
    std::error_code ec;
    if (std::filesystem::exists(p, ec) && !std::filesystem::is_directory(p, ec)) {
      error(m.get(key)->pos(), child(m.path, key), quote(out) + " exists and is not a directory");
    }
  }

  // Checks a "${env:NAME}" / "${file:PATH}" secret reference in `value` (at field f, key
  // path `path`) and rewrites PATH against base_dir. False (reported) when malformed. The
  // messages name the reference, never a value.
  bool secret_reference(const Field& f, const std::string& path, std::string& value) {
    const std::string_view v = value;
    const auto bad = [&](const std::string& why) {
      error(f.pos(), path, why);
      return false;
    };
    if (!v.ends_with("}")) {
      return bad("a secret reference is written ${env:NAME} or ${file:PATH}, alone in the value");
    }
    const std::string_view body = v.substr(2, v.size() - 3);
    if (body.starts_with("env:")) {
      const std::string_view name = body.substr(4);
      if (!valid_env_name(name)) {
        return bad(
            "${env:NAME}: NAME must be an environment variable name "
            "([A-Za-z_][A-Za-z0-9_]*), got " +
            quote(name));
      }
      return true;
    }
    if (body.starts_with("file:")) {
      std::filesystem::path p(std::string(body.substr(5)));
      if (p.empty()) return bad("${file:PATH}: PATH is empty");
      if (p.is_relative() && !opt_.base_dir.empty()) p = opt_.base_dir / p;
      const std::string resolved = p.lexically_normal().string();
      if (opt_.check_files_exist) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(p, ec)) {
          return bad("${file:...}: file " + quote(resolved) + " does not exist");
        }
      }
      value = "${file:" + resolved + "}";
      return true;
    }
    return bad("a secret reference is written ${env:NAME} or ${file:PATH}");
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

Keys schema_keys(std::string_view prefix) { return keys_under(prefix); }

// librdkafka properties predwatch sets itself, and the setting to use instead.
const std::map<std::string_view, std::string_view> kManagedProperties = {
    {"bootstrap.servers", "kafka.brokers"},
    {"metadata.broker.list", "kafka.brokers"},
    {"group.id", "kafka.group_id"},
    {"auto.commit.interval.ms", "kafka.commit_interval_ms"},
    {"enable.auto.commit", "kafka.commit_interval_ms"},
};

// The same for the dead-letter producer (it takes the brokers from kafka.brokers).
const std::map<std::string_view, std::string_view> kManagedProducerProperties = {
    {"bootstrap.servers", "kafka.brokers"},
    {"metadata.broker.list", "kafka.brokers"},
};

// A map of librdkafka properties at `path` (kafka.properties, kafka.dead_letter_properties):
// string values, none of the `managed` keys, secret references checked (kept as written).
void read_librdkafka_properties(Parser& p, const Field& f, const std::string& path,
                                const std::map<std::string_view, std::string_view>& managed,
                                std::map<std::string, std::string>& out) {
  MapView props = p.free_map(f.value, f.pos(), path, "librdkafka properties");
  for (const auto& [key, field] : props.fields) {
    const std::string entry = map_entry(path, key);
    if (auto it = managed.find(key); it != managed.end()) {
      p.error(pos_of(field.key), entry,
              "is set by predwatch; use " + std::string(it->second) + " instead");
      continue;
    }
    if (!field.value.IsScalar()) {
      p.error(field.pos(), entry, "must be a string value (got " + describe(field.value) + ")");
      continue;
    }
    std::string value = field.value.Scalar();
    if (value.starts_with("${") && !p.secret_reference(field, entry, value)) continue;
    out[key] = value;
  }
}

bool non_empty(const std::string& s) { return !s.empty(); }

// What a mapping's field may be read from (EventMappingSettings).
enum SourceKind : unsigned {
  kFromPath = 1,
  kFromKey = 2,
  kFromTimestamp = 4,
  kFromTopic = 8,
  kFromOffset = 16,
  kFromConstant = 32,
};

// Checks one field source of a mapping; "" when it is valid for `allowed`, else the problem.
// What is wrong with the list selector in one path segment ("outputs[name=boxes]" or
// "[name=boxes]": the element of a list whose string field equals the value), or "" when the
// segment has none or a well-formed one. The decoder (daemon/ingest/mapped_json_decoder.cc)
// would read a malformed one as a plain key that no payload holds.
std::string selector_problem(std::string_view segment) {
  const size_t open = segment.find('[');
  if (open == std::string_view::npos) {
    return segment.find(']') == std::string_view::npos ? "" : "a ']' without its '['";
  }
  const std::string_view selector = segment.substr(open);
  const std::string_view inside =
      selector.substr(1, selector.size() >= 2 ? selector.size() - 2 : 0);
  const size_t eq = inside.find('=');
  const bool well_formed = selector.size() > 2 && selector.back() == ']' &&
                           inside.find_first_of("[]") == std::string_view::npos &&
                           eq != std::string_view::npos && eq > 0 && eq + 1 < inside.size();
  if (well_formed) return "";
  return "a list selector reads [field=value], e.g. outputs[name=boxes], with no '.' in the "
         "value; got " +
         quote(selector);
}

std::string field_source_problem(std::string_view source, unsigned allowed) {
  std::vector<std::string> forms;
  if (allowed & kFromPath) forms.push_back("a JSON path (a.b.0.c, $ = the payload)");
  if (allowed & kFromKey) forms.push_back("@key");
  if (allowed & kFromTimestamp) forms.push_back("@timestamp");
  if (allowed & kFromTopic) forms.push_back("@topic");
  if (allowed & kFromOffset) forms.push_back("@offset");
  if (allowed & kFromConstant) forms.push_back("=text (a constant)");
  const std::string expected = "must be " + join(forms, ", ") + "; got " + quote(source);
  if (source.starts_with("@")) {
    const bool ok = (source == "@key" && (allowed & kFromKey)) ||
                    (source == "@timestamp" && (allowed & kFromTimestamp)) ||
                    (source == "@topic" && (allowed & kFromTopic)) ||
                    (source == "@offset" && (allowed & kFromOffset));
    return ok ? "" : expected;
  }
  if (source.starts_with("=")) return (allowed & kFromConstant) ? "" : expected;
  if (!(allowed & kFromPath)) return expected;
  if (source == "$") return "";
  std::string_view rest = source.starts_with("$.") ? source.substr(2) : source;
  while (true) {
    const size_t dot = rest.find('.');
    const std::string_view segment = rest.substr(0, dot);
    if (segment.empty()) return expected + " (an empty path segment)";
    if (std::string problem = selector_problem(segment); !problem.empty()) {
      return expected + " (" + problem + ")";
    }
    if (dot == std::string_view::npos) return "";
    rest.remove_prefix(dot + 1);
  }
}

void parse_mappings(Parser& p, const MapView& kafka, Settings& s) {
  const Field* f = kafka.get("mappings");
  if (!f || f->value.IsNull()) return;
  if (!f->value.IsSequence()) {
    p.error(f->pos(), "kafka.mappings",
            "must be a list of event mappings ({topic, preset, stream, ...}; got " +
                describe(f->value) + ")");
    return;
  }
  struct SourceField {
    std::string_view key;
    std::string EventMappingSettings::*member;
    unsigned allowed;
  };
  static const SourceField kSources[] = {
      {"stream", &EventMappingSettings::stream, kFromPath | kFromKey | kFromTopic | kFromConstant},
      {"frame_id", &EventMappingSettings::frame_id,
       kFromPath | kFromKey | kFromOffset | kFromConstant},
      {"timestamp", &EventMappingSettings::timestamp, kFromPath | kFromTimestamp},
      {"detections", &EventMappingSettings::detections, kFromPath},
      {"class_name", &EventMappingSettings::class_name, kFromPath},
      {"class_id", &EventMappingSettings::class_id, kFromPath},
      {"confidence", &EventMappingSettings::confidence, kFromPath},
      {"box", &EventMappingSettings::box, kFromPath},
      {"image_width", &EventMappingSettings::image_width, kFromPath | kFromConstant},
      {"image_height", &EventMappingSettings::image_height, kFromPath | kFromConstant},
      {"image_uri", &EventMappingSettings::image_uri, kFromPath | kFromConstant},
      {"model_name", &EventMappingSettings::model_name, kFromPath | kFromConstant},
      {"model_version", &EventMappingSettings::model_version, kFromPath | kFromConstant},
  };
  std::map<std::string, Pos> topics;
  for (std::size_t i = 0; i < f->value.size(); ++i) {
    const YAML::Node& n = f->value[i];
    const std::string path = index("kafka.mappings", i);
    MapView m = p.map(n, n.IsNull() ? f->pos() : pos_of(n), path, schema_keys("kafka.mappings[]"));
    if (!p.is_list_entry_map(n, m)) continue;
    EventMappingSettings mapping;
    if (!m.get("topic")) {
      p.error(m.pos, path, "mapping needs a topic (one of kafka.topics)");
    } else if (p.read_string(m, "topic", false, mapping.topic)) {
      const Pos at = m.get("topic")->pos();
      const auto& consumed = s.kafka.topics;
      if (std::find(consumed.begin(), consumed.end(), mapping.topic) == consumed.end()) {
        p.error(at, path + ".topic",
                "must be one of kafka.topics (" + join(consumed) + "); got " +
                    quote(mapping.topic) + did_you_mean(mapping.topic, consumed));
      } else if (auto [prev, inserted] = topics.emplace(mapping.topic, at); !inserted) {
        p.error(at, path + ".topic",
                "topic " + quote(mapping.topic) + " already has a mapping (line " +
                    std::to_string(prev->second.line) + ")");
      }
    }
    std::int64_t v = 0;
    if (p.read_enum(m, setting("kafka.mappings[].preset"), v)) {
      mapping.preset = static_cast<MappingPreset>(v);
    }
    for (const SourceField& source : kSources) {
      std::string text;
      if (!m.get(source.key) || !p.read_string(m, source.key, false, text)) continue;
      const bool size = source.key == "image_width" || source.key == "image_height";
      if (size && !text.empty() &&
          std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        text = "=" + text;  // a bare number is the constant size
      }
      if (std::string problem = field_source_problem(text, source.allowed); !problem.empty()) {
        p.error(m.get(source.key)->pos(), child(path, source.key), problem);
        continue;
      }
      if (size && text.starts_with("=")) {
        const std::string digits = text.substr(1);
        std::int64_t pixels = 0;
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pixels);
        if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
            pixels < 1 || pixels > 4294967295LL) {
          p.error(m.get(source.key)->pos(), child(path, source.key),
                  "a constant image size must be a pixel count in [1, 4294967295]; got " +
                      quote(digits));
          continue;
        }
      }
      mapping.*source.member = text;
    }
    if (p.read_enum(m, setting("kafka.mappings[].timestamp_unit"), v)) {
      mapping.timestamp_unit = static_cast<TimestampUnit>(v);
    }
    if (p.read_enum(m, setting("kafka.mappings[].layout"), v)) {
      mapping.layout = static_cast<DetectionLayout>(v);
    }
    if (p.read_enum(m, setting("kafka.mappings[].box_format"), v)) {
      mapping.box_format = static_cast<BoxFormat>(v);
    }
    if (p.read_enum(m, setting("kafka.mappings[].box_units"), v)) {
      mapping.box_units = static_cast<BoxUnits>(v);
    }
    if (const Field* k = m.get("box_keys")) {
      std::vector<std::string> keys;
      if (p.read_string_list(m, "box_keys", false, "a non-empty key", "4 box keys", non_empty,
                             keys)) {
        if (keys.size() != 4) {
          p.error(k->pos(), path + ".box_keys",
                  "must list exactly 4 keys, in box_format's order (got " +
                      std::to_string(keys.size()) + ")");
        } else {
          mapping.box_keys = std::move(keys);
        }
      }
    }
    p.optional_file_path(m, "class_names", mapping.class_names);
    s.kafka.mappings.push_back(std::move(mapping));
  }
}

void parse_kafka(Parser& p, const MapView& root, Settings& s) {
  MapView m = p.section(root, "kafka", schema_keys("kafka"));
  p.read_scalars(m, s);
  KafkaSettings& k = s.kafka;
  const bool brokers_given = p.read_string(m, "brokers", true, k.brokers);
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
    read_librdkafka_properties(p, *f, "kafka.properties", kManagedProperties, k.properties);
  }
  if (const Field* f = m.get("dead_letter_properties")) {
    read_librdkafka_properties(p, *f, "kafka.dead_letter_properties", kManagedProducerProperties,
                               k.dead_letter_properties);
    if (!k.dead_letter_properties.empty() && !k.dead_letter_topic) {
      p.error(f->pos(), "kafka.dead_letter_properties",
              "configures the dead-letter producer, but kafka.dead_letter_topic is not set");
    }
  }
  parse_mappings(p, m, s);
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
    MapView m = p.map(n, n.IsNull() ? f->pos() : pos_of(n), path, schema_keys("windows[]"));
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
    std::int64_t type = 0;
    if (m.get("type") && !p.read_enum(m, setting("windows[].type"), type)) {
      windows.push_back(std::move(w));  // the type-specific checks would only add noise
      continue;
    }
    w.type = static_cast<WindowType>(type);
    if (w.type == WindowType::kTime) {
      if (const Field* fr = m.get("frames")) {
        p.error(pos_of(fr->key), path + ".frames", "applies only to windows with type: count");
      }
      const bool has_length = m.get("length") != nullptr;
      const bool has_pane = m.get("pane") != nullptr;
      if (!has_length) p.error(m.pos, path, "time window needs length (a duration like 5m)");
      if (!has_pane) p.error(m.pos, path, "time window needs pane (a duration like 10s)");
      const bool length_ok =
          has_length && p.read_duration(m, setting("windows[].length"), w.length);
      const bool pane_ok = has_pane && p.read_duration(m, setting("windows[].pane"), w.pane);
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
      if (p.read_duration(m, setting("windows[].allowed_lateness"), w.allowed_lateness) &&
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
        p.error(m.pos, path,
                "count window needs frames (an integer in " +
                    interval_text(setting("windows[].frames")) + ")");
      }
      p.read_int(m, setting("windows[].frames"), w.frames);
    }
    windows.push_back(std::move(w));
  }
  out = std::move(windows);
}

bool valid_label_name(const std::string& name) {
  if (name.empty() || name.starts_with("__")) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!(alpha || (i > 0 && c >= '0' && c <= '9'))) return false;
  }
  return true;
}

// streams.entries[].labels: a map of Prometheus label names to string values.
void parse_stream_labels(Parser& p, const Field& f, const std::string& path,
                         std::map<std::string, std::string>& out) {
  MapView m = p.free_map(f.value, f.pos(), path, "label names to values");
  if (m.fields.size() > kMaxStreamLabels) {
    p.error(f.pos(), path,
            "has " + std::to_string(m.fields.size()) + " labels; at most " +
                std::to_string(kMaxStreamLabels));
    return;
  }
  for (const auto& [name, field] : m.fields) {
    const std::string at = map_entry(path, name);
    const bool reserved =
        std::find(std::begin(kReservedAlertLabels), std::end(kReservedAlertLabels), name) !=
        std::end(kReservedAlertLabels);
    if (!valid_label_name(name) || reserved) {
      p.error(pos_of(field.key), at,
              reserved ? "is a label of predwatch's alert series; choose another name"
                       : "is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting "
                         "with __)");
      continue;
    }
    if (!field.value.IsScalar()) {
      p.error(field.pos(), at, "must be a string value (got " + describe(field.value) + ")");
      continue;
    }
    const std::string& value = field.value.Scalar();
    if (value.size() > kMaxStreamLabelValueBytes) {
      p.error(field.pos(), at,
              "is " + std::to_string(value.size()) + " bytes; at most " +
                  std::to_string(kMaxStreamLabelValueBytes));
      continue;
    }
    out[name] = value;
  }
}

void parse_streams(Parser& p, const MapView& root, Settings& settings) {
  const std::vector<WindowSettings>& windows = settings.windows;
  const StatisticsSettings& stats = settings.statistics;
  StreamsSettings& s = settings.streams;
  MapView m = p.section(root, "streams", schema_keys("streams"));
  p.read_scalars(m, settings);
  if (const Field* mm = m.get("max_memory"); mm && !mm->value.IsNull()) {
    if (mm->value.IsScalar() && mm->value.Scalar() == "auto") {
      s.max_memory = StreamsSettings::kAutoMemoryBudget;
    } else {
      p.read_bytes(m, setting("streams.max_memory"), s.max_memory);
    }
  }
  const Field* f = m.get("entries");
  if (!f || f->value.IsNull()) return;
  if (!f->value.IsSequence()) {
    p.error(f->pos(), "streams.entries",
            "must be a list of streams ({key, classes, class_map, baseline, windows, "
            "min_confidence, labels}; got " +
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
    MapView e = p.map(n, n.IsNull() ? f->pos() : pos_of(n), path, schema_keys("streams.entries[]"));
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
    if (e.get("min_confidence")) {
      double v = 0;
      if (p.read_double(e, setting("streams.entries[].min_confidence"), v)) st.min_confidence = v;
    }
    if (const Field* l = e.get("labels")) parse_stream_labels(p, *l, path + ".labels", st.labels);
    s.entries.push_back(std::move(st));
  }
  if (concrete > s.max_streams) {
    p.error(p.pos_at("streams.max_streams"), "streams.max_streams",
            "is " + std::to_string(s.max_streams) + " but streams.entries lists " +
                std::to_string(concrete) + " streams");
  }
}

ThresholdOverrides parse_thresholds(Parser& p, const MapView& m) {
  ThresholdOverrides o;
  for (const Setting& s : settings_schema()) {
    if (!s.in_overrides) continue;
    if (auto v = p.read_value(m, s)) s.in_overrides.set(o, *v);
  }
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

// A list of drift kinds at key `path`'s last component of m (drift.kinds, reference.kinds):
// unique names of drift kinds; `out` is replaced only when every entry is valid.
void read_kinds(Parser& p, const MapView& m, std::string_view path, std::vector<DriftKind>& out) {
  const std::string_view key = path.substr(path.rfind('.') + 1);
  const Field* f = m.get(key);
  if (!f) return;
  if (!f->value.IsSequence()) {
    p.error(f->pos(), std::string(path),
            "must be a list of drift kinds (got " + describe(f->value) + ")");
    return;
  }
  std::vector<DriftKind> kinds;
  bool ok = true;
  for (std::size_t i = 0; i < f->value.size(); ++i) {
    const YAML::Node& n = f->value[i];
    const std::string epath = index(std::string(path), i);
    std::int64_t idx = 0;
    if (!p.parse_enum(n, n.IsNull() ? f->pos() : pos_of(n), epath, setting(path).names, idx)) {
      ok = false;
    } else if (const auto k = static_cast<DriftKind>(idx);
               std::find(kinds.begin(), kinds.end(), k) != kinds.end()) {
      p.error(pos_of(n), epath, "duplicate entry " + quote(n.Scalar()));
      ok = false;
    } else {
      kinds.push_back(k);
    }
  }
  if (ok) out = std::move(kinds);
}

void parse_drift(Parser& p, const MapView& root, Settings& s) {
  DriftSettings& d = s.drift;
  MapView m = p.section(root, "drift", schema_keys("drift"));
  p.read_scalars(m, s);
  MapView tm = p.section(m, "thresholds", schema_keys("drift.thresholds"));
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
      MapView om = p.map(field.value, field.pos(), epath, schema_keys("drift.thresholds"));
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

  read_kinds(p, m, "drift.kinds", d.kinds);
}

// metrics: the scalars and class_windows (names from `windows`, or ["*"]).
void parse_metrics(Parser& p, const MapView& root, Settings& s) {
  MapView m = p.section(root, "metrics", schema_keys("metrics"));
  p.read_scalars(m, s);
  std::vector<std::string> names;
  const auto non_empty = [](const std::string& v) { return !v.empty(); };
  if (!p.read_string_list(m, "class_windows", true, "a window name",
                          "window names, or [\"*\"] for every window", non_empty, names)) {
    return;
  }
  std::vector<std::string> window_names;
  for (const WindowSettings& w : s.windows) window_names.push_back(w.name);
  const YAML::Node& list = m.get("class_windows")->value;
  bool ok = true;
  for (std::size_t j = 0; j < names.size(); ++j) {
    const bool known =
        std::find(window_names.begin(), window_names.end(), names[j]) != window_names.end();
    if (names[j] == "*" ? names.size() > 1 : !known) {
      p.error(pos_of(list[j]), index("metrics.class_windows", j),
              names[j] == "*"
                  ? std::string("\"*\" (every window) must be the only entry")
                  : "unknown window " + quote(names[j]) + did_you_mean(names[j], window_names) +
                        "; defined windows: " + join(window_names));
      ok = false;
    }
  }
  if (ok) s.metrics.class_windows = std::move(names);
}

void parse_reference(Parser& p, const MapView& root, Settings& s) {
  ReferenceSettings& r = s.reference;
  MapView m = p.section(root, "reference", schema_keys("reference"));
  p.read_scalars(m, s);
  read_kinds(p, m, "reference.kinds", r.kinds);
  if (r.frames > 0 && r.min_frames > r.frames) {
    p.error(p.pos_at("reference.min_frames"), "reference.min_frames",
            "(" + std::to_string(r.min_frames) + ") must not exceed reference.frames (" +
                std::to_string(r.frames) + ")");
  }
}

void parse_state(Parser& p, const MapView& root, Settings& s) {
  MapView m = p.section(root, "state", schema_keys("state"));
  if (m.get("dir")) p.directory_path(m, "dir", s.state.dir);
}

void parse_grpc_auth(Parser& p, const MapView& grpc, Settings& s) {
  const Field* f = grpc.get("auth");
  if (!f || f->value.IsNull()) return;
  MapView m = p.map(f->value, f->pos(), "grpc.auth", schema_keys("grpc.auth"));
  if (!m.present) return;
  GrpcAuthSettings& a = s.grpc.auth;
  const auto env = [&](std::string_view key, std::optional<std::string>& out) {
    std::string name;
    if (!m.get(key) || !p.read_string(m, key, false, name)) return;
    if (!valid_env_name(name)) {
      p.error(m.get(key)->pos(), child("grpc.auth", key),
              "must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*), got " + quote(name));
      return;
    }
    out = name;
  };
  p.optional_file_path(m, "token_file", a.token_file);
  env("token_env", a.token_env);
  p.optional_file_path(m, "read_token_file", a.read_token_file);
  env("read_token_env", a.read_token_env);
  if (m.get("allow_unauthenticated_mutations")) {
    p.read_bool(m, "allow_unauthenticated_mutations", a.allow_unauthenticated_mutations);
  }
  if (m.get("token_file") && m.get("token_env")) {
    p.error(m.get("token_env")->pos(), "grpc.auth.token_env",
            "give the write token by token_file or token_env, not both");
  }
  if (m.get("read_token_file") && m.get("read_token_env")) {
    p.error(m.get("read_token_env")->pos(), "grpc.auth.read_token_env",
            "give the read token by read_token_file or read_token_env, not both");
  }
  const bool write = m.get("token_file") || m.get("token_env");
  const bool read = m.get("read_token_file") || m.get("read_token_env");
  if (read && !write) {
    const char* key = m.get("read_token_file") ? "read_token_file" : "read_token_env";
    p.error(m.get(key)->pos(), child("grpc.auth", key),
            "a read token needs a write token (grpc.auth.token_file or token_env): otherwise "
            "mutations would be less protected than reads");
  }
}

void parse_grpc(Parser& p, const MapView& root, Settings& s) {
  GrpcSettings& g = s.grpc;
  MapView m = p.section(root, "grpc", schema_keys("grpc"));
  p.read_scalars(m, s);
  parse_grpc_auth(p, m, s);
  p.read_string_list(
      m, "peers", true, "host:port with port in [1, 65535]", "host:port addresses",
      [](const std::string& v) { return valid_bind(v) && !v.ends_with(":0"); }, g.peers);
  if (const Field* n = m.get("peer_tls_name"); n && !n->value.IsNull()) {
    std::string name;
    if (p.read_string(m, "peer_tls_name", false, name)) g.peer_tls_name = name;
  }
  if (const Field* h = m.get("health_bind"); h && !h->value.IsNull()) {
    std::string b;
    if (p.read_string(m, "health_bind", false, b)) {
      if (valid_bind(b)) {
        g.health_bind = b;
      } else {
        p.error(
            h->pos(), "grpc.health_bind",
            "must be host:port with port in [0, 65535], e.g. 0.0.0.0:50052 (got " + quote(b) + ")");
      }
    }
  }
  const Field* f = m.get("tls");
  if (!f || f->value.IsNull()) return;
  MapView t = p.map(f->value, f->pos(), "grpc.tls", schema_keys("grpc.tls"));
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

// A section with nothing but scalars.
void parse_scalar_section(Parser& p, const MapView& root, std::string_view name, Settings& s) {
  p.read_scalars(p.section(root, name, schema_keys(name)), s);
}

void cross_checks(Parser& p, const Settings& s) {
  const WindowSettings* longest = nullptr;
  for (const WindowSettings& w : s.windows) {
    if (w.type == WindowType::kTime && (!longest || w.length > longest->length)) longest = &w;
  }
  const Millis covered = automatic_rebuild_horizon(s);
  if (s.kafka.rebuild_horizon.count() > 0 && s.kafka.rebuild_horizon < covered) {
    p.error(p.pos_at("kafka.rebuild_horizon"), "kafka.rebuild_horizon",
            "(" + format_duration(s.kafka.rebuild_horizon) +
                ") must be 0 (automatic) or at least the longest time window plus its lateness "
                "and limits.max_future_skew (" +
                format_duration(covered) + ")");
  }
  if (longest && s.streams.idle_expiry.count() > 0 && s.streams.idle_expiry < longest->length) {
    p.error(p.pos_at("streams.idle_expiry"), "streams.idle_expiry",
            "(" + format_duration(s.streams.idle_expiry) +
                ") must be 0 or at least the longest time window (" + longest->name + ": " +
                format_duration(longest->length) + ")");
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
  if (s.web.enabled && port(s.web.bind) != "0") {
    for (const auto& [name, other] :
         {std::pair<const char*, const std::string*>{"metrics.bind", &s.metrics.bind},
          {"grpc.bind", &s.grpc.bind}}) {
      if (port(s.web.bind) == port(*other)) {
        p.error(p.pos_at("web.bind"), "web.bind",
                "uses port " + port(s.web.bind) + ", which " + name + " uses too");
      }
    }
    if (s.grpc.health_bind && port(*s.grpc.health_bind) == port(s.web.bind)) {
      p.error(p.pos_at("web.bind"), "web.bind",
              "uses port " + port(s.web.bind) + ", which grpc.health_bind uses too");
    }
  }
  if (s.grpc.health_bind && port(*s.grpc.health_bind) != "0") {
    const std::string hp = port(*s.grpc.health_bind);
    if (hp == port(s.grpc.bind) || hp == port(s.metrics.bind)) {
      p.error(p.pos_at("grpc.health_bind"), "grpc.health_bind",
              "uses port " + hp + ", which " +
                  (hp == port(s.grpc.bind) ? "grpc.bind" : "metrics.bind") + " uses too");
    }
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

LoadResult load_config_string(std::string_view text, std::string_view name,
                              const LoadOptions& options) {
  Parser p{std::string(name), options};
  LoadResult result;
  // YAML documents are Unicode; a string with stray bytes would be rewritten by
  // render_yaml's emitter (to U+FFFD) and so would not load back into the same Settings.
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
    // Two at most: the second is only reported (config/yaml_documents.h says why not LoadAll).
    docs = load_yaml_documents(text, 2);
  } catch (const YAML::Exception& e) {
    Pos at;
    if (!e.mark.is_null()) at = {e.mark.line + 1, e.mark.column + 1};
    p.error(at, "", "YAML syntax error: " + e.msg);
    result.errors = p.take_errors();
    return result;
  }
  if (docs.size() > 1) {
    p.error(pos_of(docs[1]), "", "expected one YAML document; a second one starts here");
  }
  const YAML::Node root_node = docs.empty() ? YAML::Node() : docs[0];
  Settings s;
  try {
    MapView root = p.map(root_node, Pos{1, 1}, "", schema_keys(""));
    parse_windows(p, root, s.windows);
    for (std::string_view section : {"statistics", "limits", "alerting", "web", "logging"}) {
      parse_scalar_section(p, root, section, s);
    }
    parse_metrics(p, root, s);
    parse_kafka(p, root, s);
    parse_streams(p, root, s);
    parse_drift(p, root, s);
    parse_reference(p, root, s);
    parse_state(p, root, s);
    parse_grpc(p, root, s);
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
