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

}  // namespace
}  // namespace predwatch::core
