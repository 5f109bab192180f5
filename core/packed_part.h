// PackedPart: a window part (a closed pane or count-window block, core/sliding_window.h)
// stored sparsely. It holds exactly the tables of a PartData (BasicStatsData<uint32_t>):
// the same integer counts, the same int64 fixed-point sums, the same per-class box size
// min/max and num_classes, so that pack() followed by unpack() gives back an equal PartData
// (operator==), and add_to() adds the same numbers merge_data() would.
//
// Layout:
//   - frame-level tables (objects_per_frame, classes_per_frame, covered_area) stay dense:
//     they are small and do not grow with the classes;
//   - per class: only the classes present in the part are stored, each a `Class` record in
//     ascending class id. A class is present when any of its values differs from an empty
//     part's (a count or sum != 0, a min/max that is finite, a pair (c, b <= c) != 0); for
//     a part that is a sum of frames these are exactly the classes with objects_of > 0.
//     The record carries the class's scalars (objects_of, scored_objects, the five sums,
//     the six min/max) and the ranges of its entries in the sparse tables;
//   - the class-major histograms (objects_distribution, heatmap, confidence, width, height,
//     area) are CSR by class: the nonzero bins of class c, ascending, as (uint16 bin, count)
//     in two parallel arrays shared by the six tables (heatmap cells <= 65536); the counts
//     are uint16 when every one of the part's fits (the usual case: a 1 min pane at 10 fps
//     has 600 frames), else uint32;
//   - the co-occurrence triangle, row a = pairs (a, b <= a), is CSR by row the same way with
//     uint32 column indices (the diagonal (a, a) is images_with(a)).
// A 10 s pane of a real stream at C = 80 touches a few thousand of the 33k dense counters
// (mostly heatmap cells): the packed form is a fraction of the dense one (docs/BENCHMARKS.md
// "Memory per stream (packed parts)"). Reading a class: binary search among the present
// classes, O(log k); a table slice: its nonzero bins.
//
// Cost: pack is O(dense size) (one pass over every table), unpack/add_to are O(dense size of
// the frame-level tables + classes) plus O(stored entries). Reuses its capacity when packed
// again. Thread-compatible: const methods may run concurrently.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/frame.h"
#include "core/stats.h"
#include "core/stats_layout.h"

namespace predwatch::core {

class PackedPart {
 public:
  // The sparse class-major histograms.
  enum Table : uint8_t {
    kObjectsDistribution,  // buckets 0..max_objects_bucket (bucket 0 is always 0 in a part)
    kHeatmap,
    kConfidence,
    kWidth,
    kHeight,
    kArea,
    kTables
  };
  // The nonzero bins of one class's slice of a table, ascending bin index; their counts are
  // in count16 or count32 (the other is null), as the part stores them.
  struct Bins {
    std::span<const uint16_t> bin;
    const uint16_t* count16 = nullptr;
    const uint32_t* count32 = nullptr;
    size_t size() const { return bin.size(); }
    uint32_t count(size_t e) const { return count16 ? count16[e] : count32[e]; }
  };

  PackedPart() = default;
  explicit PackedPart(const PartData& dense) { pack(dense); }

  // Replaces the contents with `dense` (reusing capacity).
  // REQUIRES: dense.layout.check() is empty and dense's arrays are sized for its layout and
  // num_classes (as BasicStatsData::grow/init leave them).
  void pack(const PartData& dense);
  // dense = the packed part exactly (layout, num_classes, every table).
  void unpack(PartData& dense) const;
  // d += sign * this, as merge_data(d, unpacked, sign): counts and sums, d grows to
  // num_classes(); min/max are combined when sign > 0 and left alone otherwise.
  // REQUIRES: d.layout == layout().
  template <class Count>
  void add_to(BasicStatsData<Count>& d, int sign) const;
  // Combines the per-class min/max into d's (d grows to num_classes()).
  template <class Count>
  void combine_min_max_into(BasicStatsData<Count>& d) const;
  // An empty part of `layout` with no classes.
  void clear(const StatsLayout& layout);
  // Releases spare capacity (for a part that will not be packed again soon).
  void shrink_to_fit();

  const StatsLayout& layout() const { return layout_; }
  uint32_t num_classes() const { return num_classes_; }
  uint32_t frames() const { return frames_; }
  uint32_t objects() const { return objects_; }
  uint32_t objects_of(ClassId c) const;
  uint32_t scored_objects(ClassId c) const;
  uint32_t images_with(ClassId c) const { return pair(c, c); }
  // Frames with both a and b (symmetric).
  uint32_t pair(ClassId a, ClassId b) const;
  Bins bins(Table t, ClassId c) const;
  std::span<const uint32_t> objects_per_frame() const { return objects_per_frame_; }
  std::span<const uint32_t> classes_per_frame() const { return classes_per_frame_; }
  std::span<const uint32_t> covered_area() const { return covered_area_; }
  size_t classes_present() const { return classes_.size(); }
  size_t entries() const { return bin_.size() + co_count_.size(); }
  // Whether the histogram counts are stored in 32 bits (some count > 65535).
  bool wide() const { return wide_; }

  // Bytes held by the vectors (capacity), not counting sizeof(*this).
  size_t bytes() const;

 private:
  struct Class {
    ClassId id;
    uint32_t objects_of, scored_objects;
    // width_min, width_max, height_min, height_max, box_area_min, box_area_max
    float min_max[6];
    // confidence_sum, area_sum, width_sum, height_sum, box_area_sum
    int64_t sums[5];
    uint32_t begin[kTables + 1];  // table t's entries: [begin[t], begin[t + 1])
    uint32_t co_begin, co_end;    // co-occurrence row entries
  };
  const Class* find(ClassId c) const;
  // slot_[c]: the index of class c in classes_, kNoSlot when absent: find() in O(1) (the
  // evaluator looks classes up in every part for every test). Empty when there are more
  // classes than a slot can name; find() then searches classes_.
  static constexpr uint16_t kNoSlot = 0xffff;
  std::vector<uint16_t> slot_;

  StatsLayout layout_;
  uint32_t num_classes_ = 0, frames_ = 0, objects_ = 0;
  std::vector<Class> classes_;
  std::vector<uint16_t> bin_;
  // The histogram counts: count16_ when they all fit in 16 bits, else count_.
  bool wide_ = false;
  std::vector<uint32_t> count_;
  std::vector<uint16_t> count16_;
  std::vector<uint32_t> co_col_, co_count_;
  std::vector<uint32_t> objects_per_frame_, classes_per_frame_, covered_area_;
};

}  // namespace predwatch::core
