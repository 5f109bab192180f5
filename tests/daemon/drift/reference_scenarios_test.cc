// The learned reference on real detector output (docs/DRIFT.md "Learned reference"): the
// stream resamples YOLOv5s predictions on coco128 (tests/data/coco128, scores >= 0.25:
// real confidences), the baseline is the training annotations of the same images (no
// confidences). A confidence drop on one class fires only when the stream has learned its
// reference; a healthy stream raises nothing against its reference.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "core/class_registry.h"
#include "core/scenario.h"
#include "daemon/dataset/coco_importer.h"
#include "daemon/dataset/dataset_importer.h"
#include "daemon/engine/monitor_engine.h"

namespace predwatch::daemon {
namespace {

const std::filesystem::path kData = PREDWATCH_TEST_DATA;
constexpr int64_t kStart = 1'800'000'000'000;

struct Data {
  std::vector<core::PoolFrame> pool;  // predictions, one frame per image
  core::BaselineStats training;       // annotations of the same images
};

const Data& data() {
  static const Data* d = [] {
    auto* out = new Data;
    ImportOptions o;
    o.ground_truth = kData / "coco128/instances_train2017.json";
    const auto ids = coco80_category_ids();
    o.category_id_by_index.assign(ids.begin(), ids.end());
    const ImportResult r =
        make_importer("coco-results")
            ->import(kData / "coco128/yolov5s_predictions.json", o, [&](const core::Event& e) {
              core::PoolFrame p;
              p.frame_id = std::string(e.frame_id);
              p.width = e.width;
              p.height = e.height;
              for (const core::NamedDetection& det : e.detections)
                if (det.confidence >= 0.25f)
                  p.detections.push_back({std::string(det.class_name), det.confidence, det.box});
              out->pool.push_back(std::move(p));
            });
    EXPECT_TRUE(r.ok()) << r.error;
    core::ClassRegistry registry(1000);
    core::Frame frame;
    const ImportResult g = make_importer("coco")->import(
        kData / "coco128/instances_train2017.json", {}, [&](const core::Event& e) {
          frame.clear();
          for (const core::NamedDetection& det : e.detections)
            frame.detections.push_back(
                {registry.resolve(det.class_name), det.confidence, det.box, core::kNoMaskArea});
          out->training.stats.add(frame);
        });
    EXPECT_TRUE(g.ok()) << g.error;
    out->training.class_names = registry.names();
    out->training.kind = core::BaselineKind::kTrainingAnnotations;
    return out;
  }();
  return *d;
}

EngineOptions options(bool reference, bool baseline) {
  EngineOptions o;
  o.stream.windows = {{"5m", core::WindowSpec::Type::kTime, 300'000, 10'000, 30'000, 0}};
  o.stream_config = [baseline](std::string_view) -> std::optional<StreamConfig> {
    StreamConfig c;
    if (baseline) c.baseline = LoadedBaseline{data().training, {}};
    return c;
  };
  o.reference.enabled = reference;
  o.reference.learn = {.frames = 6'000, .duration_ms = 0, .min_frames = 2'000};  // 10 min
  return o;
}

struct Outcome {
  std::set<std::string> fired;            // "kind subject" of every alert that fired
  std::set<std::string> fired_reference;  // ... with a window over against the reference
  bool reference_complete = false;
};

// 12 quiet minutes at 10 fps (the reference completes at 10), then `episode_minutes` of the
// episode (if any), evaluated every 10 s.
Outcome run(const EngineOptions& o, const core::Episode* episode, int episode_minutes) {
  MonitorEngine engine(o);
  Outcome out;
  engine.subscribe([&](const core::AlertTransition& t) {
    if (t.to != core::AlertState::kFiring) return;
    const std::string key =
        std::string(core::alert_kind_name(t.alert.last.key.kind)) + " " + t.alert.last.key.subject;
    out.fired.insert(key);
    for (const core::AlertWindow& w : t.alert.last.windows)
      if (w.over && w.against == core::Against::kReference) out.fired_reference.insert(key);
  });
  core::ScenarioGenerator g(data().pool, "cam", 7);
  const int64_t quiet_end = kStart + 12 * 60'000;
  if (episode) {
    core::Episode e = *episode;
    e.start_ms = quiet_end;
    e.end_ms = quiet_end + episode_minutes * 60'000;
    EXPECT_EQ(g.add_episode(e), "");
  }
  const int64_t end = quiet_end + episode_minutes * 60'000;
  for (int64_t t = kStart; t < end; t += 100) {
    EXPECT_TRUE(engine.apply(g.next(t)).applied);
    if ((t - kStart) % 10'000 == 9'900) engine.evaluate(t + 100);
  }
  const auto info = engine.reference_info("cam");
  out.reference_complete = info && info->state == core::ReferenceState::kComplete;
  return out;
}

std::string join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += x + "; ";
  return out;
}

core::Episode confidence_drop() {
  core::Episode e;
  e.kind = core::Episode::Kind::kConfidenceDrop;
  e.a = "person";
  e.factor = 0.4f;  // ~0.75 -> ~0.3
  e.label = "confidence drop person";
  return e;
}

TEST(ReferenceScenarios, ThePoolIsRealScoredDetectorOutput) {
  const Data& d = data();
  ASSERT_EQ(d.pool.size(), 128u);
  size_t persons = 0, scored = 0, all = 0;
  for (const core::PoolFrame& f : d.pool) {
    for (const core::PoolDetection& det : f.detections) {
      ++all;
      scored += det.confidence >= 0.25f;
      persons += det.class_name == "person";
    }
  }
  EXPECT_EQ(all, 784u);  // SOURCE.predictions.txt: scores >= 0.25
  EXPECT_EQ(scored, all);
  EXPECT_GT(persons, 200u);
  EXPECT_FALSE(d.training.has_confidence());
}

TEST(ReferenceScenarios, ConfidenceDropFiresWithTheLearnedReference) {
  const core::Episode e = confidence_drop();
  const Outcome with = run(options(true, true), &e, 10);
  EXPECT_TRUE(with.reference_complete);
  EXPECT_TRUE(with.fired.contains("confidence person")) << join(with.fired);
  EXPECT_TRUE(with.fired_reference.contains("confidence person")) << join(with.fired_reference);

  const Outcome without = run(options(false, true), &e, 10);
  EXPECT_FALSE(without.reference_complete);
  for (const std::string& k : without.fired)
    EXPECT_FALSE(k.starts_with("confidence")) << "fired without a reference: " << k;
}

TEST(ReferenceScenarios, AHealthyStreamRaisesNothingAgainstItsReference) {
  // Reference alone: nothing at all.
  const Outcome alone = run(options(true, false), nullptr, 15);
  EXPECT_TRUE(alone.reference_complete);
  EXPECT_TRUE(alone.fired.empty()) << join(alone.fired);
  // With the training baseline: the reference adds no alert of its own (what fires, the
  // detector's output against the annotations, is the baseline's).
  const Outcome both = run(options(true, true), nullptr, 15);
  EXPECT_TRUE(both.fired_reference.empty()) << join(both.fired_reference);
  const Outcome baseline_only = run(options(false, true), nullptr, 15);
  EXPECT_EQ(both.fired, baseline_only.fired);
}

}  // namespace
}  // namespace predwatch::daemon
