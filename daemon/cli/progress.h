// Progress for long CLI work: on a terminal, one line on stderr rewritten in place at most
// ten times a second ("importing  41,230 images  312,004 objects  1.2 s"); off a terminal,
// nothing, so scripts and pipes see clean output.
#pragma once

#include <chrono>
#include <string>

namespace predwatch::daemon {

class Progress {
 public:
  explicit Progress(std::string label);
  ~Progress();  // clears the line

  // Reports the current state; cheap enough to call per record.
  void update(const std::string& status);
  void finish();

 private:
  std::string label_;
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace predwatch::daemon
