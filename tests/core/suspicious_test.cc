#include "core/suspicious.h"

#include <gtest/gtest.h>

#include <string>

namespace predwatch::core {
namespace {

NamedDetection det(std::string_view name, float x0, float y0, float x1, float y1) {
  NamedDetection d;
  d.class_name = name;
  d.box = {x0, y0, x1, y1};
  return d;
}

Event image(std::string_view id, std::vector<NamedDetection> dets) {
  Event e;
  e.frame_id = id;
  e.detections = std::move(dets);
  return e;
}

TEST(Suspicious, DuplicateBoxesOfTheSameClassOnly) {
  SuspiciousChecker checker;
  std::vector<SuspiciousRecord> out;
  // a vs b: intersection 0.1 x 0.095 = 0.0095, union 0.01 + 0.0095 - 0.0095 = 0.01 -> IoU 0.95.
  // a vs c (other class, same box): not a duplicate. a vs d: IoU 0.0081/0.0119 = 0.68.
  checker.check_image(
      image("img1", {det("car", 0.1f, 0.1f, 0.2f, 0.2f), det("car", 0.1f, 0.1f, 0.2f, 0.195f),
                     det("bus", 0.1f, 0.1f, 0.2f, 0.2f), det("car", 0.11f, 0.11f, 0.2f, 0.2f)}),
      out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].image, "img1");
  EXPECT_EQ(out[0].reason, SuspicionReason::kDuplicateBox);
  EXPECT_EQ(out[0].class_name, "car");
  EXPECT_NE(out[0].detail.find("#0 and #1"), std::string::npos) << out[0].detail;
  EXPECT_NE(out[0].detail.find("0.950"), std::string::npos) << out[0].detail;
}

TEST(Suspicious, DegenerateBoxes) {
  SuspiciousChecker checker;
  std::vector<SuspiciousRecord> out;
  NamedDetection by_index;
  by_index.class_index = 4;
  by_index.box = {0.5f, 0.5f, 0.5f, 0.6f};  // zero width
  checker.check_image(
      image("img", {det("a", 0.2f, 0.2f, 0.1f, 0.3f), det("a", -0.1f, 0.2f, 0.3f, 0.3f),
                    det("a", 0.1f, 0.1f, 0.2f, 0.2f), by_index}),
      out);
  ASSERT_EQ(out.size(), 3u);
  for (const auto& r : out) EXPECT_EQ(r.reason, SuspicionReason::kDegenerateBox);
  EXPECT_NE(out[0].detail.find("non-positive"), std::string::npos);
  EXPECT_NE(out[1].detail.find("outside"), std::string::npos);
  EXPECT_EQ(out[2].class_name, "#4");
}

TEST(Suspicious, ThresholdIsNumpyType7Quartiles) {
  // numpy.percentile([1,1,1,2,2,2,2,3,3,4,5,40], [25, 75]) = [1.75, 3.25]
  // -> Q3 + 3 IQR = 3.25 + 4.5 = 7.75 (with floor 0); floor 10 wins otherwise.
  std::vector<uint32_t> counts = {40, 1, 1, 2, 2, 1, 2, 2, 3, 3, 4, 5};
  SuspiciousOptions o;
  o.outlier_floor = 0;
  EXPECT_DOUBLE_EQ(class_count_threshold(counts, o), 7.75);
  o.outlier_floor = 10;
  EXPECT_DOUBLE_EQ(class_count_threshold(counts, o), 10.0);
}

TEST(Suspicious, ClassCountOutliersOverImagesContainingTheClass) {
  SuspiciousOptions o;
  o.outlier_floor = 0;
  SuspiciousChecker checker(o);
  std::vector<SuspiciousRecord> out;
  const int counts[] = {1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 5, 40};  // threshold 7.75 (above)
  int k = 0;
  for (int n : counts) {
    std::vector<NamedDetection> dets;
    for (int i = 0; i < n; ++i) {
      float x = 0.02f * float(i % 40);
      dets.push_back(det("skis", x, 0.0f, x + 0.01f, 0.01f));
    }
    checker.check_image(image("img" + std::to_string(k++), dets), out);
  }
  // Images without the class do not enter its quartiles.
  for (int i = 0; i < 50; ++i) checker.check_image(image("empty" + std::to_string(i), {}), out);
  // A class on fewer than outlier_min_images (10) images is not checked.
  checker.check_image(image("few", std::vector<NamedDetection>(30, det("cat", 0, 0, 0.01f, 0.01f))),
                      out);
  out.clear();
  auto found = checker.finish();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].image, "img11");
  EXPECT_EQ(found[0].class_name, "skis");
  EXPECT_EQ(found[0].reason, SuspicionReason::kClassCountOutlier);
  EXPECT_NE(found[0].detail.find("40 objects"), std::string::npos) << found[0].detail;
  EXPECT_NE(found[0].detail.find("threshold 7.75"), std::string::npos) << found[0].detail;
}

TEST(Suspicious, FloorStopsFlaggingSingletonClasses) {
  // Eleven images with one "dog", one with two: Q1 = Q3 = 1, IQR 0 -> 1 without a floor.
  for (uint32_t floor : {0u, 10u}) {
    SuspiciousOptions o;
    o.outlier_floor = floor;
    SuspiciousChecker checker(o);
    std::vector<SuspiciousRecord> out;
    for (int i = 0; i < 11; ++i)
      checker.check_image(image("a" + std::to_string(i), {det("dog", 0, 0, 0.1f, 0.1f)}), out);
    checker.check_image(
        image("two", {det("dog", 0, 0, 0.1f, 0.1f), det("dog", 0.5f, 0.5f, 0.6f, 0.6f)}), out);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(checker.finish().size(), floor == 0 ? 1u : 0u);
  }
  EXPECT_EQ(suspicion_reason_name(SuspicionReason::kUnknownCategory), "unknown_category");
  auto r = SuspiciousChecker::make_record("x.jpg", SuspicionReason::kUnknownCategory, "99",
                                          "category_id 99");
  EXPECT_EQ(r.image, "x.jpg");
  EXPECT_EQ(r.class_name, "99");
}

}  // namespace
}  // namespace predwatch::core
