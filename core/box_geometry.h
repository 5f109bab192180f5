// Geometry on normalised boxes: overlap, intersection-over-union and the area of a union.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/frame.h"

namespace predwatch::core {

// Intersection-over-union of two boxes, in [0, 1]; 0 when either box has no area.
double iou(const Box& a, const Box& b);

// Area of the union of the boxes (each counted once where they overlap), in the boxes'
// units. Exact; O(n^2 log n) for n boxes: the reference, and for a few boxes at a time.
double union_area(std::span<const Box> boxes);

// Buffers of union_area_swept, kept between calls so that steady state does not allocate.
struct UnionAreaScratch {
  struct Edge {
    float x;
    int32_t delta;    // +1: a box starts at x, -1: it ends
    uint32_t lo, hi;  // its y extent, as indexes into ys
  };
  std::vector<float> ys;        // distinct y edges of the boxes with area, ascending
  std::vector<Edge> edges;      // two per box with area, by x
  std::vector<uint32_t> cover;  // per tree node: boxes covering all of its y range
  std::vector<double> covered;  // per tree node: length of its y range some box covers
};

// The same area for any number of boxes, bounded: O(n log n) time and O(n) memory. Sweeps
// the box edges in x order, keeping the covered length of the y axis in a segment tree over
// the distinct y edges; the area is the sum of covered length x width between edges. Equals
// union_area up to rounding (sums run in another order).
double union_area_swept(std::span<const Box> boxes, UnionAreaScratch& scratch);

}  // namespace predwatch::core
