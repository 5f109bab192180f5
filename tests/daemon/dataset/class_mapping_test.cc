#include "daemon/dataset/class_mapping.h"

#include <gtest/gtest.h>

#include "tests/daemon/dataset/import_test_util.h"

namespace predwatch::daemon::testing {
namespace {
namespace fs = std::filesystem;

core::Event event_with(std::initializer_list<std::string_view> names) {
  core::Event e;
  e.frame_id = "f";
  for (auto n : names) {
    core::NamedDetection d;
    d.class_name = n;
    e.detections.push_back(d);
  }
  return e;
}

TEST(ClassMapping, RenamesDropsAndCounts) {
  std::string error;
  auto m = ClassMapping::parse(
      "map: {motorbike: motorcycle, aeroplane: airplane}\nignore: [dontcare]\n", "m.yaml", error);
  ASSERT_TRUE(m) << error;
  core::Event e =
      event_with({"motorbike", "dontcare", "person", "motorbike", "aeroplane", "dontcare"});
  e.detections.push_back({});  // index-only detection: untouched
  e.detections.back().class_index = 3;
  m->apply(e);
  ASSERT_EQ(e.detections.size(), 5u);
  EXPECT_EQ(e.detections[0].class_name, "motorcycle");
  EXPECT_EQ(e.detections[1].class_name, "person");
  EXPECT_EQ(e.detections[2].class_name, "motorcycle");
  EXPECT_EQ(e.detections[3].class_name, "airplane");
  EXPECT_EQ(e.detections[4].class_index, 3);
  EXPECT_EQ(m->total_renamed(), 3u);
  EXPECT_EQ(m->total_dropped(), 2u);
  EXPECT_EQ(m->renamed("motorbike"), 2u);
  EXPECT_EQ(m->dropped("dontcare"), 2u);
  EXPECT_EQ(m->resolve("aeroplane"), std::optional<std::string_view>("airplane"));
  EXPECT_EQ(m->resolve("cat"), std::optional<std::string_view>("cat"));
  EXPECT_EQ(m->resolve("dontcare"), std::nullopt);
}

TEST(ClassMapping, EmptyFileIsIdentity) {
  std::string error;
  auto m = ClassMapping::parse("", "m.yaml", error);
  ASSERT_TRUE(m) << error;
  EXPECT_TRUE(m->empty());
  core::Event e = event_with({"a"});
  m->apply(e);
  EXPECT_EQ(e.detections.size(), 1u);
}

// The VOC import, mapped to COCO names with `person` ignored: the per-class table changes
// exactly by the renames, and the dropped count is the 91 persons of SOURCE.txt.
TEST(ClassMapping, AppliedToARealImport) {
  TempDir t;
  auto file = t.write("voc_to_coco.yaml",
                      "# VOC names -> COCO names\n"
                      "map:\n  motorbike: motorcycle\n  aeroplane: airplane\n  sofa: couch\n"
                      "  pottedplant: potted plant\n  diningtable: dining table\n  tvmonitor: tv\n"
                      "ignore:\n  - person\n");
  std::string error;
  auto m = ClassMapping::load(file, error);
  ASSERT_TRUE(m) << error;
  fs::path dir = kData / "voc_100_multiformat/gts/pascalvoc_format";
  Imported plain = import_with("voc", dir);
  ASSERT_TRUE(plain.result.ok());
  std::map<std::string, int> expected;
  uint64_t renamed = 0;
  for (auto [name, n] : plain.per_class()) {
    if (name == "person") continue;
    auto to = m->resolve(name);
    if (*to != name) renamed += n;
    expected[std::string(*to)] += n;
  }
  std::map<std::string, int> mapped;
  auto importer = make_importer("voc");
  ImportResult r = importer->import(dir, {}, m->wrap([&](const core::Event& e) {
    for (const auto& d : e.detections) ++mapped[std::string(d.class_name)];
  }));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(mapped, expected);
  EXPECT_EQ(mapped.count("aeroplane"), 0u);
  EXPECT_EQ(m->total_dropped(), 91u);
  EXPECT_EQ(m->total_renamed(), renamed);
  EXPECT_GT(renamed, 0u);
}

void expect_error(std::string_view yaml, std::string_view where, std::string_view what) {
  std::string error;
  auto m = ClassMapping::parse(yaml, "m.yaml", error);
  EXPECT_FALSE(m) << yaml;
  EXPECT_NE(error.find(where), std::string::npos) << error;
  EXPECT_NE(error.find(what), std::string::npos) << error;
}

TEST(ClassMappingErrors, NameFileLineAndColumn) {
  expect_error("map: {a: b\n", "m.yaml:2:1", "");  // unterminated flow map
  expect_error("map:\n  - a\n", "m.yaml:2:3", "`map` must be a mapping");
  expect_error("map: {a: b}\nignore: a\n", "m.yaml:2:9", "`ignore` must be a list");
  expect_error("map: {a: b}\nmapping: {}\n", "m.yaml:2:1", "unknown key \"mapping\"");
  expect_error("map: {a: b}\nignore: [c, a]\n", "m.yaml:2:13", "both mapped and ignored");
  expect_error("ignore: [a]\nmap:\n  a: b\n", "m.yaml:3:3", "both mapped and ignored");
  expect_error("map:\n  a: b\n  b: c\n", "m.yaml:2:6", "itself mapped");
  expect_error("map:\n  a: b\n  a: c\n", "m.yaml:3:3", "mapped twice");
  expect_error("map:\n  a: [b]\n", "m.yaml:2:3", "source: target");
  expect_error("- a\n", "m.yaml:1:1", "expected a mapping");
  expect_error("map: {v\xe9lo: bicycle}\n", "m.yaml", "not valid UTF-8");  // Latin-1 "vélo"
  std::string error;
  EXPECT_FALSE(ClassMapping::load("/nonexistent/classes.yaml", error));
  EXPECT_NE(error.find("/nonexistent/classes.yaml"), std::string::npos);
}

// Found by tests/fuzz/class_mapping_fuzz.cc: with `map` given twice, the chain check read
// only the first section, so {a: b, b: c} in the second one was accepted and "a" became "b"
// while "b" became "c".
TEST(ClassMapping, DuplicateSectionIsRejected) {
  std::string error;
  EXPECT_FALSE(ClassMapping::parse("map:\nmap: {a: b, b: c}\n", "c.yaml", error));
  EXPECT_NE(error.find("c.yaml:2:1: duplicate key \"map\""), std::string::npos) << error;
  EXPECT_FALSE(ClassMapping::parse("ignore: [x]\nignore: [y]\n", "c.yaml", error));
}

}  // namespace
}  // namespace predwatch::daemon::testing
