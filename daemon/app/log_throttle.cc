#include "daemon/app/log_throttle.h"

namespace predwatch::daemon {

std::optional<size_t> LogThrottle::admit(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mu_);
  Entry& e = entries_[key];
  if (e.logged && now - e.last < period_) {
    ++e.suppressed;
    return std::nullopt;
  }
  const size_t suppressed = e.suppressed;
  e = {now, true, 0};
  return suppressed;
}

}  // namespace predwatch::daemon
