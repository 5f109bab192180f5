// ClassRegistry: the dense, stable mapping between class names and ClassIds of one stream.
//
// Ids are handed out 0, 1, 2, ... in order of first appearance (or seed order) and never
// change. The registry holds at most `max_classes` ids; once full, names it does not know
// map to the reserved class "__other__" (which takes the last free id the first time it is
// needed), and each such call is counted in overflowed_names().
//
// Lookups take std::string_view and do not allocate when the name is known.
// Thread-compatible: one writer, no concurrent readers while resolve() may insert.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/frame.h"

namespace predwatch::core {

class ClassRegistry {
 public:
  static constexpr std::string_view kOtherName = "__other__";
  static constexpr ClassId kNotFound = ~ClassId{0};

  // REQUIRES: max_classes >= 1.
  explicit ClassRegistry(size_t max_classes);
  // Seeds the registry with `names` in order (duplicates are skipped; names beyond the
  // capacity go to "__other__" like resolve() does).
  ClassRegistry(size_t max_classes, std::span<const std::string> names);

  // The id of `name`, inserting it when new and there is room; else the id of "__other__".
  ClassId resolve(std::string_view name);
  // The id of `name`, or kNotFound. Never inserts.
  ClassId find(std::string_view name) const;
  // REQUIRES: id < size().
  const std::string& name(ClassId id) const { return names_[id]; }

  size_t size() const { return names_.size(); }
  size_t max_classes() const { return max_classes_; }
  const std::vector<std::string>& names() const { return names_; }
  // Number of resolve() calls (seeding included) that fell back to "__other__" because the
  // registry was full.
  uint64_t overflowed_names() const { return overflowed_; }

 private:
  ClassId insert(std::string_view name);

  // Transparent hash/equality on std::string_view (Debian's abseil has its own
  // absl::string_view, which std::string_view does not convert to).
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct NameEq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  };

  size_t max_classes_;
  std::vector<std::string> names_;
  absl::flat_hash_map<std::string, ClassId, NameHash, NameEq> ids_;
  uint64_t overflowed_ = 0;
};

}  // namespace predwatch::core
