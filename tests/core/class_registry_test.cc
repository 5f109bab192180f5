#include "core/class_registry.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace predwatch::core {
namespace {

TEST(ClassRegistry, DenseStableIds) {
  ClassRegistry r(10);
  EXPECT_EQ(r.resolve("cat"), 0u);
  EXPECT_EQ(r.resolve("dog"), 1u);
  EXPECT_EQ(r.resolve("cat"), 0u);
  std::string name = "dog";
  EXPECT_EQ(r.resolve(std::string_view(name)), 1u);
  EXPECT_EQ(r.find("car"), ClassRegistry::kNotFound);
  EXPECT_EQ(r.size(), 2u);  // find() does not insert
  EXPECT_EQ(r.name(1), "dog");
  EXPECT_EQ(r.overflowed_names(), 0u);
}

TEST(ClassRegistry, OverflowGoesToOther) {
  // Capacity 3: two names, then the last slot is kept for "__other__".
  ClassRegistry r(3);
  EXPECT_EQ(r.resolve("a"), 0u);
  EXPECT_EQ(r.resolve("b"), 1u);
  EXPECT_EQ(r.resolve("c"), 2u);  // "__other__" takes id 2
  EXPECT_EQ(r.name(2), ClassRegistry::kOtherName);
  EXPECT_EQ(r.resolve("d"), 2u);
  EXPECT_EQ(r.resolve("a"), 0u);
  EXPECT_EQ(r.size(), 3u);
  EXPECT_EQ(r.overflowed_names(), 2u);
  EXPECT_EQ(r.find("c"), ClassRegistry::kNotFound);
}

TEST(ClassRegistry, SeededFromBaseline) {
  const std::vector<std::string> names{"person", "bicycle", "car", "person"};
  ClassRegistry r(100, names);
  EXPECT_EQ(r.size(), 3u);
  EXPECT_EQ(r.find("car"), 2u);
  EXPECT_EQ(r.resolve("truck"), 3u);
  EXPECT_EQ(r.names().back(), "truck");
}

}  // namespace
}  // namespace predwatch::core
