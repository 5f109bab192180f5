// Textual durations and byte sizes used in predwatch's YAML configuration.
//
// Durations: one or more <non-negative integer><unit> terms, units ms, s, m, h, d, summed:
// "250ms", "10s", "5m", "1h", "1d", "1h30m". No sign, no fractions, no spaces, no bare
// numbers. Byte sizes: a non-negative integer optionally followed by B, KiB, MiB or GiB
// (powers of 1024): "1048576", "512KiB", "16MiB".
//
// Pure functions; thread-safe.
#ifndef PREDWATCH_CONFIG_DURATION_H_
#define PREDWATCH_CONFIG_DURATION_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace predwatch::config {

// Milliseconds, or nullopt when text is not a duration or overflows int64 milliseconds.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// Shortest canonical text that parse_duration maps back to d: "1h30m", "250ms", "0s".
// REQUIRES: d >= 0.
std::string format_duration(std::chrono::milliseconds d);

// Bytes, or nullopt when text is not a byte size or overflows int64.
std::optional<std::int64_t> parse_byte_size(std::string_view text);

// "16MiB" when bytes is a whole number of the largest such unit, else the plain number.
// REQUIRES: bytes >= 0.
std::string format_byte_size(std::int64_t bytes);

}  // namespace predwatch::config

#endif  // PREDWATCH_CONFIG_DURATION_H_
