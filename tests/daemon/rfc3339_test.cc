#include "daemon/ingest/rfc3339.h"

#include <gtest/gtest.h>

namespace predwatch::daemon {
namespace {

// Expected values from Python:
//   /usr/bin/python3 -c "from datetime import *; print(int(datetime(2026,11,27,12,0,0,40000,
//     tzinfo=timezone.utc).timestamp()*1000))"          -> 1795780800040
//   ... datetime(2026,11,27,13,0,0,tzinfo=timezone(timedelta(hours=1)))   -> 1795780800000
//   ... datetime(2024,3,1,5,30,tzinfo=timezone(-timedelta(hours=5,minutes=30))) -> 1709290800000
//   ... datetime(1969,12,31,23,59,59,999000,tzinfo=timezone.utc)          -> -1
//   ... datetime(2000,2,29,tzinfo=timezone.utc).timestamp()               -> 951782400 s
TEST(Rfc3339, ParsesUtcWithFraction) {
  auto t = parse_rfc3339("2026-11-27T12:00:00.040Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(to_unix_ms(*t), 1795780800040);
  EXPECT_EQ(t->nanos, 40'000'000);
}

TEST(Rfc3339, ParsesOffsets) {
  EXPECT_EQ(to_unix_ms(*parse_rfc3339("2026-11-27T13:00:00+01:00")), 1795780800000);
  EXPECT_EQ(to_unix_ms(*parse_rfc3339("2024-03-01T05:30:00-05:30")), 1709290800000);
}

TEST(Rfc3339, NanosecondsAndRoundingTowardMinusInfinity) {
  auto t = parse_rfc3339("1969-12-31T23:59:59.999999999Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->seconds, -1);
  EXPECT_EQ(t->nanos, 999'999'999);
  EXPECT_EQ(to_unix_ms(*t), -1);
}

TEST(Rfc3339, LeapDayAndRangeEnds) {
  EXPECT_EQ(parse_rfc3339("2000-02-29T00:00:00Z")->seconds, 951782400);
  EXPECT_EQ(parse_rfc3339("0001-01-01T00:00:00Z")->seconds, kMinTimestampSeconds);
  EXPECT_EQ(parse_rfc3339("9999-12-31T23:59:59Z")->seconds, kMaxTimestampSeconds);
  EXPECT_EQ(parse_rfc3339("2026-11-27t12:00:00z")->seconds, 1795780800);
}

TEST(Rfc3339, RejectsMalformed) {
  for (const char* bad : {"", "2026-11-27", "2026-11-27T12:00:00", "2026-11-27 12:00:00Z",
                          "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-11-27T24:00:00Z",
                          "2026-11-27T12:60:00Z", "2026-11-27T12:00:60Z", "2026-11-27T12:00:00.Z",
                          "2026-11-27T12:00:00.0000000001Z", "2026-11-27T12:00:00+0100",
                          "2026-11-27T12:00:00Zjunk", "0000-01-01T00:00:00Z", "1795780800040"}) {
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
  }
}

}  // namespace
}  // namespace predwatch::daemon
