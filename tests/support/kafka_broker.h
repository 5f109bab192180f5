// Helpers for tests against the real Kafka broker of the ctest fixture
// (tests/integration/kafka/broker.sh, which writes the bootstrap address to a file).
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

namespace predwatch::testing {

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The fixture broker's bootstrap address, or "" when the tests run without the fixture.
inline std::string Bootstrap() {
  const char* file = std::getenv("PREDWATCH_KAFKA_BOOTSTRAP_FILE");
  if (file == nullptr) return "";
  std::ifstream in(file);
  std::string s;
  std::getline(in, s);
  return s;
}

// Unique per run, so reruns against a long-lived broker do not see old topics or groups.
inline std::string Unique(const std::string& name) {
  return name + "-" + std::to_string(::getpid()) + "-" + std::to_string(NowMs() % 1000000);
}

}  // namespace predwatch::testing
