#include "daemon/common/clock.h"

#include <chrono>

namespace predwatch::daemon {

int64_t SystemClock::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace predwatch::daemon
