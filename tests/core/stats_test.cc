#include "core/stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/box_geometry.h"
#include "core/stats_layout.h"

namespace predwatch::core {
namespace {

Detection det(ClassId c, Box b, float conf = kNoConfidence) {
  Detection d;
  d.class_id = c;
  d.box = b;
  d.confidence = conf;
  return d;
}

// Classes: 0 = cat, 1 = dog, 2 = car. Confidences and coordinates are exact in binary.
//  A: cat [0,0,.5,.5] conf .75; cat [.25,.25,.75,.75] conf .5; dog [.5,.5,1,1] unscored
//  B: dog [0,0,1,1] conf .25; car [0,.75,.25,1] conf .75
//  C: no detections
Frame frame_a() {
  Frame f;
  f.frame_id = "A";
  f.detections = {det(0, {0, 0, .5f, .5f}, .75f), det(0, {.25f, .25f, .75f, .75f}, .5f),
                  det(1, {.5f, .5f, 1, 1})};
  return f;
}
Frame frame_b() {
  Frame f;
  f.frame_id = "B";
  f.detections = {det(1, {0, 0, 1, 1}, .25f), det(2, {0, .75f, .25f, 1}, .75f)};
  return f;
}
Frame frame_c() {
  Frame f;
  f.frame_id = "C";
  return f;
}

Stats abc() {
  Stats s;
  s.add(frame_a());
  s.add(frame_b());
  s.add(frame_c());
  return s;
}

TEST(StatsLayout, BinsAndEdges) {
  StatsLayout L;
  // sqrt-scaled: edge i = (i/20)^2.
  EXPECT_DOUBLE_EQ(L.size_edges()[1], 0.0025);
  EXPECT_DOUBLE_EQ(L.size_edges()[20], 1.0);
  EXPECT_EQ(L.size_bin(0.0025), 1u);  // sqrt = .05 -> 1.0 -> bin 1
  EXPECT_EQ(L.size_bin(0.0024), 0u);
  EXPECT_EQ(L.size_bin(1.0), 19u);  // top edge goes to the last bin
  EXPECT_EQ(L.confidence_bin(0.5f), 10u);
  EXPECT_EQ(L.confidence_bin(1.0f), 19u);
  EXPECT_DOUBLE_EQ(L.confidence_edges()[10], 0.5);
  EXPECT_DOUBLE_EQ(L.covered_area_pct_edges()[1], 5.0);
  EXPECT_EQ(StatsLayout::count_bucket(25, 20), 20u);
  EXPECT_EQ(StatsLayout::count_bucket_label(20, 20), ">=20");
  EXPECT_EQ(StatsLayout::count_bucket_label(3, 20), "3");
  // Box centred at (.125, .875): x = 2, y = 14 -> 14*16 + 2.
  EXPECT_EQ(L.heatmap_cell({0, .75f, .25f, 1}), 226u);
  const Box cell = L.heatmap_cell_box(226);
  EXPECT_FLOAT_EQ(cell.x_min, 2 / 16.f);
  EXPECT_FLOAT_EQ(cell.y_min, 14 / 16.f);
  EXPECT_TRUE(L.check().empty());
  L.heatmap_grid = 0;
  EXPECT_FALSE(L.check().empty());
}

TEST(Stats, ClassBalanceOnHandFixture) {
  const Stats s = abc();
  EXPECT_EQ(s.num_classes(), 3u);
  EXPECT_EQ(s.frames(), 3);
  EXPECT_EQ(s.objects(), 5);
  // images_with: cat {A}, dog {A,B}, car {B}.
  EXPECT_EQ(s.images_with(0), 1);
  EXPECT_EQ(s.images_with(1), 2);
  EXPECT_EQ(s.images_with(2), 1);
  EXPECT_EQ(s.objects_of(0), 2);
  EXPECT_EQ(s.objects_of(1), 2);
  EXPECT_EQ(s.objects_of(2), 1);
  EXPECT_DOUBLE_EQ(s.avg_count_on_image(0), 2.0);
  EXPECT_DOUBLE_EQ(s.avg_count_on_image(1), 1.0);
  // cat on A: union .25 + .25 - .0625 = .4375 -> 43.75%.
  EXPECT_NEAR(s.avg_area_pct(0), 43.75, 1e-6);
  // dog: A .25 (25%), B 1 (100%) -> mean 62.5%.
  EXPECT_NEAR(s.avg_area_pct(1), 62.5, 1e-6);
  // car: .25 * .25 = .0625 -> 6.25%.
  EXPECT_NEAR(s.avg_area_pct(2), 6.25, 1e-6);
  // Confidence: cat (.75 + .5)/2; dog only the scored .25; car .75.
  EXPECT_NEAR(s.mean_confidence(0), 0.625, 1e-6);
  EXPECT_EQ(s.scored_objects(1), 1);
  EXPECT_NEAR(s.mean_confidence(1), 0.25, 1e-6);
  EXPECT_NEAR(s.mean_confidence(2), 0.75, 1e-6);
  // A class never seen reads as zero / NaN.
  EXPECT_EQ(s.images_with(9), 0);
  EXPECT_TRUE(std::isnan(s.mean_confidence(9)));
  EXPECT_TRUE(std::isnan(s.avg_count_on_image(9)));
  EXPECT_EQ(s.heatmap(9).size(), 256u);
}

TEST(Stats, CooccurrenceAndDistributionsOnHandFixture) {
  const Stats s = abc();
  EXPECT_EQ(s.pair_images(0, 1), 1);  // A
  EXPECT_EQ(s.pair_images(1, 0), 1);
  EXPECT_EQ(s.pair_images(1, 2), 1);  // B
  EXPECT_EQ(s.pair_images(0, 2), 0);
  EXPECT_EQ(s.pair_images(1, 1), 2);  // diagonal = images_with
  // objects distribution: cat 0 on B, C; 2 on A. dog 0 on C; 1 on A and B.
  std::vector<int64_t> cat(21, 0), dog(21, 0), car(21, 0);
  cat[0] = 2, cat[2] = 1;
  dog[0] = 1, dog[1] = 2;
  car[0] = 2, car[1] = 1;
  EXPECT_EQ(s.objects_distribution(0), cat);
  EXPECT_EQ(s.objects_distribution(1), dog);
  EXPECT_EQ(s.objects_distribution(2), car);
  // Frame-level: A has 3 objects / 2 classes, B 2 / 2, C 0 / 0.
  EXPECT_EQ(s.objects_per_frame_histogram()[3], 1);
  EXPECT_EQ(s.objects_per_frame_histogram()[2], 1);
  EXPECT_EQ(s.objects_per_frame_histogram()[0], 1);
  EXPECT_EQ(s.classes_per_frame_histogram()[2], 2);
  EXPECT_EQ(s.classes_per_frame_histogram()[0], 1);
  // Covered area: A = 3 * .25 - (.0625 + .0625) = .625 -> bin 12; B = 1 -> bin 19; C -> 0.
  // (Edges are multiples of 1/64, so the 64 x 64 raster is exact here.)
  EXPECT_EQ(s.covered_area_histogram()[12], 1);
  EXPECT_EQ(s.covered_area_histogram()[19], 1);
  EXPECT_EQ(s.covered_area_histogram()[0], 1);
  int64_t total = 0;
  for (int64_t v : s.covered_area_histogram()) total += v;
  EXPECT_EQ(total, 3);
}

TEST(Stats, HeatmapsAndHistogramsOnHandFixture) {
  const Stats s = abc();
  // Centres: cat (.25,.25) -> 4*16+4 = 68, cat (.5,.5) -> 8*16+8 = 136,
  // dog (.75,.75) -> 12*16+12 = 204, dog (.5,.5) -> 136, car (.125,.875) -> 226.
  auto nonzero = [](std::span<const int64_t> h) {
    std::vector<std::pair<size_t, int64_t>> out;
    for (size_t i = 0; i < h.size(); ++i)
      if (h[i]) out.emplace_back(i, h[i]);
    return out;
  };
  using V = std::vector<std::pair<size_t, int64_t>>;
  EXPECT_EQ(nonzero(s.heatmap(0)), (V{{68, 1}, {136, 1}}));
  EXPECT_EQ(nonzero(s.heatmap(1)), (V{{136, 1}, {204, 1}}));
  EXPECT_EQ(nonzero(s.heatmap(2)), (V{{226, 1}}));
  // Confidence bins: .75 -> 15, .5 -> 10, .25 -> 5.
  EXPECT_EQ(nonzero(s.confidence_histogram(0)), (V{{10, 1}, {15, 1}}));
  EXPECT_EQ(nonzero(s.confidence_histogram(1)), (V{{5, 1}}));
  // Width .5: sqrt(.5)*20 = 14.1 -> 14; width 1 -> 19; .25: sqrt*20 = 10.
  EXPECT_EQ(nonzero(s.width_histogram(0)), (V{{14, 2}}));
  EXPECT_EQ(nonzero(s.width_histogram(1)), (V{{14, 1}, {19, 1}}));
  EXPECT_EQ(nonzero(s.height_histogram(2)), (V{{10, 1}}));
  // Area .25 -> sqrt .5 -> 10; 1 -> 19; .0625 -> sqrt .25 -> 5.
  EXPECT_EQ(nonzero(s.area_histogram(0)), (V{{10, 2}}));
  EXPECT_EQ(nonzero(s.area_histogram(1)), (V{{10, 1}, {19, 1}}));
  EXPECT_EQ(nonzero(s.area_histogram(2)), (V{{5, 1}}));
  // Sizes: dog widths .5 and 1; areas .25 and 1.
  const SizeSummary w = s.width_summary(1);
  EXPECT_DOUBLE_EQ(w.min, 0.5);
  EXPECT_DOUBLE_EQ(w.max, 1.0);
  EXPECT_NEAR(w.mean, 0.75, 1e-7);
  const SizeSummary a = s.area_summary(1);
  EXPECT_DOUBLE_EQ(a.min, 0.25);
  EXPECT_DOUBLE_EQ(a.max, 1.0);
  EXPECT_NEAR(a.mean, 0.625, 1e-7);
  EXPECT_NEAR(s.height_summary(2).mean, 0.25, 1e-7);
  EXPECT_TRUE(std::isnan(s.width_summary(7).mean));
}

// Equal except for min/max, which subtract() documents it does not reduce.
void expect_equal_counts(StatsData x, StatsData y) {
  for (StatsData* d : {&x, &y}) d->reset_min_max();
  EXPECT_TRUE(x == y);
}

TEST(Stats, SubtractIsExact) {
  Stats s = abc();
  s.subtract(frame_a());
  Stats bc;
  bc.add(frame_b());
  bc.add(frame_c());
  expect_equal_counts(s.to_data(), bc.to_data());
  // Add and subtract A many times: no drift.
  for (int i = 0; i < 100; ++i) s.add(frame_a());
  for (int i = 0; i < 100; ++i) s.subtract(frame_a());
  expect_equal_counts(s.to_data(), bc.to_data());
}

TEST(Stats, MergeAndRoundTrip) {
  Stats a, bc;
  a.add(frame_a());
  bc.add(frame_b());
  bc.add(frame_c());
  a.merge(bc, +1);
  EXPECT_TRUE(a.to_data() == abc().to_data());  // min/max combine exactly under merge(+1)
  a.merge(bc, -1);
  Stats only_a;
  only_a.add(frame_a());
  only_a.reserve_classes(3);  // `a` grew to car's id when bc was merged in
  expect_equal_counts(a.to_data(), only_a.to_data());

  const Stats s = abc();
  const StatsData d = s.to_data();
  EXPECT_TRUE(Stats::check_data(d).empty());
  const Stats back = Stats::from_data(d);
  EXPECT_TRUE(back.to_data() == d);
  EXPECT_EQ(back.pair_images(0, 1), 1);
  EXPECT_NEAR(back.avg_area_pct(1), 62.5, 1e-6);
  StatsData broken = d;
  broken.heatmap.pop_back();
  EXPECT_NE(Stats::check_data(broken).find("heatmap"), std::string::npos);
}

TEST(Stats, ClassGrowthKeepsIndices) {
  Stats s = abc();
  const StatsData before = s.to_data();
  Frame f;
  f.detections = {det(7, {0, 0, .5f, .5f}), det(1, {0, 0, .5f, .5f})};
  s.add(f);
  EXPECT_EQ(s.num_classes(), 8u);
  // Old cells unchanged except those frame f touched (dog, the frame counters).
  EXPECT_EQ(s.pair_images(0, 1), 1);
  EXPECT_EQ(s.pair_images(1, 2), 1);
  EXPECT_EQ(s.pair_images(7, 1), 1);
  EXPECT_EQ(s.pair_images(7, 0), 0);
  EXPECT_EQ(s.images_with(1), 3);
  EXPECT_EQ(s.images_with(7), 1);
  EXPECT_EQ(s.objects_distribution(7)[0], 3);
  s.subtract(f);
  StatsData grown = before;
  grown.grow(8);
  expect_equal_counts(s.to_data(), grown);
}

TEST(Stats, OverflowBuckets) {
  Frame f;
  for (int i = 0; i < 25; ++i) f.detections.push_back(det(0, {0, 0, .1f, .1f}));
  Stats s;
  s.add(f);
  EXPECT_EQ(s.objects_distribution(0)[20], 1);  // 25 objects -> ">=20"
  EXPECT_EQ(s.objects_per_frame_histogram()[25], 1);
  Frame many;
  for (ClassId c = 0; c < 40; ++c) many.detections.push_back(det(c, {0, 0, .1f, .1f}));
  s.add(many);
  EXPECT_EQ(s.classes_per_frame_histogram()[33], 1);  // 40 classes -> ">=33"
  EXPECT_EQ(s.pair_images(39, 0), 1);
  // 40 classes pairwise on one frame: C(40,2) = 780 pairs, each exactly once.
  int64_t pairs = 0;
  for (ClassId a = 0; a < 40; ++a)
    for (ClassId b = 0; b < a; ++b) pairs += s.pair_images(a, b);
  EXPECT_EQ(pairs, 780);
}

// Many boxes of one class (more than 64 distinct y edges, so the union's bitmasks span
// several words; above kSlabBoxes the segment-tree sweep): the area sum equals
// core::union_area's result, frame by frame.
TEST(Stats, UnionAreaOfManyBoxesMatchesGeometry) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(0, 1);
  for (int trial = 0; trial < 50; ++trial) {
    Frame f;
    std::vector<Box> boxes;
    const int n = 2 + trial * 3;  // up to 149 boxes
    for (int i = 0; i < n; ++i) {
      float a = u(rng), b = u(rng), c = u(rng), d = u(rng);
      boxes.push_back({std::min(a, b), std::min(c, d), std::max(a, b), std::max(c, d)});
      f.detections.push_back(det(0, boxes.back()));
    }
    Stats s;
    s.add(f);
    const double want = union_area(boxes);
    if (size_t(n) <= FrameDigester::kSlabBoxes) {
      EXPECT_EQ(s.data().area_sum[0], std::llround(want * kFixedScale)) << "n = " << n;
    } else {  // union_area_swept: equal up to rounding, so at most one fixed-point unit off
      EXPECT_NEAR(s.data().area_sum[0], std::llround(want * kFixedScale), 1) << "n = " << n;
    }
    // Covered area: the 64 x 64 raster of cell centres (core/stats.h), counted here directly.
    int cells = 0;
    for (int j = 0; j < 64; ++j)
      for (int i = 0; i < 64; ++i)
        for (const Box& b : boxes)
          if (b.x_min <= (i + .5) / 64 && (i + .5) / 64 < b.x_max && b.y_min <= (j + .5) / 64 &&
              (j + .5) / 64 < b.y_max) {
            ++cells;
            break;
          }
    EXPECT_EQ(s.covered_area_histogram()[std::min(19, cells * 20 / 4096)], 1) << "n = " << n;
    // The raster is close to the exact union (within half a cell per box edge).
    EXPECT_NEAR(cells / 4096.0, want, 0.05) << "n = " << n;
  }
}

// A frame of 20,000 nested boxes of one class (issue 14: the slab bitmasks took O(n^3)): the
// union is the outermost box, [0, 1] x [0, 1], so the area sum is one image; the whole raster
// is covered. Runs in milliseconds; the bitmasks would need ~10^12 steps and 400 MB.
TEST(Stats, ThousandsOfNestedBoxesOfOneClassCostLittle) {
  Frame f;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const float r = i == n - 1 ? 0.5f : 0.5f * float(i + 1) / n;
    f.detections.push_back(det(0, {0.5f - r, 0.5f - r, 0.5f + r, 0.5f + r}));
  }
  Stats s;
  s.add(f);
  EXPECT_EQ(s.data().area_sum[0], std::llround(1.0 * kFixedScale));
  EXPECT_EQ(s.covered_area_histogram()[19], 1);
}

}  // namespace
}  // namespace predwatch::core
