// predwatch::config::schema — the one table of predwatchd's settings.
//
// Each row names one setting (its YAML key path, as docs/CONFIG.md writes it: list
// elements as "[]"), its kind, bounds, documentation and, for scalars, where it lives in
// Settings. Defaults are the member initializers of config/settings.h; the table reads them
// from a default-constructed Settings where it shows them. From this table:
//   - config/loader.cc takes each section's allowed keys and every bound, and reads the
//     section-level scalars generically (lists, maps and checks across fields stay
//     structured code there, with their bounds from here);
//   - config/render.cc renders Settings as YAML (--print-default-config);
//   - tests/config/schema_doc_test.cc checks that docs/CONFIG.md has exactly
//     reference_row(setting) for every row, and no setting the table lacks.
//
// Thread-safety: immutable data; safe from any thread.
#ifndef PREDWATCH_CONFIG_SCHEMA_H_
#define PREDWATCH_CONFIG_SCHEMA_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/settings.h"

namespace predwatch::config {

enum class Kind {
  kInteger,   // int64 in bounds
  kNumber,    // finite double in bounds
  kBool,      // true | false
  kString,    // non-empty string
  kBytes,     // byte size (config/duration.h) in bounds
  kDuration,  // duration (config/duration.h), bounds in milliseconds
  kEnum,      // one of `names`
  kHostPort,  // host:port, port in [0, 65535]
  kEnumList,  // list of `names`, no duplicates
  kOther,     // lists, maps, paths: read and rendered by structured code
};

// A closed interval unless an end is marked open. Durations in milliseconds.
struct Interval {
  double lo = 0;
  double hi = 0;
  bool lo_open = false;
  bool hi_open = false;
  bool contains(double v) const {
    return (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
  }
};

// A scalar's value, as the table reads and writes it; enums as their index in `names`.
using Value = std::variant<std::int64_t, double, bool, std::string, Millis>;

// Access to one scalar field of an Owner. get returns nullopt for an unset optional.
template <typename Owner>
struct Access {
  std::optional<Value> (*get)(const Owner&) = nullptr;
  void (*set)(Owner&, const Value&) = nullptr;
  explicit operator bool() const { return get != nullptr; }
};

// Every member has an initializer, so designated initializers may leave any out.
struct Setting {
  std::string_view path{};  // "kafka.commit_interval_ms", "windows[].pane"
  Kind kind = Kind::kOther;
  std::optional<Interval> bounds{};           // kInteger, kNumber, kBytes, kDuration
  std::span<const std::string_view> names{};  // kEnum, kEnumList: spellings, by enum value
  // docs/CONFIG.md columns. type: empty = the kind's name. default_text: empty = the
  // default value from Settings{} in backquotes. bounds_note follows the interval or the
  // enum names (with its own leading ", " or "; ") or stands alone.
  std::string_view type{};
  std::string_view default_text{};
  std::string_view bounds_note{};
  std::string_view doc{};
  // Where the value lives: a section-level scalar of Settings (read and rendered
  // generically), or a field of the drift thresholds and their overrides.
  Access<Settings> in_settings{};
  Access<DriftThresholds> in_thresholds{};
  Access<ThresholdOverrides> in_overrides{};
};

// Every setting, in the order of docs/CONFIG.md (which is also the YAML's key order).
std::span<const Setting> settings_schema();

// The row of `path`, or nullptr.
const Setting* find_setting(std::string_view path);
// The row of `path`. REQUIRES: the table has it (a programming error otherwise).
const Setting& setting(std::string_view path);

// Keys of the map at `prefix` ("" = top level, "kafka", "grpc.tls", "windows[]",
// "drift.thresholds"), in table order, each once.
std::vector<std::string_view> keys_under(std::string_view prefix);

// The value as written in YAML: 5000, 0.1, true, 16MiB, 10s, auto.
std::string value_text(const Setting& s, const Value& v);
// The bounds as docs/CONFIG.md writes them: "[1, 1000]", "(0, 1]", "[1s, 1h]",
// "[1KiB, 1GiB]", or the enum names; without the note.
std::string interval_text(const Setting& s);
// "| `path` | type | default | bounds | meaning |", the row docs/CONFIG.md must contain.
std::string reference_row(const Setting& s);

// %g, or %.17g when %g does not read back as v (so rendered configs load back equal).
std::string number_text(double v);

}  // namespace predwatch::config

#endif  // PREDWATCH_CONFIG_SCHEMA_H_
