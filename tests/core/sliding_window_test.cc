#include "core/sliding_window.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <random>
#include <vector>

#include "core/box_geometry.h"

namespace predwatch::core {
namespace {

// ---- Naive reference: every table recomputed from scratch, straight from the definitions in
// core/stats.h, without FrameDigest/apply_digest. Box unions use core::union_area (tested on
// its own in box_geometry_test.cc).
uint32_t unit_bin(double v, uint32_t bins) {
  if (!(v > 0)) return 0;
  return std::min<uint32_t>(bins - 1, uint32_t(std::floor(v * bins)));
}
int64_t fx(double v) { return std::llround(v * 16777216.0); }

// Covered fraction on the 64 x 64 raster of core/stats.h: cells whose centre is in a box.
double raster_covered(const std::vector<Box>& boxes) {
  int cells = 0;
  for (int j = 0; j < 64; ++j)
    for (int i = 0; i < 64; ++i) {
      const double cx = (i + 0.5) / 64, cy = (j + 0.5) / 64;
      for (const Box& b : boxes)
        if (b.x_min <= cx && cx < b.x_max && b.y_min <= cy && cy < b.y_max) {
          ++cells;
          break;
        }
    }
  return cells / 4096.0;
}

StatsData naive(const std::vector<const Frame*>& frames, const StatsLayout& L, uint32_t classes) {
  StatsData d;
  d.layout = L;
  d.init();
  d.grow(classes);
  const uint32_t G = L.heatmap_grid;
  for (const Frame* f : frames) {
    d.frames += 1;
    d.objects += int64_t(f->detections.size());
    std::map<ClassId, std::vector<Box>> by_class;
    std::vector<Box> all;
    for (const Detection& x : f->detections) {
      const ClassId c = x.class_id;
      by_class[c].push_back(x.box);
      all.push_back(x.box);
      d.objects_of[c] += 1;
      const uint32_t cx = unit_bin(x.box.center_x(), G), cy = unit_bin(x.box.center_y(), G);
      d.heatmap[c * G * G + cy * G + cx] += 1;
      if (x.confidence >= 0) {
        d.scored_objects[c] += 1;
        d.confidence_sum[c] += fx(x.confidence);
        d.confidence_histogram[c * L.confidence_bins + unit_bin(x.confidence, L.confidence_bins)] +=
            1;
      }
      const float w = x.box.width(), h = x.box.height(), a = x.box.area();
      d.width_histogram[c * L.size_bins + unit_bin(std::sqrt(double(w)), L.size_bins)] += 1;
      d.height_histogram[c * L.size_bins + unit_bin(std::sqrt(double(h)), L.size_bins)] += 1;
      d.area_histogram[c * L.size_bins + unit_bin(std::sqrt(double(a)), L.size_bins)] += 1;
      d.width_sum[c] += fx(w);
      d.height_sum[c] += fx(h);
      d.box_area_sum[c] += fx(a);
      d.width_min[c] = std::min(d.width_min[c], w);
      d.width_max[c] = std::max(d.width_max[c], w);
      d.height_min[c] = std::min(d.height_min[c], h);
      d.height_max[c] = std::max(d.height_max[c], h);
      d.box_area_min[c] = std::min(d.box_area_min[c], a);
      d.box_area_max[c] = std::max(d.box_area_max[c], a);
    }
    for (const auto& [a, boxes] : by_class) {
      d.cooccurrence[size_t(a) * (a + 1) / 2 + a] += 1;
      for (const auto& [b, unused] : by_class)
        if (b < a) d.cooccurrence[size_t(a) * (a + 1) / 2 + b] += 1;
      d.area_sum[a] += fx(union_area(boxes));
      const size_t n = boxes.size();
      d.objects_distribution[a * L.objects_buckets() + std::min<size_t>(n, L.max_objects_bucket)] +=
          1;
    }
    d.objects_per_frame[std::min<size_t>(f->detections.size(), L.max_objects_per_frame)] += 1;
    d.classes_per_frame[std::min<size_t>(by_class.size(), L.max_classes_per_frame)] += 1;
    d.covered_area[unit_bin(raster_covered(all), L.covered_area_bins)] += 1;
  }
  return d;
}

Detection det(ClassId c, Box b, float conf = kNoConfidence) {
  Detection d;
  d.class_id = c;
  d.box = b;
  d.confidence = conf;
  return d;
}

Frame at(int64_t t, std::vector<Detection> dets) {
  Frame f;
  f.time_ms = t;
  f.detections = std::move(dets);
  return f;
}

// ---- Behaviour on small hand-made sequences.

TEST(TimeWindow, PanesLatenessAndEviction) {
  // 3 panes of 10 ms, 5 ms allowed lateness.
  TimeWindow w(30, 10, 5);
  EXPECT_EQ(w.add(at(12, {det(0, {0, 0, .5f, .5f})})), AddResult::kAccepted);
  EXPECT_EQ(w.window_start_ms(), -10);  // head pane [10,20); window = panes -1, 0, 1
  EXPECT_EQ(w.window_end_ms(), 20);
  EXPECT_EQ(w.add(at(25, {det(1, {0, 0, .5f, .5f})})), AddResult::kAccepted);
  EXPECT_EQ(w.watermark_ms(), 25);
  // 21 >= 25 - 5: accepted, into the head pane [20,30).
  EXPECT_EQ(w.add(at(21, {det(1, {0, 0, .5f, .5f})})), AddResult::kAccepted);
  // 19 < 25 - 5: late even though its pane is in the window.
  EXPECT_EQ(w.add(at(19, {})), AddResult::kLate);
  EXPECT_EQ(w.late_frames(), 1u);
  EXPECT_EQ(w.frames_in_window(), 3);
  EXPECT_EQ(w.totals().images_with(1), 2);
  // Advance to 45: head pane [40,50), window [20,50): the frame at 12 leaves.
  w.advance(45);
  EXPECT_EQ(w.window_start_ms(), 20);
  EXPECT_EQ(w.frames_in_window(), 2);
  EXPECT_EQ(w.totals().images_with(0), 0);
  EXPECT_EQ(w.totals().images_with(1), 2);
  // Before the window start: late regardless of lateness.
  EXPECT_EQ(w.add(at(15, {})), AddResult::kLate);
  // A jump past the whole window empties it.
  w.advance(1000);
  EXPECT_EQ(w.frames_in_window(), 0);
  EXPECT_EQ(w.totals().frames(), 0);
  EXPECT_EQ(w.totals().objects_of(1), 0);
  EXPECT_GT(w.bytes(), 0u);
}

TEST(TimeWindow, MinMaxCoverOnlyTheWindow) {
  TimeWindow w(20, 10, 100);
  w.add(at(0, {det(0, {0, 0, 1, 1})}));       // width 1, leaves first
  w.add(at(15, {det(0, {0, 0, .5f, .5f})}));  // width .5
  EXPECT_DOUBLE_EQ(w.totals().width_summary(0).max, 1.0);
  w.advance(25);
  EXPECT_DOUBLE_EQ(w.totals().width_summary(0).max, 0.5);
  EXPECT_DOUBLE_EQ(w.totals().width_summary(0).min, 0.5);
}

TEST(CountWindow, KeepsLastN) {
  CountWindow w(2);
  Window& base = w;  // through the common interface
  base.add(at(0, {det(0, {0, 0, 1, 1})}));
  base.add(at(1, {det(1, {0, 0, .5f, .5f})}));
  base.add(at(2, {det(1, {0, 0, .25f, .25f}), det(2, {0, 0, .25f, .25f})}));
  EXPECT_EQ(base.frames_in_window(), 2);
  EXPECT_EQ(base.totals().images_with(0), 0);
  EXPECT_EQ(base.totals().images_with(1), 2);
  EXPECT_EQ(base.totals().pair_images(1, 2), 1);
  EXPECT_DOUBLE_EQ(base.totals().width_summary(1).max, 0.5);
  EXPECT_TRUE(std::isnan(base.totals().width_summary(0).max));
}

// Memory contract: C = 1000 classes in every pane of a 60-pane window stays well under
// 1 GiB (dense 4-byte pane counters: ~3.5 MB per pane at the default layout).
// Count-window blocks hold consecutive frames; parts() lists them oldest first.
TEST(CountWindow, BlocksInTimeOrder) {
  CountWindow w(8, {}, 4);  // blocks of slots {0,1}, {2,3}, {4,5}, {6,7}
  std::vector<const PackedPart*> parts;
  for (int i = 0; i < 5; ++i) w.add(at(i, {det(ClassId(i), {0, 0, .5f, .5f})}));
  w.parts(parts);  // not full: slot 0 is the oldest
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[0]->frames(), 2u);
  EXPECT_EQ(parts[2]->frames(), 1u);
  EXPECT_EQ(parts[3]->frames(), 0u);
  for (int i = 5; i < 11; ++i) w.add(at(i, {det(ClassId(i), {0, 0, .5f, .5f})}));
  // Frames 3..10 in slots 3,4,5,6,7,0,1,2 (frame i in slot i % 8); the oldest (3) is in
  // block 1, which also holds the newest (10, slot 2).
  w.parts(parts);
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[0]->objects_of(3), 1u);
  EXPECT_EQ(parts[0]->objects_of(10), 1u);
  EXPECT_EQ(parts[1]->objects_of(4), 1u);
  EXPECT_EQ(parts[1]->objects_of(5), 1u);
  EXPECT_EQ(parts[2]->objects_of(6), 1u);
  EXPECT_EQ(parts[3]->objects_of(8), 1u);
  EXPECT_EQ(parts[3]->objects_of(9), 1u);
}

