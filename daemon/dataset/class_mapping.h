// ClassMapping: renames and drops classes of decoded events, so that datasets and models that
// name classes differently ("motorbike" vs "motorcycle") can be compared, and classes that
// must not count (a "don't care" class) are left out.
//
// File format (YAML):
//   map:            # optional: source name -> name used by predwatch
//     motorbike: motorcycle
//     aeroplane: airplane
//   ignore: [dontcare, ignored_region]   # optional: detections of these classes are dropped
// Rules apply once (no chains: a map target may not itself be a map source) and a name may not
// be both mapped and ignored. Names match exactly. Detections without a class name (index
// only) pass through unchanged. Errors name the file, line and column ("classes.yaml:3:5: ...").
//
// Thread-safety: apply() updates counters; use one ClassMapping per thread or guard it.
// Ownership: renamed detections point into the mapping's strings, so a mapped event is valid
// while both its source buffer and the mapping live.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/event.h"
#include "core/frame_builder.h"
#include "daemon/dataset/dataset_importer.h"

namespace predwatch::daemon {

class ClassMapping {
 public:
  // The identity mapping.
  ClassMapping() = default;

  // Loads and validates a mapping file. On failure returns nullopt and sets `error`.
  static std::optional<ClassMapping> load(const std::filesystem::path& file, std::string& error);
  // Same from text; `source_name` stands for the file name in messages.
  static std::optional<ClassMapping> parse(std::string_view yaml, std::string_view source_name,
                                           std::string& error);

  // Renames mapped detections and removes ignored ones, in place.
  void apply(core::Event& event);

  // A callback that copies each event, applies the mapping and hands it to `next`.
  // REQUIRES: this mapping outlives the returned callback.
  EventCallback wrap(EventCallback next);

  bool empty() const { return rename_.empty() && ignore_.empty(); }
  uint64_t total_renamed() const { return total_renamed_; }
  uint64_t total_dropped() const { return total_dropped_; }
  // Detections renamed from / dropped for one source name so far.
  uint64_t renamed(std::string_view from) const;
  uint64_t dropped(std::string_view name) const;
  // The name a class is reported under: its target, itself, or nullopt when ignored.
  std::optional<std::string_view> resolve(std::string_view name) const;
  // The same rules as a stream's class naming (renames; ignored classes map to "").
  core::ClassNaming naming() const;

 private:
  struct Rename {
    std::string to;
    uint64_t count = 0;
  };
  std::map<std::string, Rename, std::less<>> rename_;
  std::map<std::string, uint64_t, std::less<>> ignore_;
  uint64_t total_renamed_ = 0, total_dropped_ = 0;
};

}  // namespace predwatch::daemon
