#include "core/packed_part.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <vector>

namespace predwatch::core {
namespace {

// A random digest, consistent with itself (classes = the objects' classes, ascending, with
// their counts), bins within `L`.
FrameDigest random_digest(std::mt19937& rng, const StatsLayout& L, uint32_t class_pool) {
  FrameDigest g;
  const int n = std::uniform_int_distribution<int>(0, 9)(rng);
  std::map<ClassId, uint32_t> per_class;
  std::uniform_real_distribution<float> unit(0.f, 1.f);
  for (int i = 0; i < n; ++i) {
    FrameDigest::Object o;
    o.class_id = ClassId(rng() % class_pool);
    o.cell = uint16_t(rng() % L.heatmap_cells());
    o.confidence_bin = rng() % 4 == 0 ? FrameDigest::kUnscored : uint8_t(rng() % L.confidence_bins);
    o.width_bin = uint8_t(rng() % L.size_bins);
    o.height_bin = uint8_t(rng() % L.size_bins);
    o.area_bin = uint8_t(rng() % L.size_bins);
    o.confidence = unit(rng);
    o.width = unit(rng);
    o.height = unit(rng);
    o.area = o.width * o.height;
    g.objects.push_back(o);
    ++per_class[o.class_id];
  }
  for (const auto& [c, count] : per_class) {
    g.classes.push_back({c, count, to_fixed(unit(rng))});
    g.class_limit = c + 1;
  }
  g.objects_bucket = uint32_t(rng() % L.objects_per_frame_buckets());
  g.classes_bucket = uint32_t(rng() % L.classes_per_frame_buckets());
  g.covered_bin = uint32_t(rng() % L.covered_area_bins);
  return g;
}

StatsLayout layout_for(int seed) {
  StatsLayout L;
  if (seed % 2) {
    L.heatmap_grid = 3;
    L.max_objects_bucket = 2;
    L.confidence_bins = 4;
    L.size_bins = 5;
    L.max_objects_per_frame = 4;
    L.max_classes_per_frame = 2;
    L.covered_area_bins = 3;
  }
  return L;
}

// Every accessor of the packed part against the dense tables.
void expect_reads_equal(const PackedPart& p, const PartData& d, int seed) {
  const StatsLayout& L = d.layout;
  ASSERT_EQ(p.num_classes(), d.num_classes);
  ASSERT_EQ(p.frames(), d.frames);
  ASSERT_EQ(p.objects(), d.objects);
  ASSERT_TRUE(std::ranges::equal(p.objects_per_frame(), d.objects_per_frame));
  ASSERT_TRUE(std::ranges::equal(p.classes_per_frame(), d.classes_per_frame));
  ASSERT_TRUE(std::ranges::equal(p.covered_area(), d.covered_area));
  const std::vector<uint32_t> PartData::*tables[] = {
      &PartData::objects_distribution, &PartData::heatmap,          &PartData::confidence_histogram,
      &PartData::width_histogram,      &PartData::height_histogram, &PartData::area_histogram};
  const size_t widths[] = {L.objects_buckets(), L.heatmap_cells(), L.confidence_bins,
                           L.size_bins,         L.size_bins,       L.size_bins};
  for (ClassId c = 0; c < d.num_classes + 2; ++c) {
    const bool in = c < d.num_classes;
    ASSERT_EQ(p.objects_of(c), in ? d.objects_of[c] : 0u) << "seed " << seed;
    ASSERT_EQ(p.scored_objects(c), in ? d.scored_objects[c] : 0u) << "seed " << seed;
    for (ClassId b = 0; b < d.num_classes + 2; ++b) {
      const ClassId hi = std::max(b, c), lo = std::min(b, c);
      const uint32_t want = hi < d.num_classes ? d.cooccurrence[size_t(hi) * (hi + 1) / 2 + lo] : 0;
      ASSERT_EQ(p.pair(c, b), want) << "seed " << seed << " pair " << c << "," << b;
    }
    for (size_t t = 0; t < PackedPart::kTables; ++t) {
      std::vector<uint32_t> dense(widths[t], 0);
      if (in) {
        const auto& v = d.*tables[t];
        std::copy_n(v.begin() + ptrdiff_t(c * widths[t]), widths[t], dense.begin());
      }
      std::vector<uint32_t> from_packed(widths[t], 0);
      const PackedPart::Bins bins = p.bins(PackedPart::Table(t), c);
      if (p.wide()) {
        ASSERT_EQ(bins.count16, nullptr);
      } else if (bins.size() > 0) {
        ASSERT_NE(bins.count16, nullptr);
      }
      for (size_t e = 0; e < bins.size(); ++e) {
        ASSERT_LT(bins.bin[e], widths[t]);
        if (e > 0) {
          ASSERT_LT(bins.bin[e - 1], bins.bin[e]);  // ascending
        }
        ASSERT_NE(bins.count(e), 0u);  // only nonzero bins
        from_packed[bins.bin[e]] = bins.count(e);
      }
      ASSERT_EQ(from_packed, dense) << "seed " << seed << " table " << t << " class " << c;
    }
  }
}

// Round trip and merging for parts built from random digests, some of them subtracted
// again (as count-window blocks are).
TEST(PackedPart, RoundTripAndMergeMatchDense) {
  for (int seed = 0; seed < 300; ++seed) {
    std::mt19937 rng(seed);
    const StatsLayout L = layout_for(seed);
    const uint32_t pool = 1 + rng() % 40;
    PartData d;
    d.layout = L;
    d.init();
    std::vector<FrameDigest> held;
    const int frames = std::uniform_int_distribution<int>(0, 60)(rng);
    const bool min_max = seed % 3 != 0;  // panes keep min/max, blocks do not
    for (int i = 0; i < frames; ++i) {
      held.push_back(random_digest(rng, L, pool));
      apply_digest(d, held.back(), +1, min_max);
      if (!min_max && rng() % 3 == 0) {  // a frame leaves again
        const size_t j = rng() % held.size();
        apply_digest(d, held[j], -1, false);
        held.erase(held.begin() + ptrdiff_t(j));
      }
    }
    // Counts beyond 16 bits (a long pane at a high frame rate) are stored in 32 bits.
    const bool wide = seed % 7 == 0 && d.num_classes > 0;
    if (wide) d.heatmap[d.heatmap.size() - 1] += 70'000;
    const PackedPart p(d);
    ASSERT_EQ(p.wide(), wide) << "seed " << seed;
    expect_reads_equal(p, d, seed);
    if (HasFatalFailure()) return;

    PartData back;
    back.layout = L;
    back.init();
    if (seed % 5 == 0) {  // unpack reuses a larger part's storage
      for (int i = 0; i < 20; ++i) apply_digest(back, random_digest(rng, L, 50), +1, true);
    }
    p.unpack(back);
    ASSERT_TRUE(back == d) << "unpack differs, seed " << seed;

    // add_to == merge_data, both signs, into an int64 sum that already holds something.
    StatsData base;
    base.layout = L;
    base.init();
    for (int i = 0; i < 10; ++i) apply_digest(base, random_digest(rng, L, pool + 3), +1, true);
    for (int sign : {+1, -1}) {
      StatsData want = base, have = base;
      merge_data(want, d, sign);
      p.add_to(have, sign);
      ASSERT_TRUE(have == want) << "add_to differs, seed " << seed << " sign " << sign;
    }
    StatsData want = base, have = base;
    want.combine_min_max(d);
    p.combine_min_max_into(have);
    ASSERT_TRUE(have == want) << "min/max differ, seed " << seed;

    // Packing again reuses the storage and forgets the old contents.
    PackedPart q(back);
    PartData empty;
    empty.layout = L;
    empty.init();
    q.pack(empty);
    EXPECT_EQ(q.classes_present(), 0u);
    EXPECT_EQ(q.entries(), 0u);
    q.pack(d);
    expect_reads_equal(q, d, seed);
    if (HasFatalFailure()) return;
  }
}

TEST(PackedPart, SparseIsSmall) {
  // One class seen in 100 frames at 80 classes: a dense part has 80 * 256 heatmap cells.
  std::mt19937 rng(1);
  StatsLayout L;
  PartData d;
  d.layout = L;
  d.init();
  d.grow(80);
  for (int i = 0; i < 100; ++i) apply_digest(d, random_digest(rng, L, 1), +1, true);
  const PackedPart p(d);
  EXPECT_EQ(p.classes_present(), 1u);
  EXPECT_LT(p.bytes() * 20, d.bytes());
}

TEST(PackedPart, ClearIsAnEmptyPart) {
  StatsLayout L;
  PackedPart p;
  p.clear(L);
  PartData d;
  d.layout = L;
  d.init();
  p.unpack(d);
  PartData want;
  want.layout = L;
  want.init();
  EXPECT_TRUE(d == want);
  EXPECT_EQ(p.frames(), 0u);
  EXPECT_EQ(p.images_with(3), 0u);
  EXPECT_TRUE(p.bins(PackedPart::kHeatmap, 0).bin.empty());
}

}  // namespace
}  // namespace predwatch::core