// Closed panes are packed; a late frame into one unpacks it, and it is packed again once no
// frame can reach it. Parts and totals stay exact throughout.
TEST(TimeWindow, LateFrameIntoPackedPane) {
  TimeWindow w(40, 10, 15);  // 4 panes; frames up to 15 ms behind the watermark accepted
  std::vector<const PackedPart*> parts;
  w.add(at(1, {det(0, {0, 0, .5f, .5f})}));
  w.add(at(12, {det(1, {0, 0, .25f, .25f})}));
  w.add(at(21, {det(2, {0, 0, .5f, .25f})}));  // panes 0 and 1 closed (packed)
  EXPECT_EQ(w.add(at(14, {det(3, {0, 0, .1f, .1f})})), AddResult::kAccepted);  // into pane 1
  EXPECT_EQ(w.add(at(5, {})), AddResult::kLate);                               // 5 < 21 - 15
  w.parts(parts);
  ASSERT_EQ(parts.size(), 4u);  // panes -1..2
  EXPECT_EQ(parts[0]->frames(), 0u);
  EXPECT_EQ(parts[1]->frames(), 1u);
  EXPECT_EQ(parts[2]->frames(), 2u);
  EXPECT_EQ(parts[2]->objects_of(3), 1u);
  EXPECT_EQ(parts[2]->pair(1, 3), 0u);
  EXPECT_EQ(parts[3]->objects_of(2), 1u);
  EXPECT_EQ(w.totals().images_with(3), 1);
  EXPECT_DOUBLE_EQ(w.totals().width_summary(3).max, 0.1f);
  // The watermark moves on: pane 1 is out of reach and packed again; then it is evicted.
  w.add(at(35, {}));
  w.parts(parts);
  EXPECT_EQ(parts[1]->frames(), 2u);
  EXPECT_EQ(parts[1]->objects_of(1), 1u);
  w.advance(55);  // window [20, 60): panes 0 and 1 leave
  EXPECT_EQ(w.frames_in_window(), 2);
  EXPECT_EQ(w.totals().images_with(3), 0);
  EXPECT_EQ(w.totals().objects_of(2), 1);
  EXPECT_TRUE(std::isnan(w.totals().width_summary(3).max));
}

