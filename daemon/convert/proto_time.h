// Event times (int64 milliseconds since the Unix epoch, any sign) to and from
// google.protobuf.Timestamp, the form every message of proto/predwatch/v1 carries.
//
// ms_to_timestamp floors to whole seconds and puts the remainder in nanos (0 <= nanos < 1e9,
// as the Timestamp contract requires, also for times before 1970); timestamp_to_ms drops
// sub-millisecond nanos. Pure functions.
#pragma once

#include <cstdint>

#include "google/protobuf/timestamp.pb.h"

namespace predwatch::daemon {

void ms_to_timestamp(int64_t ms, google::protobuf::Timestamp* ts);
int64_t timestamp_to_ms(const google::protobuf::Timestamp& ts);

}  // namespace predwatch::daemon
