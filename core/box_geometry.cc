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

namespace {

// Adds `delta` to the cover of the y intervals [a, b) below `node`, which spans intervals
// [l, r) (interval i runs from ys[i] to ys[i + 1]), and recomputes the covered lengths on the
// way back up. Depth O(log n); each call visits O(log n) nodes.
void cover_range(UnionAreaScratch& s, size_t node, uint32_t l, uint32_t r, uint32_t a, uint32_t b,
                 int32_t delta) {
  if (b <= l || r <= a) return;
  if (a <= l && r <= b) {
    s.cover[node] = uint32_t(int64_t(s.cover[node]) + delta);
  } else {
    const uint32_t mid = l + (r - l) / 2;
    cover_range(s, 2 * node, l, mid, a, b, delta);
    cover_range(s, 2 * node + 1, mid, r, a, b, delta);
  }
  if (s.cover[node] > 0) {
    s.covered[node] = double(s.ys[r]) - s.ys[l];
  } else {
    s.covered[node] = r - l == 1 ? 0.0 : s.covered[2 * node] + s.covered[2 * node + 1];
  }
}

}  // namespace

double union_area_swept(std::span<const Box> boxes, UnionAreaScratch& s) {
  s.ys.clear();
  s.edges.clear();
  for (const Box& b : boxes) {
    if (!(b.x_max > b.x_min && b.y_max > b.y_min)) continue;  // no area (union_area skips it)
    s.ys.push_back(b.y_min);
    s.ys.push_back(b.y_max);
  }
  if (s.ys.empty()) return 0.0;
  std::sort(s.ys.begin(), s.ys.end());
  s.ys.erase(std::unique(s.ys.begin(), s.ys.end()), s.ys.end());
  const auto index = [&](float y) {
    return uint32_t(std::lower_bound(s.ys.begin(), s.ys.end(), y) - s.ys.begin());
  };
  for (const Box& b : boxes) {
    if (!(b.x_max > b.x_min && b.y_max > b.y_min)) continue;
    const uint32_t lo = index(b.y_min), hi = index(b.y_max);
    s.edges.push_back({b.x_min, +1, lo, hi});
    s.edges.push_back({b.x_max, -1, lo, hi});
  }
  std::sort(
      s.edges.begin(), s.edges.end(),
      [](const UnionAreaScratch::Edge& a, const UnionAreaScratch::Edge& b) { return a.x < b.x; });
  const uint32_t intervals = uint32_t(s.ys.size() - 1);
  s.cover.assign(4 * size_t(intervals), 0);
  s.covered.assign(4 * size_t(intervals), 0.0);
  double total = 0.0;
  float x = s.edges.front().x;
  for (const UnionAreaScratch::Edge& e : s.edges) {
    total += s.covered[1] * (double(e.x) - x);
    x = e.x;
    cover_range(s, 1, 0, intervals, e.lo, e.hi, e.delta);
  }
  return total;
}

}  // namespace predwatch::core