// Shared parts stay as they were whatever the window does next: a late frame into the pane
// a reader holds (unpacked into a new dense pane), the pane closing and leaving the window,
// the head pane taking more frames (the reader got a packed copy). Each held part's counts
// are compared with what it showed when taken.
TEST(TimeWindow, SharedPartsDoNotChangeUnderTheReader) {
  TimeWindow w(40, 10, 15);
  w.add(at(1, {det(0, {0, 0, .5f, .5f})}));
  w.add(at(12, {det(1, {0, 0, .25f, .25f})}));
  w.add(at(21, {det(2, {0, 0, .5f, .25f})}));  // panes 0 and 1 closed; pane 2 the head
  std::vector<SharedPart> held;
  w.shared_parts(held);
  ASSERT_EQ(held.size(), 4u);  // panes -1..2
  auto frames_of = [](const std::vector<SharedPart>& v) {
    std::vector<uint32_t> out;
    for (const SharedPart& p : v) out.push_back(p->frames());
    return out;
  };
  const std::vector<uint32_t> before = frames_of(held);
  EXPECT_EQ(before, (std::vector<uint32_t>{0, 1, 1, 1}));
  EXPECT_EQ(w.add(at(14, {det(3, {0, 0, .1f, .1f})})), AddResult::kAccepted);  // into pane 1
  w.add(at(23, {det(2, {0, 0, .5f, .25f})}));                                  // the head
  EXPECT_EQ(held[2]->objects_of(3), 0u);
  EXPECT_EQ(frames_of(held), before);
  std::vector<SharedPart> now;
  w.shared_parts(now);
  EXPECT_EQ(frames_of(now), (std::vector<uint32_t>{0, 1, 2, 2}));
  EXPECT_EQ(now[2]->objects_of(3), 1u);
  w.advance(75);  // every pane leaves
  EXPECT_EQ(w.frames_in_window(), 0);
  EXPECT_EQ(frames_of(held), before);
  EXPECT_EQ(frames_of(now), (std::vector<uint32_t>{0, 1, 2, 2}));
  EXPECT_EQ(held[1]->objects_of(0), 1u);
  EXPECT_EQ(held[2]->objects_of(1), 1u);
}

