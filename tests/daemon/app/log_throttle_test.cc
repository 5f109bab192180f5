// LogThrottle: one line per key and period, counting what it left out (times given by hand).
#include "daemon/app/log_throttle.h"

#include <gtest/gtest.h>

namespace predwatch::daemon {
namespace {

using std::chrono::seconds;

TEST(LogThrottle, OneLinePerKeyAndPeriodCountingTheOmittedOnes) {
  LogThrottle t(seconds(60));
  const LogThrottle::Clock::time_point t0{seconds(1000)};
  EXPECT_EQ(t.admit("a", t0), "");  // the first line of a key is written
  EXPECT_EQ(t.admit("a", t0 + seconds(1)), std::nullopt);
  EXPECT_EQ(t.admit("a", t0 + seconds(59)), std::nullopt);
  EXPECT_EQ(t.admit("b", t0 + seconds(59)), "");  // another key has its own period
  // A period after the last line: written, saying two were left out.
  EXPECT_EQ(t.admit("a", t0 + seconds(60)), " (2 more since the last such line)");
  EXPECT_EQ(t.admit("a", t0 + seconds(61)), std::nullopt);
  EXPECT_EQ(t.admit("a", t0 + seconds(200)), " (1 more since the last such line)");
  EXPECT_EQ(t.admit("b", t0 + seconds(200)), "");
}

TEST(LogThrottle, AFirstOccurrenceAtTheClocksEpochIsWritten) {
  // steady_clock may start at 0: "never logged" must not be read from the time.
  LogThrottle t(seconds(60));
  EXPECT_EQ(t.admit("a", LogThrottle::Clock::time_point{}), "");
  EXPECT_EQ(t.admit("a", LogThrottle::Clock::time_point{} + seconds(1)), std::nullopt);
}

}  // namespace
}  // namespace predwatch::daemon
