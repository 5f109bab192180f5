// Regressions of the bugs the baseline fuzz target found (tests/fuzz/baseline_fuzz.cc): a
// baseline whose tables have the right sizes but values no sequence of frames can produce
// must be rejected by baseline_from_proto, not accepted and crash or overflow later.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "daemon/baseline/baseline_file.h"

namespace predwatch::daemon {
namespace {

v1::Baseline read_seed(const std::string& name) {
  std::ifstream in(std::string(PREDWATCH_SOURCE_DIR) + "/tests/fuzz/corpus/baseline/" + name,
                   std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), {}};
  v1::Baseline b;
  EXPECT_TRUE(b.ParseFromString(bytes)) << name;
  return b;
}

TEST(BaselineValidationFuzz, ValidSeedIsAccepted) {
  std::string error;
  const auto loaded = baseline_from_proto(read_seed("valid_two_classes_small_layout.pb"), error);
  ASSERT_TRUE(loaded) << error;
  // Hand-built seed: 3 frames, person on 2 of them -> bucket 0 of its distribution is 1.
  EXPECT_EQ(loaded->stats.stats.objects_distribution(0)[0], 1);
}

TEST(BaselineValidationFuzz, ObjectsBucketCountThatWrapsToZeroIsRejected) {
  // max_objects_bucket = 2^32 - 1 made objects_buckets() wrap to 0; objects_distribution()
  // then wrote element 0 of an empty vector.
  std::string error;
  EXPECT_FALSE(baseline_from_proto(read_seed("regression_objects_buckets_wrap.pb"), error));
  EXPECT_NE(error.find("max_objects_bucket"), std::string::npos) << error;
}

TEST(BaselineValidationFuzz, NegativeCountIsRejected) {
  // images_with(person) = INT64_MIN: frames - images_with overflowed in objects_distribution().
  std::string error;
  EXPECT_FALSE(baseline_from_proto(read_seed("regression_negative_images_with.pb"), error));
  EXPECT_NE(error.find("negative"), std::string::npos) << error;
}

TEST(BaselineValidationFuzz, InconsistentHistogramIsRejected) {
  v1::Baseline b = read_seed("valid_two_classes_small_layout.pb");
  b.mutable_stats()->mutable_tables()->set_objects_per_frame(0, 7);  // sums to 9, frames 3
  std::string error;
  EXPECT_FALSE(baseline_from_proto(b, error));
  EXPECT_NE(error.find("objects_per_frame does not sum to frames"), std::string::npos) << error;
}

}  // namespace
}  // namespace predwatch::daemon
