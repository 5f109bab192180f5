// Fuzzes the class-mapping file parser (daemon/dataset/class_mapping.h).
// Checks: parse never throws; a failure sets a non-empty error naming the source; on
// success the rules apply once (resolve(resolve(n)) is resolve(n) or ignored: no chains),
// and apply() on an event whose detections are named by every word of the input keeps exactly the
// detections whose name resolves, renames them to resolve(name), and moves the counters by what it
// did.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/dataset/class_mapping.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace predwatch;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  std::optional<daemon::ClassMapping> mapping;
  try {
    mapping = daemon::ClassMapping::parse(text, "fuzz.yaml", error);
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, "parse threw: %s", e.what());
  }
  if (!mapping) {
    FUZZ_CHECK(!error.empty(), "failure without an error");
    FUZZ_CHECK(error.find("fuzz.yaml") != std::string::npos, "error does not name the file: %s",
               error.c_str());
    return 0;
  }
  // Candidate class names: every run of non-space, non-YAML-punctuation characters.
  std::vector<std::string> words;
  std::string w;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == ':' || c == ',' || c == '[' ||
        c == ']' || c == '{' || c == '}' || c == '"' || c == '\'' || c == '-') {
      if (!w.empty()) words.push_back(std::move(w));
      w.clear();
    } else {
      w += c;
    }
    if (words.size() > 256) break;
  }
  if (!w.empty()) words.push_back(w);

  core::Event event;
  event.frame_id = "f";
  event.stream = "s";
  std::vector<std::string> expected;
  uint64_t expect_renamed = 0, expect_dropped = 0;
  for (const std::string& name : words) {
    const auto to = mapping->resolve(name);
    if (to) {
      const auto again = mapping->resolve(*to);
      // A target may itself be ignored (rules apply once), but never mapped on.
      FUZZ_CHECK(!again || *again == *to, "chain: %s -> %.*s", name.c_str(),
                 static_cast<int>(to->size()), to->data());
      expected.emplace_back(*to);
      if (*to != name) ++expect_renamed;
    } else {
      ++expect_dropped;
    }
    core::NamedDetection d;
    d.class_name = name;
    event.detections.push_back(d);
  }
  core::NamedDetection by_index;  // no name: passes through
  by_index.class_index = 3;
  event.detections.push_back(by_index);
  expected.emplace_back();

  const uint64_t renamed0 = mapping->total_renamed(), dropped0 = mapping->total_dropped();
  mapping->apply(event);
  FUZZ_CHECK(event.detections.size() == expected.size(), "apply kept %zu of %zu, expected %zu",
             event.detections.size(), words.size() + 1, expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    FUZZ_CHECK(event.detections[i].class_name == expected[i], "detection %zu named %.*s, not %s", i,
               static_cast<int>(event.detections[i].class_name.size()),
               event.detections[i].class_name.data(), expected[i].c_str());
  }
  FUZZ_CHECK(event.detections.back().class_index == 3, "index-only detection changed");
  FUZZ_CHECK(mapping->total_dropped() - dropped0 == expect_dropped, "dropped counter");
  // An identity rule (a: a) may count as a rename, so the renames are at least the name
  // changes seen and at most the kept named detections.
  const uint64_t renamed = mapping->total_renamed() - renamed0;
  FUZZ_CHECK(renamed >= expect_renamed && renamed <= words.size() - expect_dropped,
             "renamed counter %llu, name changes %llu", static_cast<unsigned long long>(renamed),
             static_cast<unsigned long long>(expect_renamed));
  return 0;
}
