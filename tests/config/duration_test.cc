#include "config/duration.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace predwatch::config {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, AcceptsEveryUnitAndSums) {
  struct Case {
    const char* text;
    std::int64_t ms;
  };
  // Hand-computed: 1d = 24*3600*1000 = 86400000 ms; 1h30m = 3600000 + 1800000.
  const Case cases[] = {
      {"250ms", 250},        {"10s", 10'000},     {"5m", 300'000},
      {"1h", 3'600'000},     {"1d", 86'400'000},  {"0s", 0},
      {"1h30m", 5'400'000},  {"1m500ms", 60'500}, {"90s", 90'000},
      {"2d3h", 183'600'000}, {"007s", 7'000},     {"1s1s", 2'000},
  };
  for (const Case& c : cases) {
    const std::optional<milliseconds> d = parse_duration(c.text);
    ASSERT_TRUE(d.has_value()) << c.text;
    EXPECT_EQ(d->count(), c.ms) << c.text;
  }
}

TEST(ParseDuration, RejectsMalformedText) {
  for (const char* text : {"", "10", "s", "-5s", "+5s", "1.5s", "5 m", " 5m", "5m ", "5M", "5min",
                           "5sec", "1h-30m", "10us", "ms10", "1e3ms", "5m,"}) {
    EXPECT_FALSE(parse_duration(text).has_value()) << text;
  }
}

TEST(ParseDuration, DetectsOverflow) {
  // INT64_MAX = 9223372036854775807; as seconds that is 9223372036854775.807 s, so
  // 9223372036854775 s fits and 9223372036854776 s does not.
  EXPECT_EQ(parse_duration("9223372036854775807ms")->count(),
            std::numeric_limits<std::int64_t>::max());
  EXPECT_TRUE(parse_duration("9223372036854775s").has_value());
  EXPECT_FALSE(parse_duration("9223372036854776s").has_value());
  EXPECT_FALSE(parse_duration("9223372036854775807ms1ms").has_value());
  EXPECT_FALSE(parse_duration("99999999999999999999s").has_value());
}

TEST(FormatDuration, CanonicalAndRoundTrips) {
  EXPECT_EQ(format_duration(milliseconds(0)), "0s");
  EXPECT_EQ(format_duration(milliseconds(250)), "250ms");
  EXPECT_EQ(format_duration(milliseconds(10'000)), "10s");
  EXPECT_EQ(format_duration(milliseconds(300'000)), "5m");
  EXPECT_EQ(format_duration(milliseconds(5'400'000)), "1h30m");
  EXPECT_EQ(format_duration(milliseconds(86'400'000 + 1)), "1d1ms");
  for (std::int64_t ms : {1LL, 999LL, 1000LL, 61'001LL, 3'599'999LL, 86'400'000LL * 400 + 17}) {
    EXPECT_EQ(parse_duration(format_duration(milliseconds(ms)))->count(), ms) << ms;
  }
}

TEST(ByteSize, ParsesUnitsAndFormatsBack) {
  EXPECT_EQ(parse_byte_size("1048576"), 1048576);
  EXPECT_EQ(parse_byte_size("512KiB"), 512 * 1024);
  EXPECT_EQ(parse_byte_size("16MiB"), 16 * 1024 * 1024);
  EXPECT_EQ(parse_byte_size("1GiB"), 1024LL * 1024 * 1024);
  EXPECT_EQ(parse_byte_size("7B"), 7);
  for (const char* bad :
       {"", "16MB", "16 MiB", "-1", "1.5MiB", "MiB", "16mib", "9223372036854775807KiB"}) {
    EXPECT_FALSE(parse_byte_size(bad).has_value()) << bad;
  }
  EXPECT_EQ(format_byte_size(16 * 1024 * 1024), "16MiB");
  EXPECT_EQ(format_byte_size(1536), "1536");  // 1.5 KiB: not a whole unit
  EXPECT_EQ(format_byte_size(2048), "2KiB");
  EXPECT_EQ(format_byte_size(0), "0");
}

}  // namespace
}  // namespace predwatch::config
