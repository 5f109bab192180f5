#include "core/exemplars.h"

#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <tuple>

namespace predwatch::core {
namespace {

Frame frame(std::string id, int64_t t, std::vector<std::pair<ClassId, Box>> objs) {
  Frame f;
  f.frame_id = std::move(id);
  f.time_ms = t;
  for (auto& [c, b] : objs) {
    Detection d;
    d.class_id = c;
    d.box = b;
    f.detections.push_back(d);
  }
  return f;
}

std::vector<std::string> ids(const std::vector<Exemplar>& v) {
  std::vector<std::string> out;
  for (const Exemplar& e : v) out.push_back(e.frame_id);
  return out;
}

using S = std::vector<std::string>;

// bytes() counts the held frames' ids and image URIs: a ring of 3 frames (recent_frames =
// 3) fed ids of 34 to 69 bytes, one with a 72-byte URI, then short ones. At every step the
// measure is at least the ring's fixed part plus the bytes of the 3 held texts, and at most
// that plus what the text buffer's growth rule allows (a quarter more than the most it had
// to hold, a skipped end included, or 256 bytes).
TEST(ExemplarIndex, BytesFollowTheHeldTexts) {
  ExemplarConfig cfg;
  cfg.recent_frames = 3;
  ExemplarIndex x({}, cfg);
  std::deque<size_t> held;  // the held texts' sizes
  size_t fixed = 0, peak = 0;
  auto add = [&](uint64_t seq, const std::string& id, const std::string& uri) {
    Frame f = frame(id, int64_t(seq), {});
    f.image_uri = uri;
    x.add(f);
    if (held.size() == 3) held.pop_front();
    held.push_back(id.size() + uri.size());
    if (seq == 1) fixed = x.bytes() - 256;  // the first text takes the 256-byte minimum
    size_t sum = 0;
    for (size_t n : held) sum += n;
    peak = std::max(peak, sum + *std::max_element(held.begin(), held.end()));
    EXPECT_GE(x.bytes(), fixed + sum) << "after frame " << seq;
    EXPECT_LE(x.bytes(), fixed + std::max<size_t>(256, peak + peak / 4 + 1))
        << "after frame " << seq;
  };
  add(1, "f1", "");
  for (uint64_t seq = 2; seq <= 12; ++seq) {
    const std::string id = "camera-17/frame-" + std::string(size_t(18 + 7 * (seq % 6)), 'x');
    const std::string uri = seq == 4 ? "s3://bucket/" + std::string(60, 'u') : "";
    add(seq, id, uri);
  }
  for (uint64_t seq = 13; seq <= 20; ++seq) add(seq, "f" + std::to_string(seq), "");
  EXPECT_EQ(ids(x.for_class(0, 0)), S{});  // the frames have no objects
}

// Frames are numbered in 32 bits; at the wrap the index starts over, empty, and goes on.
TEST(ExemplarIndex, StartsOverWhenTheSequenceWraps) {
  ExemplarConfig cfg;
  cfg.per_key = 5;
  cfg.recent_frames = 4;
  cfg.first_sequence = 0xFFFFFFFFu - 3;  // f1, f2, f3 take the last three numbers
  ExemplarIndex x({}, cfg);
  const Box b{0, 0, .1f, .1f};
  for (int i = 1; i <= 3; ++i) x.add(frame("f" + std::to_string(i), 10 * i, {{0, b}}));
  EXPECT_EQ(ids(x.for_class(0, 0)), (S{"f3", "f2", "f1"}));
  for (int i = 4; i <= 6; ++i) x.add(frame("f" + std::to_string(i), 10 * i, {{0, b}, {1, b}}));
  EXPECT_EQ(ids(x.for_class(0, 0)), (S{"f6", "f5", "f4"}));
  EXPECT_EQ(ids(x.for_pair(0, 1, 0)), (S{"f6", "f5", "f4"}));
  EXPECT_EQ(ids(x.for_histogram_bin(0, ObjectHistogram::kArea, 2, 0)), (S{"f6", "f5", "f4"}));
}

TEST(ExemplarIndex, LastKPerKeyNewestFirst) {
  ExemplarConfig cfg;
  cfg.per_key = 2;
  ExemplarIndex x({}, cfg);
  const Box tl{0, 0, .1f, .1f};  // centre cell 0 (top-left)
  const Box br{.9f, .9f, 1, 1};  // centre cell 255
  x.add(frame("f1", 10, {{0, tl}, {1, tl}}));
  x.add(frame("f2", 20, {{0, br}}));
  x.add(frame("f3", 30, {{0, tl}, {0, br}, {2, tl}}));
  EXPECT_EQ(ids(x.for_class(0, 0)), (S{"f3", "f2"}));  // K = 2: f1 dropped
  EXPECT_EQ(ids(x.for_class(1, 0)), (S{"f1"}));
  EXPECT_EQ(ids(x.for_pair(1, 0, 0)), (S{"f1"}));
  EXPECT_EQ(ids(x.for_pair(0, 2, 0)), (S{"f3"}));
  EXPECT_TRUE(x.for_pair(1, 2, 0).empty());
  EXPECT_EQ(ids(x.for_cell(0, 0, 0)), (S{"f3", "f1"}));
  EXPECT_EQ(ids(x.for_cell(0, 255, 0)), (S{"f3", "f2"}));
  EXPECT_EQ(ids(x.for_count_bucket(0, 1, 0)), (S{"f2", "f1"}));
  EXPECT_EQ(ids(x.for_count_bucket(0, 2, 0)), (S{"f3"}));
  // Both boxes are 0.1 wide and high: size bin floor(20 * sqrt(0.1)) = 6, area bin
  // floor(20 * sqrt(0.01)) = 2; no detection has a confidence, so no confidence bin has any.
  EXPECT_EQ(ids(x.for_histogram_bin(0, ObjectHistogram::kWidth, 6, 0)), (S{"f3", "f2"}));
  EXPECT_EQ(ids(x.for_histogram_bin(2, ObjectHistogram::kHeight, 6, 0)), (S{"f3"}));
  EXPECT_EQ(ids(x.for_histogram_bin(1, ObjectHistogram::kArea, 2, 0)), (S{"f1"}));
  EXPECT_TRUE(x.for_histogram_bin(0, ObjectHistogram::kArea, 3, 0).empty());
  for (uint32_t b = 0; b < 20; ++b)
    EXPECT_TRUE(x.for_histogram_bin(0, ObjectHistogram::kConfidence, b, 0).empty());
  EXPECT_TRUE(x.for_histogram_bin(0, ObjectHistogram::kArea, 20, 0).empty());  // outside
  // Window start 25: only f3 is still inside.
  EXPECT_EQ(ids(x.for_class(0, 25)), (S{"f3"}));
  EXPECT_EQ(x.for_class(0, 25)[0].time_ms, 30);
  EXPECT_TRUE(x.for_class(7, 0).empty());
}

TEST(ExemplarIndex, ImageUrisRideWithTheirFrames) {
  ExemplarConfig cfg;
  cfg.per_key = 3;
  cfg.recent_frames = 2;  // the ring reuses slots: a URI must not outlive its frame
  ExemplarIndex x({}, cfg);
  const Box b{0, 0, .1f, .1f};
  Frame f1 = frame("f1", 10, {{0, b}});
  f1.image_uri = "https://img.example/f1.jpg";
  Frame f2 = frame("f2", 20, {{0, b}});
  Frame f3 = frame("f3", 30, {{0, b}});
  f3.image_uri = "s3://bucket/f3.png";
  x.add(f1);
  auto e = x.for_class(0, 0);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].image_uri, "https://img.example/f1.jpg");
  x.add(f2);
  x.add(f3);  // takes f1's slot in the ring of 2
  e = x.for_class(0, 0);
  ASSERT_EQ(ids(e), (S{"f3", "f2"}));
  EXPECT_EQ(e[0].image_uri, "s3://bucket/f3.png");
  EXPECT_EQ(e[1].image_uri, "");
  Frame f4 = frame("f4", 40, {{0, b}});  // no URI, in f2's slot
  x.add(f4);
  e = x.for_class(0, 0);
  ASSERT_EQ(ids(e), (S{"f4", "f3"}));
  EXPECT_EQ(e[0].image_uri, "");
  EXPECT_EQ(e[1].image_uri, "s3://bucket/f3.png");
}

