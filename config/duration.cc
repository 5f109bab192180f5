#include "config/duration.h"

#include <array>
#include <charconv>
#include <limits>

namespace predwatch::config {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t factor;
};

// Largest first: format_duration emits in this order. Parsing reads the whole run of letters
// after a number and matches it exactly, so "ms" is never read as "m".
constexpr std::array<Unit, 5> kDurationUnits = {{
    {"d", 86'400'000},
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1'000},
    {"ms", 1},
}};

constexpr std::array<Unit, 4> kSizeUnits = {{
    {"GiB", 1024LL * 1024 * 1024},
    {"MiB", 1024LL * 1024},
    {"KiB", 1024},
    {"B", 1},
}};

bool mul_add(std::int64_t value, std::int64_t factor, std::int64_t& acc) {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  if (value > kMax / factor) return false;
  const std::int64_t term = value * factor;
  if (acc > kMax - term) return false;
  acc += term;
  return true;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  while (p < end) {
    if (*p < '0' || *p > '9') return std::nullopt;  // rejects signs, spaces, '.'
    std::int64_t value = 0;
    auto [next, ec] = std::from_chars(p, end, value);
    if (ec != std::errc()) return std::nullopt;
    p = next;
    const char* unit_begin = p;
    while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) ++p;
    const std::string_view unit(unit_begin, static_cast<std::size_t>(p - unit_begin));
    std::int64_t factor = 0;
    for (const Unit& u : kDurationUnits) {
      if (u.name == unit) factor = u.factor;
    }
    if (factor == 0 || !mul_add(value, factor, total)) return std::nullopt;
  }
  return std::chrono::milliseconds(total);
}

std::string format_duration(std::chrono::milliseconds d) {
  std::int64_t rest = d.count();
  if (rest == 0) return "0s";
  std::string out;
  for (const Unit& u : kDurationUnits) {
    if (rest >= u.factor) {
      out += std::to_string(rest / u.factor);
      out += u.name;
      rest %= u.factor;
    }
  }
  return out;
}

std::optional<std::int64_t> parse_byte_size(std::string_view text) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  if (text.empty() || text[0] < '0' || text[0] > '9') return std::nullopt;
  auto [next, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc()) return std::nullopt;
  const std::string_view unit(next, static_cast<std::size_t>(end - next));
  if (unit.empty()) return value;
  for (const Unit& u : kSizeUnits) {
    if (u.name == unit) {
      std::int64_t total = 0;
      if (!mul_add(value, u.factor, total)) return std::nullopt;
      return total;
    }
  }
  return std::nullopt;
}

std::string format_byte_size(std::int64_t bytes) {
  for (const Unit& u : kSizeUnits) {
    if (u.factor > 1 && bytes > 0 && bytes % u.factor == 0) {
      return std::to_string(bytes / u.factor) + std::string(u.name);
    }
  }
  return std::to_string(bytes);
}

}  // namespace predwatch::config
