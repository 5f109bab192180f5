#include "core/packed_part.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <limits>

namespace predwatch::core {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Calls f(i) for each i in [0, n) with s[i] != 0, ascending; runs of 8 zeros are skipped
// with one test (most of a part's counters are zero).
template <class F>
void for_nonzero(const uint32_t* s, size_t n, F f) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint32_t any = 0;
    for (size_t j = 0; j < 8; ++j) any |= s[i + j];
    if (any == 0) continue;
    for (size_t j = 0; j < 8; ++j)
      if (s[i + j] != 0) f(i + j);
  }
  for (; i < n; ++i)
    if (s[i] != 0) f(i);
}

std::array<size_t, PackedPart::kTables> widths_of(const StatsLayout& L) {
  return {L.objects_buckets(), L.heatmap_cells(), L.confidence_bins,
          L.size_bins,         L.size_bins,       L.size_bins};
}

}  // namespace

void PackedPart::clear(const StatsLayout& layout) {
  layout_ = layout;
  num_classes_ = frames_ = objects_ = 0;
  classes_.clear();
  slot_.clear();
  bin_.clear();
  wide_ = false;
  count_.clear();
  count16_.clear();
  co_col_.clear();
  co_count_.clear();
  objects_per_frame_.assign(layout.objects_per_frame_buckets(), 0);
  classes_per_frame_.assign(layout.classes_per_frame_buckets(), 0);
  covered_area_.assign(layout.covered_area_bins, 0);
}

void PackedPart::pack(const PartData& d) {
  assert(d.layout.heatmap_cells() <= 65536);
  layout_ = d.layout;
  num_classes_ = d.num_classes;
  frames_ = d.frames;
  objects_ = d.objects;
  classes_.clear();
  bin_.clear();
  count_.clear();
  co_col_.clear();
  co_count_.clear();
  objects_per_frame_.assign(d.objects_per_frame.begin(), d.objects_per_frame.end());
  classes_per_frame_.assign(d.classes_per_frame.begin(), d.classes_per_frame.end());
  covered_area_.assign(d.covered_area.begin(), d.covered_area.end());

  const std::array<const std::vector<uint32_t>*, kTables> tables = {
      &d.objects_distribution, &d.heatmap,          &d.confidence_histogram,
      &d.width_histogram,      &d.height_histogram, &d.area_histogram};
  const std::array<size_t, kTables> widths = widths_of(layout_);
  const uint32_t* co = d.cooccurrence.data();
  for (uint32_t c = 0; c < num_classes_; ++c) {
    Class k;
    k.id = c;
    k.objects_of = d.objects_of[c];
    k.scored_objects = d.scored_objects[c];
    k.min_max[0] = d.width_min[c];
    k.min_max[1] = d.width_max[c];
    k.min_max[2] = d.height_min[c];
    k.min_max[3] = d.height_max[c];
    k.min_max[4] = d.box_area_min[c];
    k.min_max[5] = d.box_area_max[c];
    k.sums[0] = d.confidence_sum[c];
    k.sums[1] = d.area_sum[c];
    k.sums[2] = d.width_sum[c];
    k.sums[3] = d.height_sum[c];
    k.sums[4] = d.box_area_sum[c];
    bool present = k.objects_of != 0 || k.scored_objects != 0;
    for (int i = 0; i < 6; i += 2) present = present || !(k.min_max[i] == kInf);
    for (int i = 1; i < 6; i += 2) present = present || !(k.min_max[i] == -kInf);
    for (int64_t s : k.sums) present = present || s != 0;
    const size_t mark = count_.size(), co_mark = co_count_.size();
    for (size_t t = 0; t < kTables; ++t) {
      k.begin[t] = uint32_t(count_.size());
      const size_t w = widths[t];
      const uint32_t* s = tables[t]->data() + size_t(c) * w;
      for_nonzero(s, w, [&](size_t i) {
        bin_.push_back(uint16_t(i));
        count_.push_back(s[i]);
      });
    }
    k.begin[kTables] = uint32_t(count_.size());
    const size_t row = size_t(c) * (c + 1) / 2;
    k.co_begin = uint32_t(co_count_.size());
    for_nonzero(co + row, size_t(c) + 1, [&](size_t b) {
      co_col_.push_back(uint32_t(b));
      co_count_.push_back(co[row + b]);
    });
    k.co_end = uint32_t(co_count_.size());
    present = present || count_.size() > mark || co_count_.size() > co_mark;
    if (present) classes_.push_back(k);
  }
  slot_.clear();
  if (num_classes_ < kNoSlot) {
    slot_.assign(num_classes_, kNoSlot);
    for (size_t i = 0; i < classes_.size(); ++i) slot_[classes_[i].id] = uint16_t(i);
  }
  // Narrow the counts when they all fit in 16 bits.
  wide_ = std::any_of(count_.begin(), count_.end(), [](uint32_t n) { return n > 0xffff; });
  if (wide_) {
    count16_.clear();
  } else {
    count16_.assign(count_.begin(), count_.end());
    count_.clear();
  }
}

