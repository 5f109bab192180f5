#include "daemon/common/signal_waiter.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>

namespace predwatch::daemon {
namespace {

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGUSR1);  // used by the destructor to wake the thread
  return set;
}

}  // namespace

SignalWaiter::SignalWaiter(std::function<void()> on_stop, std::function<void()> on_reload)
    : on_stop_(std::move(on_stop)), on_reload_(std::move(on_reload)) {
  sigset_t set = handled_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this, set] {
    while (!done_) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      if (done_) break;
      if (sig == SIGHUP) {
        if (on_reload_) on_reload_();
      } else if (sig == SIGTERM || sig == SIGINT) {
        if (stopping_.exchange(true)) _exit(130);
        if (on_stop_) on_stop_();
      }
    }
  });
}

SignalWaiter::~SignalWaiter() {
  done_ = true;
  pthread_kill(thread_.native_handle(), SIGUSR1);
  thread_.join();
}

}  // namespace predwatch::daemon
