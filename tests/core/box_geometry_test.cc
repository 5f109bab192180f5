#include "core/box_geometry.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace predwatch::core {
namespace {

TEST(BoxGeometry, IouOfHandComputedPairs) {
  // Two unit-width squares overlapping by half: inter = 0.5*1 = 0.5, union = 1.5.
  EXPECT_DOUBLE_EQ(iou({0, 0, 1, 1}, {0.5f, 0, 1.5f, 1}), 0.5 / 1.5);
  EXPECT_DOUBLE_EQ(iou({0, 0, 1, 1}, {0, 0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(iou({0, 0, 1, 1}, {2, 2, 3, 3}), 0.0);
  EXPECT_DOUBLE_EQ(iou({0, 0, 0, 0}, {0, 0, 0, 0}), 0.0);
}

TEST(BoxGeometry, UnionAreaOfOverlappingBoxes) {
  // 0.5x0.5 square at the origin, another shifted by 0.25 in x and y:
  // 0.25 + 0.25 - 0.0625 = 0.4375.
  std::vector<Box> boxes{{0, 0, 0.5f, 0.5f}, {0.25f, 0.25f, 0.75f, 0.75f}};
  EXPECT_NEAR(union_area(boxes), 0.4375, 1e-7);
  // A box inside another adds nothing.
  boxes.push_back({0.1f, 0.1f, 0.2f, 0.2f});
  EXPECT_NEAR(union_area(boxes), 0.4375, 1e-7);
  EXPECT_EQ(union_area({}), 0.0);
}

// Independent check: rasterise on a fine grid aligned with box edges that are multiples
// of 1/64, so the pixel count is exact.
TEST(BoxGeometry, UnionAreaMatchesRasterisation) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> coord(0, 64);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<Box> boxes;
    const int n = 1 + trial % 6;
    for (int i = 0; i < n; ++i) {
      int a = coord(rng), b = coord(rng), c = coord(rng), d = coord(rng);
      boxes.push_back({std::min(a, b) / 64.f, std::min(c, d) / 64.f, std::max(a, b) / 64.f,
                       std::max(c, d) / 64.f});
    }
    int cells = 0;
    for (int x = 0; x < 64; ++x)
      for (int y = 0; y < 64; ++y)
        for (const Box& bx : boxes)
          if (bx.x_min * 64 <= x && x + 1 <= bx.x_max * 64 && bx.y_min * 64 <= y &&
              y + 1 <= bx.y_max * 64) {
            ++cells;
            break;
          }
    EXPECT_NEAR(union_area(boxes), cells / 4096.0, 1e-9) << "trial " << trial;
  }
}

// The segment-tree sweep against the slab sweep on random boxes, some of them without area,
// some repeated, 2 to 301 at a time (both exact up to rounding; from 2 boxes, where
// union_area sweeps in double instead of returning one box's float area).
TEST(BoxGeometry, UnionAreaSweptMatchesTheSlabSweep) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(0, 1);
  UnionAreaScratch scratch;
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<Box> boxes;
    const int n = 2 + trial;
    for (int i = 0; i < n; ++i) {
      float a = u(rng), b = u(rng), c = u(rng), d = u(rng);
      if (i % 17 == 3) b = a;  // no width
      if (i % 23 == 5 && !boxes.empty()) {
        boxes.push_back(boxes.back());
        continue;
      }
      boxes.push_back({std::min(a, b), std::min(c, d), std::max(a, b), std::max(c, d)});
    }
    EXPECT_NEAR(union_area_swept(boxes, scratch), union_area(boxes), 1e-12) << "n = " << n;
  }
}

// Many boxes, with areas derived by hand: 20,000 nested squares around the image centre, the
// outermost [0, 1] x [0, 1], cover exactly the outermost (area 1); 10,000 disjoint boxes
// (the lower-left quarter of each cell of a 100 x 100 grid) cover the sum of their areas,
// computed here from their float corners. The slab sweep would need ~10^12 steps for the
// nested ones.
TEST(BoxGeometry, UnionAreaSweptOfManyNestedOrDisjointBoxes) {
  UnionAreaScratch scratch;
  std::vector<Box> nested;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const float r = i == n - 1 ? 0.5f : 0.5f * float(i + 1) / n;
    nested.push_back({0.5f - r, 0.5f - r, 0.5f + r, 0.5f + r});
  }
  EXPECT_NEAR(union_area_swept(nested, scratch), 1.0, 1e-12);
  std::vector<Box> disjoint;
  double sum = 0.0;
  for (int i = 0; i < 100; ++i) {
    for (int j = 0; j < 100; ++j) {
      const Box b{i / 100.f, j / 100.f, (i + 0.5f) / 100.f, (j + 0.5f) / 100.f};
      disjoint.push_back(b);
      sum += (double(b.x_max) - b.x_min) * (double(b.y_max) - b.y_min);
    }
  }
  EXPECT_NEAR(sum, 0.25, 1e-6);
  EXPECT_NEAR(union_area_swept(disjoint, scratch), sum, 1e-12);
  EXPECT_EQ(union_area_swept({}, scratch), 0.0);
}

}  // namespace
}  // namespace predwatch::core