void PackedPart::shrink_to_fit() {
  classes_.shrink_to_fit();
  slot_.shrink_to_fit();
  bin_.shrink_to_fit();
  count_.shrink_to_fit();
  count16_.shrink_to_fit();
  co_col_.shrink_to_fit();
  co_count_.shrink_to_fit();
}

void PackedPart::unpack(PartData& d) const {
  d.layout = layout_;
  d.init();
  for (auto* v :
       {&d.objects_of, &d.scored_objects, &d.cooccurrence, &d.objects_distribution, &d.heatmap,
        &d.confidence_histogram, &d.width_histogram, &d.height_histogram, &d.area_histogram}) {
    v->clear();
  }
  for (auto* v : {&d.confidence_sum, &d.area_sum, &d.width_sum, &d.height_sum, &d.box_area_sum})
    v->clear();
  for (auto* v :
       {&d.width_min, &d.width_max, &d.height_min, &d.height_max, &d.box_area_min, &d.box_area_max})
    v->clear();
  d.num_classes = 0;
  d.frames = d.objects = 0;
  add_to(d, +1);
}

template <class Count>
void PackedPart::add_to(BasicStatsData<Count>& d, int sign) const {
  assert(d.layout == layout_);
  d.grow(num_classes_);
  const bool add = sign > 0;
  auto acc = [add](Count& x, uint32_t v) {
    if (add) {
      x += Count(v);
    } else {
      x -= Count(v);
    }
  };
  auto acc64 = [add](int64_t& x, int64_t v) {
    if (add) {
      x += v;
    } else {
      x -= v;
    }
  };
  acc(d.frames, frames_);
  acc(d.objects, objects_);
  for (size_t i = 0; i < objects_per_frame_.size(); ++i)
    acc(d.objects_per_frame[i], objects_per_frame_[i]);
  for (size_t i = 0; i < classes_per_frame_.size(); ++i)
    acc(d.classes_per_frame[i], classes_per_frame_[i]);
  for (size_t i = 0; i < covered_area_.size(); ++i) acc(d.covered_area[i], covered_area_[i]);

  const std::array<Count*, kTables> tables = {
      d.objects_distribution.data(), d.heatmap.data(),          d.confidence_histogram.data(),
      d.width_histogram.data(),      d.height_histogram.data(), d.area_histogram.data()};
  const std::array<size_t, kTables> widths = widths_of(layout_);
  Count* co = d.cooccurrence.data();
  for (const Class& k : classes_) {
    const size_t c = k.id;
    acc(d.objects_of[c], k.objects_of);
    acc(d.scored_objects[c], k.scored_objects);
    acc64(d.confidence_sum[c], k.sums[0]);
    acc64(d.area_sum[c], k.sums[1]);
    acc64(d.width_sum[c], k.sums[2]);
    acc64(d.height_sum[c], k.sums[3]);
    acc64(d.box_area_sum[c], k.sums[4]);
    for (size_t t = 0; t < kTables; ++t) {
      Count* dst = tables[t] + c * widths[t];
      if (wide_) {
        for (uint32_t e = k.begin[t]; e < k.begin[t + 1]; ++e) acc(dst[bin_[e]], count_[e]);
      } else {
        for (uint32_t e = k.begin[t]; e < k.begin[t + 1]; ++e) acc(dst[bin_[e]], count16_[e]);
      }
    }
    Count* row = co + c * (c + 1) / 2;
    for (uint32_t e = k.co_begin; e < k.co_end; ++e) acc(row[co_col_[e]], co_count_[e]);
  }
  if (add) combine_min_max_into(d);
}

