// The demo's terminal view shows the engine's decisions: a kind is DRIFT only when a finding
// is flagged (evidence and effect); a distance over its threshold without evidence is "ok".
#include "daemon/demo/terminal_view.h"

#include <gtest/gtest.h>

#include <string>

namespace predwatch::daemon {
namespace {

constexpr core::Box kTopLeft{0.0f, 0.0f, 0.04f, 0.04f};
constexpr core::Box kBottomRight{0.96f, 0.96f, 1.0f, 1.0f};
constexpr core::Box kCentre{0.48f, 0.48f, 0.52f, 0.52f};

std::string line_of(const std::string& text, const std::string& start) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = text.find('\n', pos);
    const std::string line = text.substr(pos, end == std::string::npos ? end : end - pos);
    if (line.rfind(start, 0) == 0) return line;
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return "";
}

TEST(TerminalView, ShowsOnlyFlaggedFindingsAsDrift) {
  // Baseline: dog top-left on 21 frames, bottom-right on 14; bird on 300 other frames.
  // Window, 45 frames over 9 one-second panes: dog 14 top-left / 19 bottom-right, spread
  // evenly (JS about 0.15 > 0.1, but chi-square about 2.1 on 1 df, p about 0.15: no evidence),
  // and a cat, absent from the baseline, on every 4th frame (12 frames; appeared:
  // P = (45/380)^12 ~ 1e-11 before any dependence correction).
  core::Stats base;
  auto add = [](core::Stats& s, int n, core::ClassId c, core::Box b) {
    core::Frame fr;
    fr.detections = {{c, core::kNoConfidence, b, core::kNoMaskArea}};
    for (int i = 0; i < n; ++i) s.add(fr);
  };
  add(base, 21, 0, kTopLeft);
  add(base, 14, 0, kBottomRight);
  add(base, 300, 1, kCentre);
  LoadedBaseline b;
  b.stats.stats = base;
  b.stats.class_names = {"dog", "bird"};
  EngineOptions o;
  o.stream.windows = {{"1m", core::WindowSpec::Type::kTime, 60'000, 1'000, 5'000, 0}};
  o.thresholds = [](std::string_view, std::string_view) {
    core::DriftThresholds t;
    t.enabled.fill(false);
    t.enabled[size_t(core::AlertKind::kSpatial)] = true;
    t.enabled[size_t(core::AlertKind::kClassAppeared)] = true;
    t.min_window_fill = 0;  // 9 s of a 1m window
    return t;
  };
  o.stream_config = [b](std::string_view) {
    StreamConfig c;
    c.baseline = b;
    return std::optional<StreamConfig>(c);
  };
  MonitorEngine engine(o);
  int dogs = 0;
  for (int i = 0; i < 45; ++i) {
    core::Event e;
    e.stream = "cam";
    e.frame_id = "f";
    e.time_ms = 200 * i;
    core::NamedDetection d;
    if (i % 4 == 0) {
      d.class_name = "cat";
      d.box = kCentre;
    } else {
      // Bresenham: 14 of the 33 dog frames top-left, evenly spread.
      const bool top_left = (dogs * 14) / 33 != ((dogs + 1) * 14) / 33;
      ++dogs;
      d.class_name = "dog";
      d.box = top_left ? kTopLeft : kBottomRight;
    }
    e.detections = {d};
    ASSERT_TRUE(engine.apply(e).applied);
  }
  ASSERT_EQ(dogs, 33);
  engine.evaluate(9'000);

  // The premise, checked on the engine's own report.
  bool spatial_over_unflagged = false, appeared_flagged = false;
  engine.with_stream("cam", [&](const StreamView& v) {
    for (const core::DriftFinding& x : v.drift.at(0).findings) {
      if (x.kind == core::AlertKind::kSpatial && x.subject() == "dog") {
        spatial_over_unflagged = x.tested && !x.flagged && x.score >= x.threshold;
      }
      if (x.kind == core::AlertKind::kClassAppeared && x.subject() == "cat") {
        appeared_flagged = x.flagged;
      }
    }
  });
  ASSERT_TRUE(spatial_over_unflagged);
  ASSERT_TRUE(appeared_flagged);

  TerminalViewOptions vo;
  vo.stream = "cam";
  vo.ansi = true;
  TerminalView view(engine, vo);
  const std::string text = view.render(100, std::chrono::seconds(5));
  const std::string spatial = line_of(text, "spatial");
  EXPECT_NE(spatial.find("ok"), std::string::npos) << text;
  EXPECT_EQ(spatial.find("DRIFT"), std::string::npos) << text;
  EXPECT_EQ(spatial.find("1.7"), std::string::npos) << text;  // no score for a non-decision
  const std::string appeared = line_of(text, "class_appeared");
  EXPECT_NE(appeared.find("DRIFT"), std::string::npos) << text;
  EXPECT_NE(appeared.find("cat"), std::string::npos) << text;
}

}  // namespace
}  // namespace predwatch::daemon
