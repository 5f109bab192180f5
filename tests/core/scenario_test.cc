#include "core/scenario.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace predwatch::core {
namespace {

std::vector<PoolFrame> small_pool() {
  // f0: two persons; f1: a horse alone; f2: a chair and a person.
  return {
      {"f0",
       640,
       480,
       {{"person", kNoConfidence, {0.1f, 0.1f, 0.2f, 0.3f}},
        {"person", kNoConfidence, {0.5f, 0.5f, 0.6f, 0.9f}}}},
      {"f1", 640, 480, {{"horse", kNoConfidence, {0.2f, 0.2f, 0.6f, 0.6f}}}},
      {"f2",
       640,
       480,
       {{"chair", 0.7f, {0.0f, 0.6f, 0.2f, 1.0f}}, {"person", 0.9f, {0.3f, 0.1f, 0.5f, 0.8f}}}},
  };
}

std::map<std::string, int> classes_of(const Event& e) {
  std::map<std::string, int> m;
  for (const auto& d : e.detections) ++m[std::string(d.class_name)];
  return m;
}

TEST(Scenario, SameSeedSameStream) {
  auto pool = small_pool();
  ScenarioGenerator a(pool, "s", 42), b(pool, "s", 42);
  for (int i = 0; i < 100; ++i) {
    const Event& ea = a.next(i);
    const std::string id = std::string(ea.frame_id);
    const size_t n = ea.detections.size();
    const Event& eb = b.next(i);
    EXPECT_EQ(id, eb.frame_id);
    ASSERT_EQ(n, eb.detections.size());
  }
}

TEST(Scenario, OutsideEpisodesFramesComeFromThePoolWithScores) {
  auto pool = small_pool();
  ScenarioGenerator g(pool, "cam", 1);
  std::map<std::string, int> seen;
  for (int i = 0; i < 3000; ++i) {
    const Event& e = g.next(1000 + i);
    EXPECT_EQ(e.stream, "cam");
    EXPECT_EQ(e.time_ms, 1000 + i);
    const std::string base(e.frame_id.substr(0, 2));
    ++seen[base];
    for (const auto& d : e.detections) {
      EXPECT_GE(d.confidence, 0.25f);
      EXPECT_LE(d.confidence, 1.0f);
    }
    if (base == "f2") {  // given confidences are kept
      EXPECT_FLOAT_EQ(e.detections[0].confidence, 0.7f);
    }
  }
  // Uniform draws: each of 3 frames ~1000 times (binomial sd ~26).
  for (const auto& [id, n] : seen) EXPECT_NEAR(n, 1000, 150) << id;
}

TEST(Scenario, InjectPairPutsBOnAFramesOnly) {
  auto pool = small_pool();
  ScenarioGenerator g(pool, "s", 3);
  Episode e;
  e.kind = Episode::Kind::kInjectPair;
  e.a = "horse";
  e.b = "chair";
  e.rate = 0.5;
  e.start_ms = 100;
  e.end_ms = 200;
  ASSERT_EQ(g.add_episode(e), "");
  int pairs_before = 0, pairs_during = 0;
  for (int t = 0; t < 300; ++t) {
    auto c = classes_of(g.next(t));
    const bool pair = c.count("horse") && c.count("chair");
    if (pair) {
      EXPECT_EQ(c.size(), 2u);  // nothing else on an injected frame
      (t >= 100 && t < 200 ? pairs_during : pairs_before)++;
    }
  }
  EXPECT_EQ(pairs_before, 0);
  EXPECT_GT(pairs_during, 30);  // rate 0.5 over 100 frames
  Episode bad = e;
  bad.a = "person";  // f0 has only persons, so that works; a class absent fails
  bad.a = "giraffe";
  EXPECT_NE(g.add_episode(bad), "");
}

TEST(Scenario, CollapseShiftVanishAndConfidenceDrop) {
  auto pool = small_pool();
  ScenarioGenerator g(pool, "s", 5);
  const Episode collapse{.kind = Episode::Kind::kCollapseCount,
                         .start_ms = 0,
                         .end_ms = 100,
                         .a = "person",
                         .count = 4};
  const Episode shift{.kind = Episode::Kind::kShiftRegion,
                      .start_ms = 100,
                      .end_ms = 200,
                      .a = "horse",
                      .region = {0.0f, 0.0f, 1.0f, 0.25f}};
  const Episode vanish{
      .kind = Episode::Kind::kVanish, .start_ms = 200, .end_ms = 300, .a = "person"};
  const Episode drop{.kind = Episode::Kind::kConfidenceDrop,
                     .start_ms = 300,
                     .end_ms = 400,
                     .a = "chair",
                     .factor = 0.5f};
  for (const auto& e : {collapse, shift, vanish, drop}) ASSERT_EQ(g.add_episode(e), "");
  for (int t = 0; t < 400; ++t) {
    const Event& e = g.next(t);
    auto c = classes_of(e);
    if (t < 100 && c.count("person")) {
      EXPECT_EQ(c["person"], 4);
    }
    if (t >= 200 && t < 300) {
      EXPECT_EQ(c.count("person"), 0u);
    }
    for (const auto& d : e.detections) {
      if (t >= 100 && t < 200 && d.class_name == "horse") {
        EXPECT_LE(d.box.center_y(), 0.25f + 1e-6f);
        EXPECT_NEAR(d.box.height(), 0.4f, 1e-6f);  // size kept
      }
      if (t >= 300 && d.class_name == "chair") {
        EXPECT_FLOAT_EQ(d.confidence, 0.35f);
      }
    }
  }
}

}  // namespace
}  // namespace predwatch::core
