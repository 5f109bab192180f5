// TerminalView: the demo's live view of one stream, redrawn every second on a thread of
// its own — ingest rate, the top classes' share in the window against the baseline, the
// largest drift score per kind (relative to its threshold), the current episode and the
// firing alerts. On a terminal it repaints in place with ANSI escapes; otherwise (a pipe,
// a CI log) it prints one plain summary line per `plain_interval`.
//
// Thread-safety: start()/stop() from one thread; reads the engine through its thread-safe
// readers. The engine and the callbacks' targets must outlive the view.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "daemon/engine/monitor_engine.h"

namespace predwatch::daemon {

struct TerminalViewOptions {
  std::string stream;
  std::string window;  // "" = the stream's first window
  std::string header;  // first lines (where /metrics and gRPC listen)
  bool ansi = true;    // repaint in place (set from isatty)
  std::chrono::milliseconds plain_interval{5000};
  std::function<std::string()> episode;  // current episode label ("" = quiet)
  FILE* out = stdout;
};

class TerminalView {
 public:
  TerminalView(const MonitorEngine& engine, TerminalViewOptions options);
  ~TerminalView();  // stop()
  void start();
  void stop();

  // One frame of the view (exposed for tests): `rate` frames/s, `elapsed` since start.
  std::string render(double rate, std::chrono::seconds elapsed) const;

 private:
  void run();

  const MonitorEngine& engine_;
  TerminalViewOptions options_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace predwatch::daemon
