#include "core/class_registry.h"

#include <cassert>

namespace predwatch::core {

ClassRegistry::ClassRegistry(size_t max_classes) : max_classes_(max_classes) {
  assert(max_classes >= 1);
}

ClassRegistry::ClassRegistry(size_t max_classes, std::span<const std::string> names)
    : ClassRegistry(max_classes) {
  for (const std::string& n : names) resolve(n);
}

ClassId ClassRegistry::find(std::string_view name) const {
  auto it = ids_.find(name);
  return it == ids_.end() ? kNotFound : it->second;
}

ClassId ClassRegistry::resolve(std::string_view name) {
  if (auto it = ids_.find(name); it != ids_.end()) return it->second;
  const bool is_other = name == kOtherName;
  // Keep one slot for "__other__" unless it already exists or this is it.
  const bool other_exists = ids_.contains(kOtherName);
  const size_t room_for_names = other_exists || is_other ? max_classes_ : max_classes_ - 1;
  if (names_.size() < room_for_names) return insert(name);
  ++overflowed_;
  if (auto it = ids_.find(kOtherName); it != ids_.end()) return it->second;
  return insert(kOtherName);
}

ClassId ClassRegistry::insert(std::string_view name) {
  const ClassId id = ClassId(names_.size());
  names_.emplace_back(name);
  ids_.emplace(names_.back(), id);
  return id;
}

}  // namespace predwatch::core
