// MemoryBudget: the memory this process may use, for `streams.max_memory: auto` (the
// default): a daemon that admits more streams than fit is killed out of memory with all of
// them; one that refuses the excess (`memory_budget`, counted and dead-lettered) keeps
// monitoring the rest.
//
// Usable memory: the smallest limit among the cgroup v2 `memory.max` of the process's cgroup
// and its ancestors, the cgroup v1 `memory.limit_in_bytes` of its memory cgroup, the same
// files at the mount root (a container sees its own cgroup there), and the machine's
// MemTotal (/proc/meminfo). "max" and v1's "unlimited" (≥ 2^60) are no limit. Files under
// `root` ("/" in production; a scratch tree in tests).
//
// Thread-compatible; reads files (daemon/app: start-up only).
#pragma once

#include <cstdint>
#include <string>

namespace predwatch::daemon {

struct UsableMemory {
  uint64_t bytes = 0;  // 0: nothing could be read
  std::string source;  // the file that set it, e.g. "/sys/fs/cgroup/memory.max"
};

UsableMemory usable_memory(const std::string& root = "/");

// `auto`: this share of the usable memory goes to the streams' state; the rest is for what
// StreamMonitor::bytes does not count (allocator slack, Kafka and gRPC buffers, baselines).
inline constexpr double kAutoMemoryShare = 0.7;
inline uint64_t auto_memory_budget(const UsableMemory& m) {
  return uint64_t(double(m.bytes) * kAutoMemoryShare);
}

}  // namespace predwatch::daemon
