// LogThrottle: at most one log line per key and period, so that a flood of the same failure
// (refused calls, a peer that is down) cannot flood the log, while the line that is written
// says how many were left out since the previous one.
//
// Keys are the caller's (e.g. "ResetReference/missing", a peer's address); keep them to a
// small set: one entry per key is kept for the life of the object.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace predwatch::daemon {

class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LogThrottle(Clock::duration period) : period_(period) {}

  // One occurrence of `key` at `now`. Leave it out: nullopt. Write a line: what to append
  // to it, "" or, when occurrences were left out since the last line of this key,
  // " (N more since the last such line)".
  std::optional<std::string> admit(const std::string& key, Clock::time_point now);

 private:
  struct Entry {
    Clock::time_point last{};
    bool logged = false;
    size_t suppressed = 0;
  };
  const Clock::duration period_;
  std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

}  // namespace predwatch::daemon