TEST(CountWindow, SharedBlocksDoNotChangeUnderTheReader) {
  CountWindow w(8, {}, 4);  // blocks of slots {0,1}, {2,3}, {4,5}, {6,7}
  for (int i = 0; i < 8; ++i) w.add(at(i, {det(ClassId(i), {0, 0, .5f, .5f})}));
  std::vector<SharedPart> held;
  w.shared_parts(held);
  ASSERT_EQ(held.size(), 4u);
  // Twice round the ring: every block is unpacked, rewritten and packed again.
  for (int i = 8; i < 24; ++i) w.add(at(i, {det(ClassId(i), {0, 0, .5f, .5f})}));
  for (int b = 0; b < 4; ++b) {
    EXPECT_EQ(held[size_t(b)]->frames(), 2u) << b;
    EXPECT_EQ(held[size_t(b)]->objects_of(ClassId(2 * b)), 1u) << b;
    EXPECT_EQ(held[size_t(b)]->objects_of(ClassId(2 * b + 1)), 1u) << b;
    EXPECT_EQ(held[size_t(b)]->objects_of(ClassId(2 * b + 16)), 0u) << b;
  }
  std::vector<SharedPart> now;
  w.shared_parts(now);
  EXPECT_EQ(now[0]->objects_of(16), 1u);  // frames 16..23 now
}

