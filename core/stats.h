// Stats: a dense accumulator of every statistics table of domain.md §2 (class balance,
// co-occurrence, objects distribution, spatial heatmaps, confidence and box sizes, and the
// per-frame histograms), over a multiset of frames.
//
// Exactness: every table is an integer counter or a fixed-point int64 sum (kFixedScale),
// so add(f) followed by subtract(f) restores the previous state bit for bit, in any order,
// however many times. This is what lets windows subtract evicted frames or panes without
// drift. The exception is the per-class box size min/max: they cannot be inverted, so in a
// bare Stats they cover every box ever added (subtract() and merge(-1) leave them alone);
// TimeWindow and CountWindow recompute them at query time from exactly the frames inside
// the window.
//
// Classes: ClassIds index the tables directly; the class count grows on demand to
// (largest id seen) + 1, and grows by appending, so indices stay valid. Reading a class
// >= num_classes() returns zeros (empty histograms of the layout's size), NaN for means.
//
// Per-frame definitions (the contract the tests recompute independently):
//  - frames, objects: frame and detection counts.
//  - images_with(c): frames with >= 1 detection of c; pair_images(a, b): frames with both.
//  - objects distribution: per class, histogram of the number of c's detections on a frame
//    (StatsLayout::count_bucket with max_objects_bucket); bucket 0 = frames without c.
//  - area: per frame containing c, u = union_area(boxes of c) as a fraction of the image
//    (core/box_geometry.h; union_area_swept above FrameDigester::kSlabBoxes boxes, equal up
//    to rounding); avg_area_pct(c) = 100 * sum(u) / images_with(c).
//  - per detection: heatmap cell of the box centre; confidence bin and sum when scored;
//    width = box.width(), height = box.height(), area = box.area() (floats, fractions),
//    each binned with StatsLayout::size_bin and summed.
//  - per frame: objects-per-frame and distinct-classes-per-frame buckets, and the covered
//    area bin of the fraction of the image covered by the frame's boxes, measured on a
//    64 x 64 raster: a cell counts when its centre ((i + .5) / 64, (j + .5) / 64) lies in
//    some box (x_min <= cx < x_max, same for y); fraction = cells / 4096. (An exact union
//    of all boxes costs O(k^2) per frame; the raster costs O(k * rows) and is within about
//    half a cell per box edge, well inside the 5% bins.)
//  Fixed-point values are llround(double(v) * kFixedScale).
//
// Box sizes are kept as fractions of the image (pixel sizes would need every frame's
// width/height, which ground truth and predictions do not always carry).
//
// Cost: add/subtract are O(objects log objects + pairs of distinct classes on the frame)
// plus, for each class with k >= 2 boxes on the frame, an exact union (O(k^2) worst case);
// no heap allocation once the scratch buffers and tables have grown. Thread-compatible (no internal
// locking; const methods are safe to call concurrently only while nothing mutates).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "core/box_geometry.h"
#include "core/frame.h"
#include "core/stats_layout.h"

namespace predwatch::core {

// Fixed-point scale of the int64 sums (2^24): a window can hold 2^39 full-image boxes
// before a sum overflows.
inline constexpr double kFixedScale = 16777216.0;
// Same result as std::llround(v * kFixedScale) (half away from zero) for |v| < 2^28, without
// the libm call.
inline int64_t to_fixed(double v) {
  const double x = v * kFixedScale, a = x < 0 ? -x : x;
  int64_t r = int64_t(a + 0.5);
  if (double(r) - a > 0.5) --r;  // a + 0.5 rounded up across an integer
  return x < 0 ? -r : r;
}

// The tables as plain arrays. `Count` is int64_t for Stats/StatsData; windows keep their
// panes as uint32_t counters (a pane never holds 2^32 frames) to halve their memory.
// Layouts (C = num_classes; every per-class array is class-major, so growing C appends):
//   [C]             objects_of, scored_objects, *_sum, *_min, *_max
//   [C*(C+1)/2]     cooccurrence, lower triangle with diagonal: (a, b), b <= a, at
//                   a*(a+1)/2 + b; the diagonal (a, a) is images_with(a)
//   [C*objects_buckets]   objects_distribution; bucket 0 is NOT stored (always 0 here),
//                          it is derived as frames - images_with(c)
//   [C*heatmap_cells]     heatmap
//   [C*confidence_bins]   confidence_histogram
//   [C*size_bins]         width_histogram, height_histogram, area_histogram
//   frame-level           objects_per_frame, classes_per_frame, covered_area
// *_min/*_max are +inf/-inf for classes without boxes.
template <class Count>
struct BasicStatsData {
  StatsLayout layout;
  uint32_t num_classes = 0;
  Count frames = 0;
  Count objects = 0;
  std::vector<Count> objects_of, scored_objects;
  std::vector<int64_t> confidence_sum, area_sum, width_sum, height_sum, box_area_sum;
  std::vector<float> width_min, width_max, height_min, height_max, box_area_min, box_area_max;
  std::vector<Count> cooccurrence;
  std::vector<Count> objects_distribution;
  std::vector<Count> heatmap;
  std::vector<Count> confidence_histogram, width_histogram, height_histogram, area_histogram;
  std::vector<Count> objects_per_frame, classes_per_frame, covered_area;

