// Runs fuzz targets as regression tests in the normal (non-libFuzzer) build:
//   fuzz_regression <target> <file or folder>...
// feeds the target every regular file given (folders: every file in them, sorted), as
// libFuzzer would replay a corpus. A failed invariant aborts (non-zero exit), which fails
// the ctest test. Exit 1 when the target is unknown or no input was found.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

struct FuzzTarget {
  std::string_view name;
  int (*run)(const uint8_t*, size_t);
};
#include "fuzz_targets.inc"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <target> <corpus file or folder>...\n", argv[0]);
    return 1;
  }
  const FuzzTarget* target = nullptr;
  for (const FuzzTarget& t : kFuzzTargets) {
    if (t.name == argv[1]) target = &t;
  }
  if (target == nullptr) {
    std::fprintf(stderr, "unknown fuzz target %s\n", argv[1]);
    return 1;
  }
  std::vector<std::filesystem::path> files;
  for (int i = 2; i < argc; ++i) {
    const std::filesystem::path p = argv[i];
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
    } else if (std::filesystem::is_regular_file(p)) {
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "no inputs for %s\n", argv[1]);
    return 1;
  }
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), {}};
    target->run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  std::printf("%s: %zu inputs ok\n", argv[1], files.size());
  return 0;
}
