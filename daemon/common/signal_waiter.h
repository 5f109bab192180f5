// SignalWaiter: turns SIGTERM, SIGINT and SIGHUP into calls on a thread of its own.
//
// The constructor blocks those signals in the calling thread (call it in main before any
// other thread starts, so every thread inherits the mask); a dedicated thread sigwait()s
// and runs `on_stop` for SIGTERM/SIGINT and `on_reload` for SIGHUP. A second SIGINT or
// SIGTERM while stopping exits the process at once (exit code 130), for the impatient
// Ctrl-C. The destructor ends the thread.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace predwatch::daemon {

class SignalWaiter {
 public:
  SignalWaiter(std::function<void()> on_stop, std::function<void()> on_reload);
  ~SignalWaiter();
  SignalWaiter(const SignalWaiter&) = delete;
  SignalWaiter& operator=(const SignalWaiter&) = delete;

 private:
  std::function<void()> on_stop_, on_reload_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace predwatch::daemon