  bool operator==(const BasicStatsData&) const = default;

  // Sizes the frame-level tables for `layout` (call after setting layout).
  void init();
  // Grows to `classes` classes (no-op when already that large); new entries are zero.
  void grow(uint32_t classes);
  // Zeroes every count, keeping num_classes and capacity.
  void zero();
  // Bytes held by the vectors (capacity).
  size_t bytes() const;
  // Resets the min/max arrays to +inf/-inf.
  void reset_min_max();
  // Combines other's min/max into ours (other may have fewer classes).
  template <class Other>
  void combine_min_max(const BasicStatsData<Other>& other);
};

// The plain exported form of Stats: what baseline files and the gRPC API serialise.
using StatsData = BasicStatsData<int64_t>;
// One part of a window (a pane or a block of frames, core/sliding_window.h): the same
// tables in uint32 counters.
using PartData = BasicStatsData<uint32_t>;

// One frame reduced to the bins and values it contributes (computed once, applied to any
// number of tables). Windows keep these to subtract a frame later.
struct FrameDigest {
  static constexpr uint8_t kUnscored = 255;
  struct Object {
    ClassId class_id;
    uint16_t cell;
    uint8_t confidence_bin;  // kUnscored when the detection has no confidence
    uint8_t width_bin, height_bin, area_bin;
    float confidence, width, height, area;
  };
  struct Class {
    ClassId class_id;
    uint32_t count;
    int64_t area_fixed;  // to_fixed(union area of the class's boxes)
  };
  std::vector<Object> objects;
  std::vector<Class> classes;  // ascending class_id
  uint32_t objects_bucket = 0, classes_bucket = 0, covered_bin = 0;
  uint32_t class_limit = 0;  // largest class id + 1 (0 for an empty frame)
};

// Builds FrameDigests; owns the scratch buffers so that steady state does not allocate.
class FrameDigester {
 public:
  static constexpr int kRaster = 64;  // covered-area raster, kRaster x kRaster cells
  // Boxes of one class on a frame up to which their union uses the slab bitmasks (exactly
  // core::union_area's result); more use core::union_area_swept (O(n log n)).
  static constexpr size_t kSlabBoxes = 64;

  // REQUIRES: layout.check() is empty; size bins <= 255, heatmap cells <= 65536.
  void digest(const Frame& frame, const StatsLayout& layout, FrameDigest& out);

 private:
  double union_area(std::span<const Box> boxes);
  double covered_fraction(const std::vector<Detection>& dets);

  std::vector<uint64_t> keys_;  // class << 32 | detection index
  std::vector<Box> boxes_;
  std::vector<float> xs_, ys_;
  std::vector<uint64_t> xkeys_, ykeys_, cols_;
  std::vector<uint32_t> x0_, x1_, y0_, y1_;
  UnionAreaScratch swept_;
  uint64_t raster_[kRaster] = {};
};

// Applies a digest to tables with sign +1 or -1; with update_min_max, also folds the boxes
// into *_min/*_max (only meaningful for sign +1).
template <class Count>
void apply_digest(BasicStatsData<Count>& d, const FrameDigest& g, int sign, bool update_min_max);

// Folds one detection's width, height and area into its class's *_min/*_max.
// REQUIRES: o.class_id < d.num_classes.
template <class Count>
void fold_min_max(BasicStatsData<Count>& d, const FrameDigest::Object& o) {
  const size_t c = o.class_id;
  d.width_min[c] = std::min(d.width_min[c], o.width);
  d.width_max[c] = std::max(d.width_max[c], o.width);
  d.height_min[c] = std::min(d.height_min[c], o.height);
  d.height_max[c] = std::max(d.height_max[c], o.height);
  d.box_area_min[c] = std::min(d.box_area_min[c], o.area);
  d.box_area_max[c] = std::max(d.box_area_max[c], o.area);
}

// dst += sign * src (counts and sums; src may have fewer classes, dst grows to cover it).
// min/max are combined when sign > 0 and left alone otherwise.
template <class Dst, class Src>
void merge_data(BasicStatsData<Dst>& dst, const BasicStatsData<Src>& src, int sign);

struct SizeSummary {
  double min = std::numeric_limits<double>::quiet_NaN();
  double max = std::numeric_limits<double>::quiet_NaN();
  double mean = std::numeric_limits<double>::quiet_NaN();
};

class Stats {
 public:
  // REQUIRES: layout.check() is empty.
  explicit Stats(const StatsLayout& layout = {});

