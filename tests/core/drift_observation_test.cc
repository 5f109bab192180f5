#include "core/drift_observation.h"

#include <gtest/gtest.h>

namespace predwatch::core {
namespace {

NamedDetection det(std::string_view name, float x, float y) {
  NamedDetection d;
  d.class_name = name;
  d.box = {x, y, x + 0.05f, y + 0.05f};
  return d;
}

class DriftObservationTest : public ::testing::Test {
 protected:
  DriftObservationTest() : monitor_("cam", options()) {
    // f0: dog alone top-left; f1: dog and cat; f2: dog bottom-right.
    apply("f0", 1000, {det("dog", 0.0f, 0.0f)});
    apply("f1", 2000, {det("dog", 0.0f, 0.0f), det("cat", 0.5f, 0.5f)});
    apply("f2", 3000, {det("dog", 0.9f, 0.9f)});
  }
  static StreamMonitorOptions options() {
    StreamMonitorOptions o;
    o.windows = {{"1m", WindowSpec::Type::kTime, 60'000, 1'000, 1'000, 0}};
    return o;
  }
  void apply(std::string_view id, int64_t t, std::vector<NamedDetection> dets) {
    Event e;
    e.frame_id = id;
    e.stream = "cam";
    e.time_ms = t;
    e.detections = std::move(dets);
    monitor_.apply(e);
  }
  StreamMonitor monitor_;
};

TEST_F(DriftObservationTest, FlaggedFindingsCarryTheFramesBehindThem) {
  DriftFinding pair;
  pair.kind = AlertKind::kNovelPair;
  pair.subject_a = "cat";
  pair.subject_b = "dog";
  pair.flagged = true;
  pair.score = 9;
  pair.threshold = 1.3;
  const AlertObservation o = to_observation(pair, monitor_, 0);
  EXPECT_EQ(o.key.subject, "cat|dog");
  EXPECT_EQ(o.key.window, "1m");
  EXPECT_TRUE(o.over_threshold);
  EXPECT_EQ(o.exemplar_ids, (std::vector<std::string>{"f1"}));

  // Spatial: the most changed cell (bottom-right, cell 15*16+14 on the 16x16 grid for a
  // centre at 0.925) holds only f2.
  DriftFinding spatial;
  spatial.kind = AlertKind::kSpatial;
  spatial.subject_a = "dog";
  spatial.flagged = true;
  spatial.hotspot = int32_t(monitor_.options().layout.heatmap_cell({0.9f, 0.9f, 0.95f, 0.95f}));
  EXPECT_EQ(to_observation(spatial, monitor_, 0).exemplar_ids, (std::vector<std::string>{"f2"}));
  // Without a hotspot: the class's newest frames first.
  spatial.hotspot = -1;
  EXPECT_EQ(to_observation(spatial, monitor_, 0).exemplar_ids,
            (std::vector<std::string>{"f2", "f1", "f0"}));
}

TEST_F(DriftObservationTest, NoExemplarsWhenNotFlaggedVanishedOrStreamWide) {
  DriftFinding f;
  f.kind = AlertKind::kConfidence;
  f.subject_a = "dog";
  EXPECT_TRUE(to_observation(f, monitor_, 0).exemplar_ids.empty());  // not flagged
  f.flagged = true;
  f.kind = AlertKind::kClassVanished;
  EXPECT_TRUE(to_observation(f, monitor_, 0).exemplar_ids.empty());
  f.kind = AlertKind::kClassDistribution;
  f.subject_a.clear();
  const AlertObservation o = to_observation(f, monitor_, 0);
  EXPECT_TRUE(o.exemplar_ids.empty());
  EXPECT_EQ(o.key.subject, "");
}

}  // namespace
}  // namespace predwatch::core
