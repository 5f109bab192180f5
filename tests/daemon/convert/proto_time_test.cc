// Millisecond event times to google.protobuf.Timestamp and back (daemon/convert/proto_time.h).
// Expected values by hand: -1 ms is 1969-12-31T23:59:59.999Z, i.e. seconds -1 and
// 999,000,000 nanos (nanos are never negative in a Timestamp).
#include "daemon/convert/proto_time.h"

#include <gtest/gtest.h>

namespace predwatch::daemon {
namespace {

TEST(ProtoTime, MillisecondsSplitIntoSecondsAndNonNegativeNanos) {
  struct Case {
    int64_t ms, seconds;
    int32_t nanos;
  };
  for (const Case& c :
       {Case{0, 0, 0}, Case{1'767'225'600'123, 1'767'225'600, 123'000'000},
        Case{-1, -1, 999'000'000}, Case{-1000, -1, 0}, Case{-1001, -2, 999'000'000}}) {
    google::protobuf::Timestamp ts;
    ms_to_timestamp(c.ms, &ts);
    EXPECT_EQ(ts.seconds(), c.seconds) << c.ms;
    EXPECT_EQ(ts.nanos(), c.nanos) << c.ms;
    EXPECT_EQ(timestamp_to_ms(ts), c.ms);
  }
}

TEST(ProtoTime, SubMillisecondNanosAreDropped) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(10);
  ts.set_nanos(1'999'999);
  EXPECT_EQ(timestamp_to_ms(ts), 10'001);
}

}  // namespace
}  // namespace predwatch::daemon
