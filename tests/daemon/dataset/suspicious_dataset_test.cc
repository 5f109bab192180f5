// The suspicious checks over a real dataset, against a from-scratch recomputation in Python:
//   /usr/bin/python3 over coco_val2017/instances_val2017_boxes.json: drop boxes with w or h
//   <= 0 (the importer skips them), per image and class count objects, per class with >= 10
//   images: t = max(Q3 + 3 IQR, 10) with numpy.percentile(counts, [25, 75]); count images
//   with count > t -> 142 records; apple: 000000303566.jpg 14, 000000479596.jpg 14,
//   000000498919.jpg 13, 000000560256.jpg 13; most flagged classes: bottle 16, chair 15, bird 14.
//   Same-class pairs with IoU >= 0.9 on normalised boxes -> 3 (none within 1e-4 of 0.9).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/suspicious.h"
#include "tests/daemon/dataset/import_test_util.h"

namespace predwatch::daemon::testing {
namespace {

TEST(SuspiciousOnCocoVal2017, MatchesTheNumpyRecomputation) {
  core::SuspiciousChecker checker;
  std::vector<core::SuspiciousRecord> per_image;
  ImportOptions o;
  o.on_problem = [&](const ImportProblem& p) {
    if (p.kind == ProblemKind::kDegenerateBox) {
      per_image.push_back(core::SuspiciousChecker::make_record(
          p.image, core::SuspicionReason::kDegenerateBox, p.category, p.detail));
    }
  };
  auto importer = make_importer("coco");
  ImportResult r =
      importer->import(kData / "coco_val2017/instances_val2017_boxes.json", o,
                       [&](const core::Event& e) { checker.check_image(e, per_image); });
  ASSERT_TRUE(r.ok()) << r.error;
  int duplicates = 0, degenerate = 0;
  for (const auto& rec : per_image) {
    duplicates += rec.reason == core::SuspicionReason::kDuplicateBox;
    degenerate += rec.reason == core::SuspicionReason::kDegenerateBox;
  }
  EXPECT_EQ(duplicates, 3);
  EXPECT_EQ(uint64_t(degenerate), r.summary.problem_count(ProblemKind::kDegenerateBox));
  auto outliers = checker.finish();
  ASSERT_EQ(outliers.size(), 142u);
  std::map<std::string, int> per_class;
  std::set<std::string> apples;
  for (const auto& rec : outliers) {
    ++per_class[rec.class_name];
    if (rec.class_name == "apple")
      apples.insert(rec.image + " " + rec.detail.substr(0, rec.detail.find(' ')));
  }
  EXPECT_EQ(apples, (std::set<std::string>{"000000303566.jpg 14", "000000479596.jpg 14",
                                           "000000498919.jpg 13", "000000560256.jpg 13"}));
  EXPECT_EQ(per_class["bottle"], 16);
  EXPECT_EQ(per_class["chair"], 15);
  EXPECT_EQ(per_class["bird"], 14);
  EXPECT_EQ(outliers[0].class_name, "apple");  // ordered by class name
}

}  // namespace
}  // namespace predwatch::daemon::testing
