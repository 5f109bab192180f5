// RFC 3339 timestamps as protobuf's JSON mapping of google.protobuf.Timestamp writes them:
// "2026-11-27T12:00:00.040Z", "2026-11-27T13:00:00+01:00", 0 to 9 fractional digits.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace predwatch::daemon {

struct UnixTime {
  int64_t seconds = 0;  // since 1970-01-01T00:00:00Z
  int32_t nanos = 0;    // [0, 999'999'999]
};

// Parses "YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+HH:MM|-HH:MM)" ('T' and 'Z' also lower case).
// Years 0001..9999 (the range of google.protobuf.Timestamp); seconds 00..59.
// nullopt on any deviation.
std::optional<UnixTime> parse_rfc3339(std::string_view text);

// Milliseconds since the epoch, rounded toward minus infinity (the same rule for every
// decoder, so JSON and protobuf agree).
int64_t to_unix_ms(UnixTime t);

// "YYYY-MM-DDTHH:MM:SS.mmmZ" for milliseconds since the epoch (UTC; negative times too).
std::string format_rfc3339_ms(int64_t ms);

// The valid range of google.protobuf.Timestamp seconds (0001-01-01 .. 9999-12-31T23:59:59).
inline constexpr int64_t kMinTimestampSeconds = -62135596800;
inline constexpr int64_t kMaxTimestampSeconds = 253402300799;

}  // namespace predwatch::daemon
