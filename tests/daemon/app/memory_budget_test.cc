// usable_memory over scratch trees shaped like /proc and /sys/fs/cgroup: the smallest limit
// wins, "max" and v1's unlimited are no limit, MemTotal is the fallback.
#include "daemon/app/memory_budget.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/predwatchd_process.h"

namespace predwatch::daemon {
namespace {

class MemoryBudgetTest : public ::testing::Test {
 protected:
  void put(const std::string& rel, const std::string& text) {
    const auto p = dir_.path() / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  UsableMemory read() { return usable_memory(dir_.path().string()); }
  testing::TempDir dir_;
};

TEST_F(MemoryBudgetTest, MachineMemoryWithoutLimits) {
  put("proc/meminfo", "MemTotal:       24683772 kB\nMemFree:  1 kB\n");
  put("proc/self/cgroup", "0::/\n");
  put("sys/fs/cgroup/memory.max", "max\n");
  const UsableMemory m = read();
  EXPECT_EQ(m.bytes, 24683772ull * 1024);
  EXPECT_EQ(m.source, "/proc/meminfo");
  // 70 %: 24683772 KiB * 0.7 = 17,278,640.4 KiB.
  EXPECT_EQ(auto_memory_budget(m), uint64_t(24683772.0 * 1024 * 0.7));
}

TEST_F(MemoryBudgetTest, CgroupV2LimitOfAnAncestorWins) {
  put("proc/meminfo", "MemTotal: 16000000 kB\n");
  put("proc/self/cgroup", "0::/kubepods/pod1/ctr\n");
  put("sys/fs/cgroup/kubepods/pod1/ctr/memory.max", "max\n");
  put("sys/fs/cgroup/kubepods/pod1/memory.max", "2147483648\n");  // 2 GiB on the pod
  put("sys/fs/cgroup/kubepods/memory.max", "8589934592\n");
  const UsableMemory m = read();
  EXPECT_EQ(m.bytes, 2147483648ull);
  EXPECT_EQ(m.source, "/sys/fs/cgroup/kubepods/pod1/memory.max");
}

TEST_F(MemoryBudgetTest, CgroupV1LimitAndItsUnlimitedValue) {
  put("proc/meminfo", "MemTotal: 16000000 kB\n");
  put("proc/self/cgroup", "4:memory:/docker/abc\n0::/\n");
  put("sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "1073741824\n");
  put("sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");  // unlimited
  EXPECT_EQ(read().bytes, 1073741824ull);
  // A container's own view: its cgroup mounted at the root, the path names the host's.
  put("sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "9223372036854771712\n");
  put("sys/fs/cgroup/memory/memory.limit_in_bytes", "536870912\n");
  const UsableMemory m = read();
  EXPECT_EQ(m.bytes, 536870912ull);
  EXPECT_EQ(m.source, "/sys/fs/cgroup/memory/memory.limit_in_bytes");
}

TEST_F(MemoryBudgetTest, NothingReadableIsZero) {
  EXPECT_EQ(read().bytes, 0u);
  put("proc/meminfo", "garbage\n");
  put("sys/fs/cgroup/memory.max", "not a number\n");
  EXPECT_EQ(read().bytes, 0u);
}

TEST(MemoryBudget, ThisMachineHasSome) {
  EXPECT_GT(usable_memory().bytes, 0u);  // /proc/meminfo at least
}

}  // namespace
}  // namespace predwatch::daemon
