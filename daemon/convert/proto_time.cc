#include "daemon/convert/proto_time.h"

namespace predwatch::daemon {

void ms_to_timestamp(int64_t ms, google::protobuf::Timestamp* ts) {
  int64_t s = ms / 1000, r = ms % 1000;
  if (r < 0) {
    r += 1000;
    --s;
  }
  ts->set_seconds(s);
  ts->set_nanos(int32_t(r) * 1'000'000);
}

int64_t timestamp_to_ms(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000 + ts.nanos() / 1'000'000;
}

}  // namespace predwatch::daemon
