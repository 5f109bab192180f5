#include "daemon/app/log_throttle.h"

namespace predwatch::daemon {

std::optional<std::string> LogThrottle::admit(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mu_);
  Entry& e = entries_[key];
  if (e.logged && now - e.last < period_) {
    ++e.suppressed;
    return std::nullopt;
  }
  const size_t suppressed = e.suppressed;
  e = {now, true, 0};
  if (suppressed == 0) return std::string();
  return " (" + std::to_string(suppressed) + " more since the last such line)";
}

}  // namespace predwatch::daemon
