// ReferenceLearner on real detector output: YOLOv5s predictions on coco128
// (tests/data/coco128, see SOURCE.predictions.txt), scores >= 0.25, one frame per image at
// 10 fps, looped. Every expectation is recomputed independently: a from-scratch Stats over
// exactly the frames the contract says the reference holds.
#include "core/reference_learner.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "core/stream_monitor.h"

namespace predwatch::core {
namespace {

struct Predictions {
  std::vector<std::string> class_names;  // "c<index>" by YOLO class index
  std::vector<Frame> frames;             // one per image, in the instances file's order
};

const Predictions& yolo_predictions() {
  static const Predictions p = [] {
    Predictions out;
    simdjson::dom::parser parser;
    const std::string dir = std::string(PREDWATCH_TEST_DATA) + "/coco128/";
    std::map<int64_t, size_t> frame_of;
    std::map<int64_t, std::pair<double, double>> size_of;
    for (simdjson::dom::element im : parser.load(dir + "instances_train2017.json")["images"]) {
      const int64_t id = int64_t(im["id"]);
      frame_of[id] = out.frames.size();
      size_of[id] = {double(int64_t(im["width"])), double(int64_t(im["height"]))};
      Frame f;
      f.frame_id = std::to_string(id);
      out.frames.push_back(std::move(f));
    }
    for (int i = 0; i < 80; ++i) out.class_names.push_back("c" + std::to_string(i));
    simdjson::dom::parser parser2;
    for (simdjson::dom::element d : parser2.load(dir + "yolov5s_predictions.json").get_array()) {
      const double score = double(d["score"]);
      if (score < 0.25) continue;
      const int64_t id = int64_t(d["image_id"]);
      const auto [w, h] = size_of.at(id);
      double v[4];
      size_t i = 0;
      for (simdjson::dom::element x : d["bbox"].get_array()) v[i++] = double(x);
      Detection det;
      det.class_id = ClassId(int64_t(d["category_id"]));
      det.confidence = float(score);
      det.box = {float(std::clamp(v[0] / w, 0.0, 1.0)), float(std::clamp(v[1] / h, 0.0, 1.0)),
                 float(std::clamp((v[0] + v[2]) / w, 0.0, 1.0)),
                 float(std::clamp((v[1] + v[3]) / h, 0.0, 1.0))};
      out.frames[frame_of.at(id)].detections.push_back(det);
    }
    return out;
  }();
  return p;
}

// Frame i of the looped stream, at 10 fps from t0.
Frame stream_frame(size_t i, int64_t t0 = 1'700'000'000'000) {
  const Predictions& p = yolo_predictions();
  Frame f = p.frames[i % p.frames.size()];
  f.time_ms = t0 + int64_t(i) * 100;
  return f;
}

Detection renamed(Detection d, ClassId id) {
  d.class_id = id;
  return d;
}

Stats first_frames(size_t n) {
  Stats s;
  for (size_t i = 0; i < n; ++i) s.add(stream_frame(i));
  return s;
}

// Feeds the learner frames 0.. until it completes (or `limit`); returns frames offered.
size_t feed(ReferenceLearner& learner, size_t limit) {
  FrameDigester digester;
  FrameDigest digest;
  const auto& names = yolo_predictions().class_names;
  for (size_t i = 0; i < limit; ++i) {
    const Frame f = stream_frame(i);
    digester.digest(f, learner.stats().layout(), digest);
    if (learner.add(f.time_ms, digest, names)) return i + 1;
  }
  return limit;
}

TEST(ReferenceLearner, RealDataHasConfidencesAndSeveralClasses) {
  const Stats s = first_frames(128);
  ASSERT_GT(s.objects(), 500);
  ASSERT_GT(s.scored_objects(0), 100);  // persons, scored
  ASSERT_GT(s.num_classes(), 20u);
}

TEST(ReferenceLearner, CompletesAtFrameCountWithExactlyTheFirstFrames) {
  ReferenceLearner learner({.frames = 300, .duration_ms = 0, .min_frames = 50}, StatsLayout{});
  EXPECT_EQ(learner.state(), ReferenceState::kLearning);
  EXPECT_EQ(learner.reference(), nullptr);
  EXPECT_EQ(feed(learner, 299), 299u);
  EXPECT_FALSE(learner.complete());
  EXPECT_NEAR(learner.progress(), 299.0 / 300.0, 1e-12);
  // One more frame (frame 299) completes it.
  FrameDigester digester;
  FrameDigest digest;
  const Frame f = stream_frame(299);
  digester.digest(f, StatsLayout{}, digest);
  EXPECT_TRUE(learner.add(f.time_ms, digest, yolo_predictions().class_names));
  ASSERT_TRUE(learner.complete());
  EXPECT_EQ(learner.state(), ReferenceState::kComplete);
  EXPECT_DOUBLE_EQ(learner.progress(), 1.0);
  const auto ref = learner.reference();
  ASSERT_NE(ref, nullptr);
  EXPECT_EQ(ref->kind, BaselineKind::kProductionWindow);
  EXPECT_TRUE(ref->has_confidence());
  EXPECT_EQ(ref->stats.data(), first_frames(300).data());
  ASSERT_EQ(ref->class_names.size(), ref->stats.num_classes());
  EXPECT_EQ(ref->class_names[0], "c0");
  EXPECT_EQ(learner.start_ms(), stream_frame(0).time_ms);
  EXPECT_EQ(learner.end_ms(), stream_frame(299).time_ms);
  // Frozen: later frames change nothing.
  const Frame g = stream_frame(300);
  digester.digest(g, StatsLayout{}, digest);
  EXPECT_FALSE(learner.add(g.time_ms, digest, yolo_predictions().class_names));
  EXPECT_EQ(learner.reference()->stats.data(), first_frames(300).data());
  EXPECT_EQ(learner.frames(), 300u);
}

TEST(ReferenceLearner, CompletesWhenTheEventTimeSpanReachesTheDuration) {
  // 10 fps: the span reaches 10 s at frame 100 (t0 + 10000), so 101 frames.
  ReferenceLearner learner({.frames = 36'000, .duration_ms = 10'000, .min_frames = 50},
                           StatsLayout{});
  EXPECT_EQ(feed(learner, 1000), 101u);
  ASSERT_TRUE(learner.complete());
  EXPECT_EQ(learner.reference()->stats.data(), first_frames(101).data());
  EXPECT_EQ(learner.end_ms() - learner.start_ms(), 10'000);
}

TEST(ReferenceLearner, MinFramesHoldsCompletionBack) {
  // The span reaches 1 s at frame 10, but 200 frames are required.
  ReferenceLearner learner({.frames = 0, .duration_ms = 1'000, .min_frames = 200}, StatsLayout{});
  EXPECT_EQ(feed(learner, 1000), 200u);
  EXPECT_EQ(learner.reference()->stats.data(), first_frames(200).data());
  // Both targets off: complete at min_frames.
  ReferenceLearner only_min({.frames = 0, .duration_ms = 0, .min_frames = 77}, StatsLayout{});
  EXPECT_EQ(feed(only_min, 1000), 77u);
}

TEST(ReferenceLearner, LateAndOutOfOrderFramesAreLearnedAndWidenTheSpan) {
  ReferenceLearner learner({.frames = 0, .duration_ms = 10'000, .min_frames = 1}, StatsLayout{});
  FrameDigester digester;
  FrameDigest digest;
  Stats expected;
  const auto& names = yolo_predictions().class_names;
  const int64_t times[] = {100'000, 105'000, 101'000, 95'000, 120'000};
  bool completed = false;
  size_t n = 0;
  for (const int64_t t : times) {
    Frame f = stream_frame(n);
    f.time_ms = t;
    digester.digest(f, StatsLayout{}, digest);
    expected.add(f);
    ++n;
    completed = learner.add(t, digest, names);
    if (completed) break;
  }
  // 100000, 105000, 101000 (late, learned: span 5000), 95000 (older than every other: span
  // 10000 -> complete with 4 frames).
  ASSERT_TRUE(completed);
  EXPECT_EQ(n, 4u);
  EXPECT_EQ(learner.start_ms(), 95'000);
  EXPECT_EQ(learner.end_ms(), 105'000);
  EXPECT_EQ(learner.reference()->stats.data(), expected.data());
}

TEST(ReferenceLearner, PinReplacesAndResetRelearns) {
  ReferenceLearner learner({.frames = 100, .duration_ms = 0, .min_frames = 10}, StatsLayout{});
  feed(learner, 30);
  EXPECT_FALSE(learner.complete());
  const Stats pinned = first_frames(7);  // a pin is complete whatever its size
  learner.pin(pinned, {"c0"}, 5, 6);
  EXPECT_EQ(learner.state(), ReferenceState::kPinned);
  ASSERT_NE(learner.reference(), nullptr);
  EXPECT_EQ(learner.reference()->stats.data(), pinned.data());
  ASSERT_EQ(learner.reference()->class_names.size(), pinned.num_classes());
  EXPECT_EQ(learner.reference()->class_names[0], "c0");
  EXPECT_EQ(learner.reference()->class_names[1], "#1");  // missing names are numbered
  EXPECT_EQ(learner.start_ms(), 5);
  EXPECT_EQ(learner.end_ms(), 6);

  learner.reset();
  EXPECT_EQ(learner.state(), ReferenceState::kLearning);
  EXPECT_EQ(learner.frames(), 0u);
  EXPECT_EQ(learner.reference(), nullptr);
  EXPECT_EQ(feed(learner, 1000), 100u);
  EXPECT_EQ(learner.reference()->stats.data(), first_frames(100).data());
}

TEST(ReferenceLearner, StreamMonitorFeedsTheDigestItsWindowsGet) {
  StreamMonitorOptions o;
  o.windows = {{"10s", WindowSpec::Type::kTime, 10'000, 1'000, 2'000, 0},
               {"last50", WindowSpec::Type::kCount, 0, 0, 0, 50}};
  o.reference = ReferenceOptions{.frames = 150, .duration_ms = 0, .min_frames = 1};
  StreamMonitor m("cam", o);
  ASSERT_NE(m.reference(), nullptr);
  const auto& names = yolo_predictions().class_names;
  Stats expected;
  ClassRegistry registry(1000);
  size_t completed_at = 0;
  for (size_t i = 0; i < 400; ++i) {
    const Frame f = stream_frame(i);
    Event e;
    e.frame_id = f.frame_id;
    e.stream = "cam";
    e.time_ms = f.time_ms;
    e.width = 100;
    e.height = 100;
    Frame mine;
    mine.time_ms = f.time_ms;
    for (const Detection& d : f.detections) {
      NamedDetection nd;
      nd.class_name = names[d.class_id];
      nd.confidence = d.confidence;
      nd.box = d.box;
      e.detections.push_back(nd);
      mine.detections.push_back(renamed(d, registry.resolve(names[d.class_id])));
    }
    if (i < 150) expected.add(mine);
    if (m.apply(e).reference_completed) completed_at = i + 1;
  }
  EXPECT_EQ(completed_at, 150u);
  const auto ref = m.reference()->reference();
  ASSERT_NE(ref, nullptr);
  EXPECT_EQ(ref->stats.data(), expected.data());
  // Names follow the stream's registry (order of first appearance).
  for (size_t c = 0; c < ref->class_names.size(); ++c)
    EXPECT_EQ(ref->class_names[c], registry.name(ClassId(c)));
  // The windows still see exactly their frames.
  Stats last50;
  for (size_t i = 350; i < 400; ++i) {
    Frame mine;
    for (const Detection& d : stream_frame(i).detections)
      mine.detections.push_back(renamed(d, registry.resolve(names[d.class_id])));
    last50.add(mine);
  }
  const Stats& w = m.window(1).totals();
  EXPECT_EQ(w.frames(), 50);
  last50.reserve_classes(w.num_classes());
  EXPECT_EQ(w.data(), last50.data());
}

TEST(ReferenceLearner, WithoutOptionsTheStreamLearnsNothing) {
  StreamMonitorOptions o;
  o.windows = {{"last5", WindowSpec::Type::kCount, 0, 0, 0, 5}};
  StreamMonitor m("cam", o);
  EXPECT_EQ(m.reference(), nullptr);
}

}  // namespace
}  // namespace predwatch::core
