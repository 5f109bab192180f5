#include "core/stream_monitor.h"

#include <gtest/gtest.h>

namespace predwatch::core {
namespace {

StreamMonitorOptions options() {
  StreamMonitorOptions o;
  o.windows = {{"10s", WindowSpec::Type::kTime, 10'000, 1'000, 2'000, 0},
               {"last3", WindowSpec::Type::kCount, 0, 0, 0, 3}};
  o.naming.class_map = {{"motorbike", "motorcycle"}, {"dontcare", ""}};
  o.naming.index_names = {"person", "bicycle"};
  return o;
}

Event event(std::string_view id, int64_t t, std::vector<NamedDetection> dets) {
  Event e;
  e.frame_id = id;
  e.stream = "cam";
  e.time_ms = t;
  e.width = 100;
  e.height = 100;
  e.detections = std::move(dets);
  return e;
}

NamedDetection named(std::string_view n) {
  NamedDetection d;
  d.class_name = n;
  d.box = {0.1f, 0.1f, 0.3f, 0.3f};
  return d;
}

NamedDetection indexed(int32_t i) {
  NamedDetection d;
  d.class_index = i;
  d.box = {0.5f, 0.5f, 0.6f, 0.6f};
  return d;
}

TEST(StreamMonitor, NamesClassesThroughMapAndIndexList) {
  StreamMonitor m("cam", options(), std::vector<std::string>{"car"});
  auto r =
      m.apply(event("f1", 1000, {named("motorbike"), named("dontcare"), indexed(1), indexed(7)}));
  EXPECT_EQ(r.dropped_objects, 1u);
  EXPECT_EQ(r.late_windows, 0u);
  // Seeded "car" keeps id 0; then motorcycle, bicycle, "#7" in order of appearance.
  ASSERT_EQ(m.classes().size(), 4u);
  EXPECT_EQ(m.classes().name(0), "car");
  EXPECT_EQ(m.classes().name(1), "motorcycle");
  EXPECT_EQ(m.classes().name(2), "bicycle");
  EXPECT_EQ(m.classes().name(3), "#7");
  const Stats& s = m.window(0).totals();
  EXPECT_EQ(s.frames(), 1);
  EXPECT_EQ(s.objects(), 3);
  EXPECT_EQ(s.pair_images(1, 2), 1);
  EXPECT_EQ(m.dropped_objects(), 1u);
}

// Issue 16: detectors export boxes down to 0.001. With min_confidence 0.5 the boxes scored
// below it are left out and counted; a box without a score stays; the detection cap then
// applies to what is left (the most confident of the rest).
TEST(StreamMonitor, DetectionsBelowMinConfidenceAreLeftOutAndCounted) {
  StreamMonitorOptions o = options();
  o.min_confidence = 0.5f;
  o.max_detections_per_event = 2;
  StreamMonitor m("cam", o);
  auto scored = [](std::string_view name, float confidence) {
    NamedDetection d = named(name);
    d.confidence = confidence;
    return d;
  };
  // dog 0.9, cat 0.3 (out), unscored person (kept), bird 0.49 (out): dog and person remain.
  auto r = m.apply(
      event("f1", 1000,
            {scored("dog", 0.9f), scored("cat", 0.3f), named("person"), scored("bird", 0.49f)}));
  EXPECT_EQ(r.low_confidence_objects, 2u);
  EXPECT_EQ(r.capped_objects, 0u);
  // Three above the floor, one more than the cap: the least confident (0.6) goes.
  r = m.apply(
      event("f2", 2000,
            {scored("dog", 0.6f), scored("cat", 0.7f), scored("cat", 0.8f), scored("bird", 0.1f)}));
  EXPECT_EQ(r.low_confidence_objects, 1u);
  EXPECT_EQ(r.capped_objects, 1u);
  EXPECT_EQ(m.low_confidence_objects(), 3u);
  EXPECT_EQ(m.capped_objects(), 1u);
  const Stats& s = m.window(0).totals();
  EXPECT_EQ(s.frames(), 2);
  EXPECT_EQ(s.objects(), 4);                                      // dog + person, cat + cat
  EXPECT_EQ(m.classes().find("bird"), ClassRegistry::kNotFound);  // never entered the statistics
}

TEST(StreamMonitor, LateFramesAreCountedPerWindowAndSkipExemplars) {
  StreamMonitor m("cam", options());
  m.apply(event("a", 20'000, {named("dog")}));
  // 20000 - 2000 lateness: 17000 is late for the time window, not for the count window.
  auto r = m.apply(event("b", 17'000, {named("dog")}));
  EXPECT_EQ(r.late_windows, 1u);
  EXPECT_EQ(m.window(0).totals().frames(), 1);
  EXPECT_EQ(m.window(1).totals().frames(), 2);
  EXPECT_EQ(m.window(0).late_frames(), 1u);
  auto ex = m.exemplars().for_class(m.classes().find("dog"), 0);
  ASSERT_EQ(ex.size(), 2u);  // accepted by the count window, so it is an exemplar
  EXPECT_EQ(ex[0].frame_id, "b");
}

TEST(StreamMonitor, CountWindowStartIsTheOldestFrameInIt) {
  StreamMonitor m("cam", options());
  for (int i = 0; i < 5; ++i) m.apply(event("f", 1000 * (i + 1), {named("cat")}));
  // last3 holds the frames at 3000, 4000, 5000.
  EXPECT_EQ(m.window_start_ms(1), 3000);
  EXPECT_EQ(m.window_end_ms(1), 5001);
  EXPECT_DOUBLE_EQ(m.fill_ratio(1), 1.0);
  EXPECT_EQ(m.find_window("last3"), 1);
  EXPECT_EQ(m.find_window("nope"), -1);
  // Time window: panes of 1 s, head at 5000's pane [5000, 6000): covered from the first
  // event (1000) to 6000 = 5 s of 10 s.
  EXPECT_DOUBLE_EQ(m.fill_ratio(0), 0.5);
  m.advance(40'000);
  EXPECT_EQ(m.window(0).totals().frames(), 0);
  EXPECT_EQ(m.window(1).totals().frames(), 3);  // count windows ignore time
}

}  // namespace
}  // namespace predwatch::core
