// Clock: the daemon's one source of "now", in milliseconds since the Unix epoch.
//
// Components that need the current time (predwatchd's evaluation tick) take a Clock& in
// their constructor instead of reading the system clock, so that tests and `predwatch
// replay` decide what time it is. SystemClock reads std::chrono::system_clock; ManualClock
// returns what it was last set to.
//
// Thread-safety: now_ms() may be called from any thread; ManualClock's setters too.
#pragma once

#include <atomic>
#include <cstdint>

namespace predwatch::daemon {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t now_ms() const override;
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 0) : now_(start_ms) {}
  int64_t now_ms() const override { return now_.load(std::memory_order_acquire); }
  void set(int64_t ms) { now_.store(ms, std::memory_order_release); }
  void advance(int64_t ms) { now_.fetch_add(ms, std::memory_order_acq_rel); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace predwatch::daemon
