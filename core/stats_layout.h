// StatsLayout: the shape of every statistics table (grid size, bucket and bin counts) and
// the one place that maps a value to its bin. Everything that labels or compares bins
// (drift, baseline files, the gRPC API) uses the edge helpers below, so a bin means the
// same thing everywhere.
//
// Binning rules (all bins are half-open [lo, hi) except that the last bin also takes hi):
//  - Heatmap: the box centre on a G x G grid over the normalised image; cell index
//    y * G + x (row-major, rows are y, row 0 at the top), x = floor(cx * G) clamped to G-1.
//  - Count histograms (objects of a class on one image, objects per frame, classes per
//    frame): bucket i = min(count, max); the last bucket `max` means ">= max".
//  - Confidence: `confidence_bins` equal bins over [0, 1].
//  - Box width, height (fractions of the image side) and area (fraction of the image area):
//    `size_bins` sqrt-scaled bins over [0, 1]: bin i covers [(i/n)^2, ((i+1)/n)^2), i.e. the
//    bin is floor(n * sqrt(v)). With n = 20 the first area bin is < 0.25% of the image
//    (32x32 px on a 640x640 image, COCO's "small"), and resolution is finest where most
//    boxes are.
//  - Covered area per frame: percent of the image covered by the union of all boxes
//    (measured on a 64 x 64 raster, see core/stats.h), `covered_area_bins` equal bins over
//    [0, 100].
//
// Plain value type; thread-compatible.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/frame.h"

namespace predwatch::core {

struct StatsLayout {
  uint32_t heatmap_grid = 16;            // G: heatmaps have G*G cells
  uint32_t max_objects_bucket = 20;      // per-class objects per image: buckets 0..20, 20 = ">=20"
  uint32_t confidence_bins = 20;         // over [0, 1]
  uint32_t size_bins = 20;               // width, height, area; sqrt-scaled over [0, 1]
  uint32_t max_objects_per_frame = 101;  // buckets 0..101: 0..100 exact, 101 = ">=101"
  uint32_t max_classes_per_frame = 33;   // buckets 0..33: 0..32 exact, 33 = ">=33"
  uint32_t covered_area_bins = 20;       // over [0, 100] percent

  bool operator==(const StatsLayout&) const = default;

  // Empty when every field is usable, else a message naming the field.
  std::string check() const {
    if (heatmap_grid < 1 || heatmap_grid > 256) return "heatmap_grid must be in [1, 256]";
    // Upper bounds keep `max + 1` bucket counts from wrapping around (a layout read from a
    // file with max_objects_bucket = 2^32 - 1 had 0 buckets) and the tables small.
    if (max_objects_bucket < 1 || max_objects_bucket > 1000)
      return "max_objects_bucket must be in [1, 1000]";
    if (confidence_bins < 1 || confidence_bins > 254) return "confidence_bins must be in [1, 254]";
    if (size_bins < 1 || size_bins > 255) return "size_bins must be in [1, 255]";
    if (max_objects_per_frame < 1 || max_objects_per_frame > 100000)
      return "max_objects_per_frame must be in [1, 100000]";
    if (max_classes_per_frame < 1 || max_classes_per_frame > 100000)
      return "max_classes_per_frame must be in [1, 100000]";
    if (covered_area_bins < 1 || covered_area_bins > 1000)
      return "covered_area_bins must be in [1, 1000]";
    return {};
  }

  // Sizes of the tables.
  uint32_t heatmap_cells() const { return heatmap_grid * heatmap_grid; }
  uint32_t objects_buckets() const { return max_objects_bucket + 1; }
  uint32_t objects_per_frame_buckets() const { return max_objects_per_frame + 1; }
  uint32_t classes_per_frame_buckets() const { return max_classes_per_frame + 1; }

  // Value -> bin. Out-of-range and NaN inputs are clamped into the first or last bin.
  uint32_t heatmap_cell(const Box& b) const {
    return unit_bin(b.center_y(), heatmap_grid) * heatmap_grid +
           unit_bin(b.center_x(), heatmap_grid);
  }
  uint32_t confidence_bin(float confidence) const { return unit_bin(confidence, confidence_bins); }
  uint32_t size_bin(double fraction) const {
    return unit_bin(fraction > 0 ? std::sqrt(fraction) : 0.0, size_bins);
  }
  uint32_t covered_area_bin(double fraction) const { return unit_bin(fraction, covered_area_bins); }
  static uint32_t count_bucket(uint64_t count, uint32_t max) {
    return count < max ? uint32_t(count) : max;
  }

  // Bin edges (bins + 1 values, ascending) for labelling.
  std::vector<double> confidence_edges() const { return linear_edges(confidence_bins, 1.0); }
  std::vector<double> size_edges() const {
    std::vector<double> e(size_bins + 1);
    for (uint32_t i = 0; i <= size_bins; ++i)
      e[i] = double(i) * i / (double(size_bins) * size_bins);
    return e;
  }
  std::vector<double> covered_area_pct_edges() const {
    return linear_edges(covered_area_bins, 100.0);
  }
  // Heatmap cell -> its [x0, x1) x [y0, y1) rectangle in normalised coordinates.
  Box heatmap_cell_box(uint32_t cell) const {
    const float g = float(heatmap_grid);
    const uint32_t x = cell % heatmap_grid, y = cell / heatmap_grid;
    return Box{x / g, y / g, (x + 1) / g, (y + 1) / g};
  }
  // Label of count bucket i of a histogram whose last bucket is `max`: "3", or ">=20".
  static std::string count_bucket_label(uint32_t i, uint32_t max) {
    return i < max ? std::to_string(i) : ">=" + std::to_string(max);
  }

 private:
  static uint32_t unit_bin(double v, uint32_t bins) {
    if (!(v > 0)) return 0;  // also NaN
    const double scaled = v * bins;
    return scaled >= double(bins) ? bins - 1 : uint32_t(scaled);
  }
  static std::vector<double> linear_edges(uint32_t bins, double hi) {
    std::vector<double> e(bins + 1);
    for (uint32_t i = 0; i <= bins; ++i) e[i] = hi * i / bins;
    return e;
  }
};

}  // namespace predwatch::core
