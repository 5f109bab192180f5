#include "daemon/app/memory_budget.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace predwatch::daemon {
namespace {

constexpr uint64_t kNoLimit = uint64_t(1) << 60;  // cgroup v1 writes ~2^63 for "unlimited"

// The first line of a file, "" when unreadable.
std::string first_line(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

// A limit file's value; 0 when absent, "max" or unlimited.
uint64_t limit_of(const std::filesystem::path& p) {
  const std::string s = first_line(p);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end == s.data() || v >= kNoLimit) return 0;
  return v;
}

}  // namespace

UsableMemory usable_memory(const std::string& root) {
  const std::filesystem::path r(root);
  UsableMemory best;
  auto consider = [&](uint64_t bytes, const std::filesystem::path& from) {
    if (bytes > 0 && (best.bytes == 0 || bytes < best.bytes)) {
      best.bytes = bytes;
      best.source = "/" + from.lexically_relative(r).string();
    }
  };
  // /proc/self/cgroup: "0::/a/b" (v2), "4:memory:/a/b" (v1).
  std::ifstream cg(r / "proc/self/cgroup");
  for (std::string line; std::getline(cg, line);) {
    const size_t c1 = line.find(':'), c2 = line.find(':', c1 + 1);
    if (c1 == std::string::npos || c2 == std::string::npos) continue;
    const std::string controllers = line.substr(c1 + 1, c2 - c1 - 1);
    std::filesystem::path path = line.substr(c2 + 1);
    if (controllers.empty()) {
      // v2: the cgroup and every ancestor may carry a limit.
      for (std::filesystem::path p = path.relative_path(); !p.empty(); p = p.parent_path()) {
        consider(limit_of(r / "sys/fs/cgroup" / p / "memory.max"),
                 r / "sys/fs/cgroup" / p / "memory.max");
      }
    } else if (("," + controllers + ",").find(",memory,") != std::string::npos) {
      const auto f = r / "sys/fs/cgroup/memory" / path.relative_path() / "memory.limit_in_bytes";
      consider(limit_of(f), f);
    }
  }
  consider(limit_of(r / "sys/fs/cgroup/memory.max"), r / "sys/fs/cgroup/memory.max");
  consider(limit_of(r / "sys/fs/cgroup/memory/memory.limit_in_bytes"),
           r / "sys/fs/cgroup/memory/memory.limit_in_bytes");
  // MemTotal: "MemTotal:       24683772 kB".
  std::ifstream mi(r / "proc/meminfo");
  for (std::string line; std::getline(mi, line);) {
    if (line.rfind("MemTotal:", 0) != 0) continue;
    std::istringstream ss(line.substr(9));
    uint64_t kb = 0;
    if (ss >> kb) consider(kb * 1024, r / "proc/meminfo");
    break;
  }
  return best;
}

}  // namespace predwatch::daemon
