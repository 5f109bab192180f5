#include "daemon/baseline/baseline_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace predwatch::daemon {
namespace {

namespace fs = std::filesystem;

const fs::path kData = PREDWATCH_TEST_DATA;

fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("predwatch_baseline_test_" + name);
}

DatasetBuild build_val2014() {
  DatasetBuild b;
  EXPECT_EQ(build_dataset_stats(kData / "coco_val2014_100/instances_val2014_100.json", "coco", {},
                                ClassMapping(), {}, b),
            "");
  return b;
}

TEST(BaselineFile, BuildSaveLoadIsExact) {
  DatasetBuild b = build_val2014();
  // tests/data/README.md: 100 images, 839 ground-truth objects.
  EXPECT_EQ(b.stats.frames(), 100);
  EXPECT_EQ(b.stats.objects(), 839);
  const fs::path f = temp_file("exact.pwb");
  ASSERT_EQ(save_baseline(
                f, make_baseline(b.stats, b.class_names, core::BaselineKind::kTrainingAnnotations)),
            "");
  std::string err;
  auto loaded = load_baseline(f, err);
  ASSERT_TRUE(loaded) << err;
  EXPECT_TRUE(loaded->stats.stats.data() == b.stats.data());
  EXPECT_EQ(loaded->stats.class_names, b.class_names);
  EXPECT_EQ(loaded->stats.kind, core::BaselineKind::kTrainingAnnotations);
  EXPECT_FALSE(loaded->stats.has_confidence());
  fs::remove(f);
}

TEST(BaselineFile, ClassMappingRenamesBeforeCounting) {
  std::string map_error;
  auto mapping = ClassMapping::parse("map: {person: human}\nignore: [car]\n", "m.yaml", map_error);
  ASSERT_TRUE(mapping);
  DatasetBuild plain = build_val2014(), mapped;
  ASSERT_EQ(build_dataset_stats(kData / "coco_val2014_100/instances_val2014_100.json", "coco", {},
                                *mapping, {}, mapped),
            "");
  auto id = [](const DatasetBuild& b, const std::string& n) {
    return core::ClassId(std::find(b.class_names.begin(), b.class_names.end(), n) -
                         b.class_names.begin());
  };
  EXPECT_EQ(mapped.stats.objects_of(id(mapped, "human")),
            plain.stats.objects_of(id(plain, "person")));
  EXPECT_EQ(std::count(mapped.class_names.begin(), mapped.class_names.end(), "car"), 0);
  EXPECT_EQ(mapped.stats.objects(),
            plain.stats.objects() - plain.stats.objects_of(id(plain, "car")));
  EXPECT_EQ(mapped.mapped_dropped, uint64_t(plain.stats.objects_of(id(plain, "car"))));
}

TEST(BaselineFile, RejectsCorruptAndForeignFiles) {
  std::string err;
  EXPECT_FALSE(load_baseline(temp_file("missing.pwb"), err));
  EXPECT_NE(err.find("cannot open"), std::string::npos);

  const fs::path junk = temp_file("junk.pwb");
  std::ofstream(junk) << "this is not a baseline \xff\xff\xff";
  EXPECT_FALSE(load_baseline(junk, err));
  EXPECT_NE(err.find(junk.string()), std::string::npos) << err;

  DatasetBuild b = build_val2014();
  v1::Baseline good = make_baseline(b.stats, b.class_names, core::BaselineKind::kProductionWindow);
  v1::Baseline v2 = good;
  v2.set_format_version(2);
  EXPECT_FALSE(baseline_from_proto(v2, err));
  EXPECT_NE(err.find("format_version 2"), std::string::npos);
  v1::Baseline cut = good;
  cut.mutable_stats()->mutable_tables()->mutable_cooccurrence()->RemoveLast();
  EXPECT_FALSE(baseline_from_proto(cut, err));
  v1::Baseline dup = good;
  dup.mutable_stats()->set_class_names(1, dup.stats().class_names(0));
  EXPECT_FALSE(baseline_from_proto(dup, err));
  EXPECT_NE(err.find("twice"), std::string::npos);
  fs::remove(junk);
}

TEST(BaselineFile, ContentHashMatchesSha256sum) {
  const fs::path f = temp_file("hash.txt");
  std::ofstream(f) << "abc";
  // printf abc | sha256sum
  EXPECT_EQ(content_sha256(f), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  fs::remove(f);
  EXPECT_EQ(content_sha256(temp_file("does-not-exist")), "");
}

}  // namespace
}  // namespace predwatch::daemon
