// Geometry on normalised boxes: overlap, intersection-over-union and the area of a union.
#pragma once

#include <span>

#include "core/frame.h"

namespace predwatch::core {

// Intersection-over-union of two boxes, in [0, 1]; 0 when either box has no area.
double iou(const Box& a, const Box& b);

// Area of the union of the boxes (each counted once where they overlap), in the boxes'
// units. Exact; O(n^2 log n) for n boxes, meant for the boxes of one class on one image.
double union_area(std::span<const Box> boxes);

}  // namespace predwatch::core