// Box sides and confidences of the random frames: sides in three size bins of 4 (sqrt(.1) =
// .32, sqrt(.3) = .55, sqrt(.5) = .71), confidences in the three bins of 3, at the top edge
// (1) and without one (-1).
constexpr float kSides[] = {.1f, .3f, .5f};
constexpr float kConfidences[] = {-1.f, .1f, .5f, .95f, 1.f};

// With a horizon, frames no window can hold are let go and the ring's room follows what is
// held: 1,000 frames 100 ms apart, a 1 s horizon, against the same index without one.
TEST(ExemplarIndex, AHorizonKeepsOnlyWhatAWindowCanHold) {
  ExemplarConfig bounded;
  bounded.horizon_ms = 1000;
  ExemplarIndex with({}, bounded), without({}, ExemplarConfig{});
  for (int n = 0; n < 1000; ++n) {
    const Frame f = frame("f" + std::to_string(n), n * 100, {{0, Box{.1f, .1f, .3f, .3f}}});
    with.add(f);
    without.add(f);
  }
  EXPECT_EQ(ids(with.for_class(0, 0)), (S{"f999", "f998", "f997", "f996", "f995"}));
  EXPECT_EQ(ids(with.for_class(0, 0)), ids(without.for_class(0, 0)));
  // 11 frames held (times 98,900 ... 99,900) in a 16-entry ring, against 1,000 held in
  // over 1,000 entries of at least 24 bytes each (time, number, text position and sizes)
  // and their ids.
  EXPECT_GT(without.bytes(), with.bytes() + 1000 * 24);
  // A frame of a rare class ages out of the horizon with the time, not after 65,536 frames.
  with.add(frame("rare", 100'000, {{1, Box{.1f, .1f, .3f, .3f}}}));
  EXPECT_EQ(ids(with.for_class(1, 0)), (S{"rare"}));
  for (int n = 1; n <= 10; ++n) with.add(frame("g" + std::to_string(n), 100'000 + n * 100, {}));
  EXPECT_EQ(ids(with.for_class(1, 0)), (S{"rare"}));  // 1,000 ms back: still held
  with.add(frame("g11", 101'100, {}));
  EXPECT_TRUE(with.for_class(1, 0).empty());
}

// Against a naive model: every key's full history of frames, last K taken at query time,
// filtered by the frames still held (a deque: at most recent_frames, the oldest let go once
// it is outside both horizons) and the window start.
TEST(ExemplarIndex, RandomMatchesNaiveHistory) {
  for (int seed = 0; seed < 200; ++seed) {
    std::mt19937 rng(seed);
    StatsLayout layout;
    layout.heatmap_grid = 2;
    layout.max_objects_bucket = 3;
    layout.size_bins = 4;
    layout.confidence_bins = 3;
    ExemplarConfig cfg;
    cfg.per_key = 1 + rng() % 4;
    cfg.recent_frames = 1 + rng() % 40;
    cfg.dense_pair_limit = rng() % 20;  // some pairs dense, some hashed
    cfg.max_hashed_pairs = rng() % 30;
    if (seed % 3 != 0) {  // a third without horizon
      cfg.horizon_ms = rng() % 2 ? 0 : 50 + int64_t(rng() % 400);
      cfg.horizon_frames = rng() % 2 ? 0 : 1 + rng() % 30;
    }
    const bool horizon = cfg.horizon_ms > 0 || cfg.horizon_frames > 0;
    std::deque<int> held;
    int64_t newest = std::numeric_limits<int64_t>::min();
    ExemplarIndex x(layout, cfg);
    using Key = std::tuple<int, ClassId, ClassId>;  // kind, a, b
    std::map<Key, std::vector<int>> history;        // key -> frame numbers
    std::set<std::pair<ClassId, ClassId>> hashed;
    std::vector<int64_t> times;
    // Ids and image URIs of every length from none to longer than an inline std::string,
    // so that the held texts wrap around and grow their buffer.
    std::vector<std::string> id_of, uri_of;
    const uint32_t classes = 2 + rng() % 12;
    for (int n = 0; n < 120; ++n) {
      const int64_t t = n * 10 + int64_t(rng() % 30);
      std::vector<std::pair<ClassId, Box>> objs;
      std::vector<float> confidences;
      const int k = rng() % 6;
      for (int i = 0; i < k; ++i) {
        const float x0 = (rng() % 2) * .5f, y0 = (rng() % 2) * .5f;
        const float w = kSides[rng() % 3], h = kSides[rng() % 3];
        objs.push_back({ClassId(rng() % classes), Box{x0, y0, x0 + w, y0 + h}});
        confidences.push_back(kConfidences[rng() % 5]);
      }
      id_of.push_back("f" + std::to_string(n) + std::string(rng() % 3 ? 0 : rng() % 40, 'x'));
      uri_of.push_back(rng() % 2 ? "" : "s3://b/" + std::string(rng() % 60, 'u') + id_of.back());
      Frame f = frame(id_of.back(), t, objs);
      f.image_uri = uri_of.back();
      for (int i = 0; i < k; ++i) f.detections[size_t(i)].confidence = confidences[size_t(i)];
      x.add(f);
      times.push_back(t);
      newest = std::max(newest, t);
      while (!held.empty()) {
        const int o = held.front();
        bool drop = held.size() >= cfg.recent_frames;
        if (!drop && horizon) {
          const bool in_time = cfg.horizon_ms > 0 && times[size_t(o)] >= newest - cfg.horizon_ms;
          const bool in_count = uint64_t(n - o) < cfg.horizon_frames;
          drop = !in_time && !in_count;
        }
        if (!drop) break;
        held.pop_front();
      }
      held.push_back(n);
      std::map<ClassId, int> count;
      std::set<std::pair<ClassId, uint32_t>> cells;
      for (auto& [c, b] : objs) {
        count[c]++;
        cells.insert({c, layout.heatmap_cell(b)});
      }
      auto push = [&](Key key) {
        auto& h = history[key];
        if (h.empty() || h.back() != n) h.push_back(n);
      };
      for (auto& [c, cell] : cells) push({1, c, cell});
      // Histogram bins by their definitions (core/stats_layout.h): sizes floor(n * sqrt(v)),
      // confidence floor(n * v), the top value in the last bin; kinds 4-7: width, height,
      // area, confidence.
      auto bin = [](double v, uint32_t n) { return std::min<ClassId>(ClassId(n * v), n - 1); };
      for (size_t i = 0; i < objs.size(); ++i) {
        const ClassId c = objs[i].first;
        const double w = objs[i].second.width(), h = objs[i].second.height();
        push({4, c, bin(std::sqrt(w), layout.size_bins)});
        push({5, c, bin(std::sqrt(h), layout.size_bins)});
        push({6, c, bin(std::sqrt(double(float(w * h))), layout.size_bins)});
        if (confidences[i] >= 0) push({7, c, bin(confidences[i], layout.confidence_bins)});
      }
      for (auto& [c, cnt] : count) {
        push({0, c, 0});
        push({2, c, std::min<ClassId>(cnt, layout.max_objects_bucket)});
        for (auto& [b, unused] : count) {
          if (b >= c) continue;
          if (c >= x.dense_pair_classes() && !hashed.count({c, b})) {
            if (hashed.size() >= cfg.max_hashed_pairs) continue;
            hashed.insert({c, b});
          }
          push({3, c, b});
        }
      }
    }
    const std::set<int> kept(held.begin(), held.end());
    for (int64_t start : {int64_t(0), int64_t(600), int64_t(1100)}) {
      for (ClassId a = 0; a < classes; ++a) {
        for (ClassId b = 0; b < std::max<ClassId>(classes, 4); ++b) {
          for (int kind = 0; kind < 8; ++kind) {
            if (kind == 0 && b > 0) continue;
            if (kind == 2 && (b < 1 || b > layout.max_objects_bucket)) continue;
            if (kind == 3 && b >= a) continue;
            if (kind == 1 && b >= layout.heatmap_cells()) continue;
            const auto histogram = ObjectHistogram(kind - 4);
            if (kind >= 4 && b >= x.histogram_bins(histogram)) continue;
            S want;
            auto it = history.find({kind, a, b});
            if (it != history.end()) {
              const auto& h = it->second;
              for (size_t i = h.size(); i > 0 && i + cfg.per_key > h.size(); --i) {
                const int n = h[i - 1];
                if (kept.count(n) && times[n] >= start) want.push_back(id_of[size_t(n)]);
              }
            }
            std::vector<Exemplar> got = kind == 0   ? x.for_class(a, start)
                                        : kind == 1 ? x.for_cell(a, b, start)
                                        : kind == 2 ? x.for_count_bucket(a, b, start)
                                        : kind == 3 ? x.for_pair(a, b, start)
                                                    : x.for_histogram_bin(a, histogram, b, start);
            ASSERT_EQ(ids(got), want) << "seed " << seed << " kind " << kind << " a " << a << " b "
                                      << b << " start " << start;
            for (const Exemplar& e : got) {
              const size_t n =
                  size_t(std::find(id_of.begin(), id_of.end(), e.frame_id) - id_of.begin());
              ASSERT_LT(n, id_of.size());
              EXPECT_EQ(e.image_uri, uri_of[n]) << "seed " << seed << " frame " << n;
              EXPECT_EQ(e.time_ms, times[n]);
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace predwatch::core