TEST(TimeWindow, MemoryAtThousandClassesAndSixtyPanes) {
  TimeWindow w(60'000, 1000, 0);
  for (int p = 0; p < 60; ++p) w.add(at(p * 1000, {det(999, {0, 0, .5f, .5f})}));
  EXPECT_EQ(w.totals().num_classes(), 1000u);
  EXPECT_EQ(w.frames_in_window(), 60);
  // The head pane is dense (~3.5 MB), the 59 closed ones are packed (one class each); the
  // int64 sum of the closed panes and the cached totals are ~7 MB each.
  EXPECT_LT(w.bytes(), size_t(20) << 20);
  EXPECT_GT(w.bytes(), size_t(3'000'000));
  std::vector<const PackedPart*> parts;
  w.parts(parts);
  ASSERT_EQ(parts.size(), 60u);
  for (const PackedPart* p : parts) {
    EXPECT_EQ(p->frames(), 1u);
    EXPECT_EQ(p->objects_of(999), 1u);
    EXPECT_EQ(p->classes_present(), 1u);
  }
}

// ---- Randomized property test: windows equal a from-scratch recomputation.

Frame random_frame(std::mt19937& rng, int64_t t, uint32_t class_pool) {
  Frame f;
  f.time_ms = t;
  const int n = std::uniform_int_distribution<int>(0, 7)(rng);
  // Coordinates on a 1/8 grid half the time (shared edges, nested and equal boxes), else
  // arbitrary floats.
  const bool grid = rng() % 2;
  auto coord = [&] {
    return grid ? float(std::uniform_int_distribution<int>(0, 8)(rng)) / 8
                : std::uniform_real_distribution<float>(0, 1)(rng);
  };
  for (int i = 0; i < n; ++i) {
    float x0 = coord(), x1 = coord(), y0 = coord(), y1 = coord();
    Detection d;
    // Skewed classes so that some repeat on a frame.
    d.class_id = std::min(std::uniform_int_distribution<uint32_t>(0, class_pool - 1)(rng),
                          std::uniform_int_distribution<uint32_t>(0, class_pool - 1)(rng));
    d.box = {std::min(x0, x1), std::min(y0, y1), std::max(x0, x1), std::max(y0, y1)};
    if (rng() % 3) d.confidence = std::uniform_real_distribution<float>(0, 1)(rng);
    f.detections.push_back(d);
  }
  return f;
}

void expect_matches(const Stats& got, const std::vector<const Frame*>& frames, const char* what,
                    int seed, int step) {
  const StatsData want = naive(frames, got.layout(), got.num_classes());
  const StatsData have = got.to_data();
  ASSERT_TRUE(have == want) << what << " differs from recomputation, seed " << seed << " step "
                            << step << " frames " << frames.size();
}

TEST(WindowProperty, RandomSequencesMatchRecomputation) {
  const int kSequences = 1200;
  int late_seen = 0, evictions_seen = 0;
  for (int seed = 0; seed < kSequences; ++seed) {
    std::mt19937 rng(seed);
    StatsLayout L;
    if (seed % 2) {  // a small layout too, so that overflow buckets are hit
      L.heatmap_grid = 3;
      L.max_objects_bucket = 2;
      L.confidence_bins = 4;
      L.size_bins = 5;
      L.max_objects_per_frame = 4;
      L.max_classes_per_frame = 2;
      L.covered_area_bins = 3;
    }
    const int64_t pane = std::uniform_int_distribution<int64_t>(1, 20)(rng);
    const int64_t n_panes = std::uniform_int_distribution<int64_t>(1, 6)(rng);
    const int64_t lateness = std::uniform_int_distribution<int64_t>(0, 3 * pane)(rng);
    const size_t count_n = std::uniform_int_distribution<size_t>(1, 12)(rng);
    TimeWindow tw(pane * n_panes, pane, lateness, L);
    CountWindow cw(count_n, L);

    std::deque<Frame> all;  // every frame, in arrival order (stable addresses)
    std::vector<const Frame*> accepted;
    // Model of the time window: head pane and watermark, per the TimeWindow contract.
    bool started = false;
    int64_t head = 0, watermark = INT64_MIN;
    auto pane_of = [&](int64_t t) { return (t >= 0 || t % pane == 0) ? t / pane : t / pane - 1; };
    int64_t clock = std::uniform_int_distribution<int64_t>(-100, 100)(rng);
    uint32_t class_pool = 1;
    const int steps = std::uniform_int_distribution<int>(5, 60)(rng);
    for (int step = 0; step < steps; ++step) {
      if (rng() % 8 == 0 && class_pool < 20) class_pool += 1 + rng() % 3;  // classes arrive
      const int kind = rng() % 10;
      if (kind == 0) {  // advance, sometimes past the whole window
        clock +=
            std::uniform_int_distribution<int64_t>(0, pane * n_panes * (rng() % 4 ? 1 : 3))(rng);
        tw.advance(clock);
        cw.advance(clock);
        const int64_t p = pane_of(clock);
        if (!started) started = true, head = p;
        if (p > head) {
          evictions_seen++;
          head = p;
        }
      } else {
        int64_t t = clock + std::uniform_int_distribution<int64_t>(-2 * pane, pane)(rng);
        if (kind == 1)
          t = clock - std::uniform_int_distribution<int64_t>(0, 4 * pane * n_panes)(rng);
        clock = std::max(clock, t);
        all.push_back(random_frame(rng, t, class_pool));
        const Frame& f = all.back();
        const int64_t p = pane_of(t);
        bool late = started && ((watermark != INT64_MIN && t < watermark - lateness) ||
                                p < head - n_panes + 1);
        ASSERT_EQ(tw.add(f), late ? AddResult::kLate : AddResult::kAccepted)
            << "seed " << seed << " step " << step;
        ASSERT_EQ(cw.add(f), AddResult::kAccepted);
        if (late) {
          late_seen++;
        } else {
          accepted.push_back(&f);
          if (!started) started = true, head = p;
          head = std::max(head, p);
          watermark = std::max(watermark, t);
        }
      }
      ASSERT_EQ(tw.window_start_ms(), started ? (head - n_panes + 1) * pane : 0);
      std::vector<const Frame*> in_time;
      for (const Frame* f : accepted)
        if (f->time_ms >= tw.window_start_ms() && f->time_ms < tw.window_end_ms())
          in_time.push_back(f);
      ASSERT_EQ(tw.frames_in_window(), int64_t(in_time.size()));
      expect_matches(tw.totals(), in_time, "TimeWindow", seed, step);
      std::vector<const Frame*> last_n;
      for (size_t i = all.size() > count_n ? all.size() - count_n : 0; i < all.size(); ++i)
        last_n.push_back(&all[i]);
      expect_matches(cw.totals(), last_n, "CountWindow", seed, step);
      if (HasFatalFailure()) return;
      // Parts: each pane of the time window, oldest first, holds exactly its frames; the
      // count window's blocks sum to its totals (min/max aside: blocks do not keep them).
      std::vector<const PackedPart*> parts;
      tw.parts(parts);
      ASSERT_EQ(parts.size(), started ? size_t(n_panes) : 0u);
      for (size_t i = 0; i < parts.size(); ++i) {
        const int64_t index = head - n_panes + 1 + int64_t(i);
        std::vector<const Frame*> in_pane;
        for (const Frame* f : in_time)
          if (pane_of(f->time_ms) == index) in_pane.push_back(f);
        StatsData have;
        have.layout = L;
        have.init();
        parts[i]->add_to(have, +1);
        ASSERT_TRUE(have == naive(in_pane, L, have.num_classes))
            << "pane " << i << " seed " << seed << " step " << step;
      }
      cw.parts(parts);
      ASSERT_EQ(parts.size(), std::min<size_t>(count_n, 16));
      StatsData sum;
      sum.layout = L;
      sum.init();
      for (const PackedPart* p : parts) p->add_to(sum, +1);
      StatsData total = cw.totals().to_data();
      sum.reset_min_max();
      total.reset_min_max();
      ASSERT_TRUE(sum == total) << "count window blocks, seed " << seed << " step " << step;
    }
  }
  // The sequences did exercise late frames and evictions.
  EXPECT_GT(late_seen, 1000);
  EXPECT_GT(evictions_seen, 1000);
}

}  // namespace
}  // namespace predwatch::core
