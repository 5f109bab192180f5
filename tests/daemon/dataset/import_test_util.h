// Helpers shared by the importer tests: owned copies of imported events.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "daemon/dataset/dataset_importer.h"

namespace predwatch::daemon::testing {

inline const std::filesystem::path kData = PREDWATCH_TEST_DATA;

struct OwnedDetection {
  std::string class_name;
  int32_t class_index;
  float confidence;
  core::Box box;
  float mask_area;
};

struct OwnedEvent {
  std::string frame_id;
  uint32_t width, height;
  std::vector<OwnedDetection> detections;
};

struct Imported {
  ImportResult result;
  std::vector<OwnedEvent> events;

  std::map<std::string, int> per_class() const {
    std::map<std::string, int> m;
    for (const auto& e : events)
      for (const auto& d : e.detections) ++m[d.class_name];
    return m;
  }
  const OwnedEvent* find(std::string_view frame_id) const {
    for (const auto& e : events)
      if (e.frame_id == frame_id) return &e;
    return nullptr;
  }
};

inline Imported import_with(std::string_view format, const std::filesystem::path& path,
                            const ImportOptions& options = {}) {
  Imported out;
  auto importer = make_importer(format);
  EXPECT_NE(importer, nullptr) << format;
  if (!importer) return out;
  out.result = importer->import(path, options, [&](const core::Event& e) {
    OwnedEvent o{std::string(e.frame_id), e.width, e.height, {}};
    for (const auto& d : e.detections) {
      o.detections.push_back(
          {std::string(d.class_name), d.class_index, d.confidence, d.box, d.mask_area});
    }
    out.events.push_back(std::move(o));
  });
  return out;
}

// A scratch folder removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    path_ =
        std::filesystem::temp_directory_path() /
        ("predwatch_import_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    auto p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p;
  }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

inline bool any_message_contains(const ImportSummary& s,
                                 std::initializer_list<std::string_view> parts) {
  for (const auto& m : s.messages) {
    bool all = true;
    for (auto p : parts) all = all && m.find(p) != std::string::npos;
    if (all) return true;
  }
  return false;
}

}  // namespace predwatch::daemon::testing
