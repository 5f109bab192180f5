// Where the demo finds its data (find_demo_data): an explicit path, an installed copy beside
// the executable (the container image's /usr/local/share/predwatch), a build tree, the
// current directory; and the error that names where it looked.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "daemon/demo/demo_scenario.h"

namespace predwatch::daemon {
namespace {

namespace fs = std::filesystem;

class DemoData : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("predwatch_demo_data_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  // Creates dir/FILE (FILE: the COCO file name the demo looks for) and returns its path.
  fs::path place(const fs::path& dir) {
    fs::create_directories(dir);
    const fs::path p = dir / "instances_val2017_boxes.json";
    std::ofstream(p) << "{}";
    return p;
  }
  fs::path root_;
};

TEST_F(DemoData, ExplicitFileOrFolderWinsAndAMissingOneIsAnError) {
  const fs::path file = place(root_ / "mine");
  std::string error;
  EXPECT_EQ(find_demo_data(file, root_ / "bin", root_, error), file);
  EXPECT_EQ(find_demo_data(root_ / "mine", root_ / "bin", root_, error), file);
  EXPECT_TRUE(find_demo_data(root_ / "nowhere", root_ / "bin", root_, error).empty());
  EXPECT_NE(error.find((root_ / "nowhere").string()), std::string::npos) << error;
}

TEST_F(DemoData, InstalledCopyBesideTheExecutable) {
  // /usr/local/bin/predwatchd -> /usr/local/share/predwatch/coco_val2017/...
  const fs::path file = place(root_ / "usr/local/share/predwatch/coco_val2017");
  fs::create_directories(root_ / "usr/local/bin");
  std::string error;
  EXPECT_EQ(find_demo_data({}, root_ / "usr/local/bin", root_ / "elsewhere", error), file);
}

TEST_F(DemoData, BuildTreeUpToThreeParentsThenTheCurrentDirectory) {
  // build/daemon/predwatchd in a checkout: tests/data is two levels up.
  const fs::path file = place(root_ / "repo/tests/data/coco_val2017");
  std::string error;
  EXPECT_EQ(find_demo_data({}, root_ / "repo/build/daemon", root_ / "x", error), file);
  // Four levels up is too far; the current directory then decides.
  EXPECT_TRUE(find_demo_data({}, root_ / "repo/a/b/c/d", root_ / "x", error).empty());
  EXPECT_NE(error.find("share/predwatch/coco_val2017"), std::string::npos) << error;
  EXPECT_EQ(find_demo_data({}, root_ / "repo/a/b/c/d", root_ / "repo", error), file);
}

}  // namespace
}  // namespace predwatch::daemon