template <class Count>
void PackedPart::combine_min_max_into(BasicStatsData<Count>& d) const {
  d.grow(num_classes_);
  for (const Class& k : classes_) {
    const size_t c = k.id;
    d.width_min[c] = std::min(d.width_min[c], k.min_max[0]);
    d.width_max[c] = std::max(d.width_max[c], k.min_max[1]);
    d.height_min[c] = std::min(d.height_min[c], k.min_max[2]);
    d.height_max[c] = std::max(d.height_max[c], k.min_max[3]);
    d.box_area_min[c] = std::min(d.box_area_min[c], k.min_max[4]);
    d.box_area_max[c] = std::max(d.box_area_max[c], k.min_max[5]);
  }
}

template void PackedPart::add_to(BasicStatsData<int64_t>&, int) const;
template void PackedPart::add_to(BasicStatsData<uint32_t>&, int) const;
template void PackedPart::combine_min_max_into(BasicStatsData<int64_t>&) const;
template void PackedPart::combine_min_max_into(BasicStatsData<uint32_t>&) const;

const PackedPart::Class* PackedPart::find(ClassId c) const {
  if (!slot_.empty() || num_classes_ == 0) {
    return c < slot_.size() && slot_[c] != kNoSlot ? &classes_[slot_[c]] : nullptr;
  }
  auto it = std::lower_bound(classes_.begin(), classes_.end(), c,
                             [](const Class& k, ClassId id) { return k.id < id; });
  return it != classes_.end() && it->id == c ? &*it : nullptr;
}

uint32_t PackedPart::objects_of(ClassId c) const {
  const Class* k = find(c);
  return k ? k->objects_of : 0;
}

uint32_t PackedPart::scored_objects(ClassId c) const {
  const Class* k = find(c);
  return k ? k->scored_objects : 0;
}

uint32_t PackedPart::pair(ClassId a, ClassId b) const {
  if (a < b) std::swap(a, b);
  const Class* k = find(a);
  if (k == nullptr) return 0;
  const uint32_t* first = co_col_.data() + k->co_begin;
  const uint32_t* last = co_col_.data() + k->co_end;
  const uint32_t* it = std::lower_bound(first, last, b);
  return it != last && *it == b ? co_count_[size_t(it - co_col_.data())] : 0;
}

PackedPart::Bins PackedPart::bins(Table t, ClassId c) const {
  const Class* k = find(c);
  if (k == nullptr) return {};
  const size_t b = k->begin[t], n = k->begin[t + 1] - b;
  Bins out;
  out.bin = {bin_.data() + b, n};
  if (wide_) {
    out.count32 = count_.data() + b;
  } else {
    out.count16 = count16_.data() + b;
  }
  return out;
}

size_t PackedPart::bytes() const {
  return classes_.capacity() * sizeof(Class) +
         (bin_.capacity() + count16_.capacity() + slot_.capacity()) * sizeof(uint16_t) +
         (count_.capacity() + co_col_.capacity() + co_count_.capacity() +
          objects_per_frame_.capacity() + classes_per_frame_.capacity() +
          covered_area_.capacity()) *
             sizeof(uint32_t);
}

}  // namespace predwatch::core