  void add(const Frame& frame);
  // REQUIRES: `frame` (equal content) was added before and not yet subtracted.
  void subtract(const Frame& frame);
  void apply(const FrameDigest& digest, int sign, bool update_min_max = true);
  // this += sign * other. REQUIRES: same layout.
  void merge(const Stats& other, int sign);
  template <class Count>
  void merge(const BasicStatsData<Count>& other, int sign) {
    merge_data(d_, other, sign);
  }
  // Zeroes the tables (keeps classes and capacity).
  void clear() { d_.zero(); }
  // Grows the tables to `classes` classes now (e.g. from a registry's size).
  void reserve_classes(uint32_t classes) { d_.grow(classes); }

  const StatsLayout& layout() const { return d_.layout; }
  uint32_t num_classes() const { return d_.num_classes; }
  int64_t frames() const { return d_.frames; }
  int64_t objects() const { return d_.objects; }

  // Class balance.
  int64_t images_with(ClassId c) const {
    return c < d_.num_classes ? d_.cooccurrence[tri(c, c)] : 0;
  }
  int64_t objects_of(ClassId c) const { return c < d_.num_classes ? d_.objects_of[c] : 0; }
  // objects_of / images_with; NaN when no image has c.
  double avg_count_on_image(ClassId c) const;
  // Mean over images containing c of 100 * union area of c's boxes / image area; NaN when
  // no image has c.
  double avg_area_pct(ClassId c) const;
  // Mean confidence of c's scored detections; NaN when there are none.
  double mean_confidence(ClassId c) const;
  int64_t scored_objects(ClassId c) const { return c < d_.num_classes ? d_.scored_objects[c] : 0; }

  // Co-occurrence: frames with both a and b (symmetric); pair_images(a, a) == images_with(a).
  int64_t pair_images(ClassId a, ClassId b) const;

  // Objects distribution of c: objects_buckets() values, bucket 0 = frames - images_with(c).
  std::vector<int64_t> objects_distribution(ClassId c) const;
  // G*G counts, row-major, row = y cell (0 at the top).
  std::span<const int64_t> heatmap(ClassId c) const;
  std::span<const int64_t> confidence_histogram(ClassId c) const;
  std::span<const int64_t> width_histogram(ClassId c) const;
  std::span<const int64_t> height_histogram(ClassId c) const;
  std::span<const int64_t> area_histogram(ClassId c) const;
  // Box width/height (fractions of the image side) and area (fraction of the image area).
  // See the header comment for what min/max mean on a bare Stats.
  SizeSummary width_summary(ClassId c) const;
  SizeSummary height_summary(ClassId c) const;
  SizeSummary area_summary(ClassId c) const;

  std::span<const int64_t> objects_per_frame_histogram() const { return d_.objects_per_frame; }
  std::span<const int64_t> classes_per_frame_histogram() const { return d_.classes_per_frame; }
  std::span<const int64_t> covered_area_histogram() const { return d_.covered_area; }

  // The tables, read-only (for serialisers that want every array at once).
  const StatsData& data() const { return d_; }
  StatsData to_data() const { return d_; }
  // REQUIRES: data is consistent (as produced by to_data(), or decoded and validated).
  static Stats from_data(const StatsData& data);
  // Empty when `data`'s array sizes match its layout and num_classes; else what is wrong.
  static std::string check_data(const StatsData& data);

  size_t bytes() const { return d_.bytes() + sizeof(*this); }

 private:
  friend class TimeWindow;
  friend class CountWindow;

  static size_t tri(ClassId a, ClassId b) { return size_t(a) * (a + 1) / 2 + b; }
  std::span<const int64_t> per_class(const std::vector<int64_t>& v, ClassId c, size_t n) const;
  SizeSummary summary(ClassId c, const std::vector<int64_t>& sum, const std::vector<float>& mn,
                      const std::vector<float>& mx) const;

  StatsData d_;
  FrameDigester digester_;
  FrameDigest digest_;
  std::vector<int64_t> zeros_;  // backs spans of classes >= num_classes
};

}  // namespace predwatch::core
