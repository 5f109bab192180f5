#include "core/box_geometry.h"

#include <algorithm>
#include <vector>

namespace predwatch::core {

double iou(const Box& a, const Box& b) {
  const double ix = std::max(0.0, double(std::min(a.x_max, b.x_max)) - std::max(a.x_min, b.x_min));
  const double iy = std::max(0.0, double(std::min(a.y_max, b.y_max)) - std::max(a.y_min, b.y_min));
  const double inter = ix * iy;
  const double uni = double(a.area()) + double(b.area()) - inter;
  return uni > 0 ? inter / uni : 0.0;
}

double union_area(std::span<const Box> boxes) {
  if (boxes.empty()) return 0.0;
  if (boxes.size() == 1) return std::max(0.0, double(boxes[0].area()));
  // Sweep over the distinct x edges; in each vertical slab, merge the y intervals of the
  // boxes spanning it.
  std::vector<float> xs;
  xs.reserve(boxes.size() * 2);
  for (const Box& b : boxes) {
    xs.push_back(b.x_min);
    xs.push_back(b.x_max);
  }
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  std::vector<std::pair<float, float>> spans;
  double total = 0.0;
  for (size_t i = 0; i + 1 < xs.size(); ++i) {
    const float x0 = xs[i], x1 = xs[i + 1];
    spans.clear();
    for (const Box& b : boxes) {
      if (b.x_min <= x0 && b.x_max >= x1 && b.y_max > b.y_min) spans.emplace_back(b.y_min, b.y_max);
    }
    if (spans.empty()) continue;
    std::sort(spans.begin(), spans.end());
    double covered = 0.0;
    float lo = spans[0].first, hi = spans[0].second;
    for (size_t j = 1; j < spans.size(); ++j) {
      if (spans[j].first > hi) {
        covered += double(hi) - lo;
        lo = spans[j].first;
        hi = spans[j].second;
      } else {
        hi = std::max(hi, spans[j].second);
      }
    }
    covered += double(hi) - lo;
    total += covered * (double(x1) - x0);
  }
  return total;
}

}  // namespace predwatch::core
