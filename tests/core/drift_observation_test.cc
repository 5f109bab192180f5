#include "core/drift_observation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

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
    o.windows = {{"1m", WindowSpec::Type::kTime, 60'000, 1'000, 1'000, 0},
                 {"1h", WindowSpec::Type::kTime, 3'600'000, 60'000, 1'000, 0},
                 {"last100", WindowSpec::Type::kCount, 0, 0, 0, 100}};
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
  EXPECT_EQ(o.window, "1m");
  ASSERT_EQ(o.windows.size(), 1u);
  EXPECT_EQ(o.windows[0].window, "1m");
  EXPECT_TRUE(o.windows[0].over);
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

// box_size compares area histograms and confidence confidence histograms: their hotspot is
// a bin of those (20 bins each by default).
TEST_F(DriftObservationTest, BoxSizeAndConfidenceShowTheFramesOfTheirHotspotBin) {
  NamedDetection big = det("dog", 0.2f, 0.2f);
  big.box = {0.2f, 0.2f, 0.7f, 0.7f};  // area 0.25: bin floor(20 * sqrt(0.25)) = 10
  big.confidence = 0.92f;              // bin floor(20 * 0.92) = 18
  apply("f3", 4000, {big});
  NamedDetection unsure = det("dog", 0.1f, 0.1f);
  unsure.box = {0.1f, 0.1f, 0.22f, 0.22f};  // area 0.0144: bin floor(20 * 0.12) = 2
  unsure.confidence = 0.31f;                // bin 6
  apply("f4", 5000, {unsure});
  DriftFinding size;
  size.kind = AlertKind::kBoxSize;
  size.subject_a = "dog";
  size.flagged = true;
  size.hotspot = 10;
  EXPECT_EQ(to_observation(size, monitor_, 0).exemplar_ids, (std::vector<std::string>{"f3"}));
  size.hotspot = 2;  // the 0.05-sided boxes of f0-f2 are in bins 0-1
  EXPECT_EQ(to_observation(size, monitor_, 0).exemplar_ids, (std::vector<std::string>{"f4"}));
  DriftFinding conf = size;
  conf.kind = AlertKind::kConfidence;
  conf.hotspot = 6;
  EXPECT_EQ(to_observation(conf, monitor_, 0).exemplar_ids, (std::vector<std::string>{"f4"}));
  conf.hotspot = 7;
  EXPECT_TRUE(to_observation(conf, monitor_, 0).exemplar_ids.empty());
  conf.hotspot = -1;  // no hotspot: the class's frames
  EXPECT_EQ(to_observation(conf, monitor_, 0).exemplar_ids.front(), "f4");
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

DriftFinding finding(AlertKind kind, std::string a, std::string b, double score, double threshold,
                     bool flagged) {
  DriftFinding f;
  f.kind = kind;
  f.subject_a = std::move(a);
  f.subject_b = std::move(b);
  f.score = score;
  f.threshold = threshold;
  f.tested = true;
  f.flagged = flagged;
  f.p_value = flagged ? 1e-4 : 0.5;
  return f;
}

DriftReport report(std::string window, std::vector<DriftFinding> findings) {
  DriftReport r;
  r.stream = "cam";
  r.window = std::move(window);
  r.findings = std::move(findings);
  return r;
}

// One subject flagged in three windows: one observation, three window details, the payload of
// the over window with the largest score / threshold.
TEST_F(DriftObservationTest, OneObservationPerKeyOverAllWindows) {
  DriftFinding in_1m = finding(AlertKind::kSpatial, "dog", "", 0.3, 0.1, true);
  DriftFinding in_1h = finding(AlertKind::kSpatial, "dog", "", 0.2, 0.1, true);
  DriftFinding in_last = finding(AlertKind::kSpatial, "dog", "", 0.5, 0.1, true);
  in_last.counts = {3, 3, 100, 1000};
  in_last.hotspot = int32_t(monitor_.options().layout.heatmap_cell({0.9f, 0.9f, 0.95f, 0.95f}));
  const std::vector<DriftReport> reports{report("1m", {in_1m}), report("1h", {in_1h}),
                                         report("last100", {in_last})};
  const std::vector<AlertObservation> obs = stream_observations(monitor_, reports);
  ASSERT_EQ(obs.size(), 1u);
  const AlertObservation& o = obs[0];
  EXPECT_EQ(o.key.kind, AlertKind::kSpatial);
  EXPECT_EQ(o.key.stream, "cam");
  EXPECT_EQ(o.key.subject, "dog");
  EXPECT_TRUE(o.over_threshold);
  EXPECT_EQ(o.window, "last100");
  EXPECT_EQ(o.score, 0.5);
  EXPECT_EQ(o.p_value, 1e-4);
  EXPECT_EQ(o.counts.window_count, 3u);
  EXPECT_EQ(o.exemplar_ids, (std::vector<std::string>{"f2"}));  // from the deciding window
  ASSERT_EQ(o.windows.size(), 3u);
  EXPECT_EQ(o.windows[0].window, "1m");
  EXPECT_EQ(o.windows[1].window, "1h");
  EXPECT_EQ(o.windows[2].window, "last100");
  for (const AlertWindow& w : o.windows) EXPECT_TRUE(w.over);
  EXPECT_EQ(o.windows[1].score, 0.2);
}

// A report kept across evaluations (drift.judgments_per_window) carries the position its
// window was judged at: the details say that position, not where the window stands now, so
// confirmation counts only judged renewal. Without one (NaN), the window's current position.
TEST_F(DriftObservationTest, DetailsTakeThePositionAReportWasJudgedAt) {
  DriftReport kept = report("last100", {finding(AlertKind::kSpatial, "dog", "", 0.5, 0.1, true)});
  kept.window_position = 2.0;  // judged after two of the three frames
  const std::vector<DriftReport> reports{
      report("1m", {finding(AlertKind::kSpatial, "dog", "", 0.3, 0.1, true)}), kept};
  const std::vector<AlertObservation> obs = stream_observations(monitor_, reports);
  ASSERT_EQ(obs.size(), 1u);
  ASSERT_EQ(obs[0].windows.size(), 2u);
  // 1m: panes of 1 s, newest event at 3 s: the window ends at 4 s.
  EXPECT_EQ(obs[0].windows[0].position, 4'000.0);
  EXPECT_EQ(obs[0].windows[1].position, 2.0);
  EXPECT_EQ(obs[0].windows[1].length, 100.0);
  EXPECT_EQ(
      to_observation(kept.findings[0], monitor_, 2, Against::kBaseline, 2.0).windows[0].position,
      2.0);
}

// Findings against the learned reference merge into the same observation as those against
// the baseline; each detail says which comparison it is, a window's baseline detail first.
TEST_F(DriftObservationTest, ReferenceFindingsMergeIntoTheSameAlert) {
  DriftReport ref_1m = report("1m", {finding(AlertKind::kConfidence, "dog", "", 0.4, 0.1, true)});
  ref_1m.against = Against::kReference;
  DriftReport ref_1h = report("1h", {finding(AlertKind::kConfidence, "dog", "", 0.05, 0.1, false)});
  ref_1h.against = Against::kReference;
  const std::vector<DriftReport> reports{
      report("1m", {finding(AlertKind::kConfidence, "dog", "", 0.08, 0.1, false)}),
      report("1h", {finding(AlertKind::kConfidence, "dog", "", 0.02, 0.1, false)}), ref_1m, ref_1h};
  const std::vector<AlertObservation> obs = stream_observations(monitor_, reports);
  ASSERT_EQ(obs.size(), 1u);
  const AlertObservation& o = obs[0];
  EXPECT_TRUE(o.over_threshold);
  EXPECT_EQ(o.window, "1m");
  EXPECT_EQ(o.against, Against::kReference);
  EXPECT_EQ(o.score, 0.4);
  ASSERT_EQ(o.windows.size(), 4u);
  EXPECT_EQ(o.windows[0].window, "1m");
  EXPECT_EQ(o.windows[0].against, Against::kBaseline);
  EXPECT_FALSE(o.windows[0].over);
  EXPECT_EQ(o.windows[1].window, "1m");
  EXPECT_EQ(o.windows[1].against, Against::kReference);
  EXPECT_TRUE(o.windows[1].over);
  EXPECT_EQ(o.windows[2].window, "1h");
  EXPECT_EQ(o.windows[2].against, Against::kBaseline);
  EXPECT_EQ(o.windows[3].window, "1h");
  EXPECT_EQ(o.windows[3].against, Against::kReference);
  EXPECT_EQ(against_name(Against::kReference), "reference");
  EXPECT_EQ(against_from_name("baseline"), Against::kBaseline);
  EXPECT_FALSE(against_from_name("training"));
}

// The deciding window is an over window even when another window has a larger ratio without
// being over (no evidence); with no window over, the largest ratio decides and nothing is over.
TEST_F(DriftObservationTest, TheDecidingWindowIsOverFirstThenLargestRatio) {
  const std::vector<DriftReport> some{
      report("1m", {finding(AlertKind::kBoxSize, "dog", "", 0.9, 0.1, false)}),
      report("1h", {finding(AlertKind::kBoxSize, "dog", "", 0.15, 0.1, true)}),
      report("last100", {finding(AlertKind::kBoxSize, "dog", "", NAN, 0.1, false)})};
  std::vector<AlertObservation> obs = stream_observations(monitor_, some);
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_TRUE(obs[0].over_threshold);
  EXPECT_EQ(obs[0].window, "1h");
  EXPECT_EQ(obs[0].score, 0.15);
  ASSERT_EQ(obs[0].windows.size(), 3u);
  EXPECT_FALSE(obs[0].windows[0].over);

  const std::vector<DriftReport> none{
      report("1m", {finding(AlertKind::kBoxSize, "dog", "", 0.05, 0.1, false)}),
      report("1h", {finding(AlertKind::kBoxSize, "dog", "", 0.09, 0.1, false)})};
  obs = stream_observations(monitor_, none);
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_FALSE(obs[0].over_threshold);
  EXPECT_EQ(obs[0].window, "1h");
  EXPECT_TRUE(obs[0].exemplar_ids.empty());

  // Untested and unflagged findings make no observation; a window the monitor does not have
  // is ignored.
  DriftFinding untested = finding(AlertKind::kBoxSize, "cat", "", 0.5, 0.1, false);
  untested.tested = false;
  const std::vector<DriftReport> skip{
      report("1m", {untested}),
      report("nope", {finding(AlertKind::kBoxSize, "cat", "", 0.5, 0.1, true)})};
  EXPECT_TRUE(stream_observations(monitor_, skip).empty());
}

// Pairs with a class absent from the baseline (it has a class_appeared finding) fold into the
// class_appeared observation, which lists the partners of the flagged ones; other pairs stay.
TEST_F(DriftObservationTest, PairsOfAnAppearedClassFoldIntoItsAlert) {
  const double t = 1.3;
  const std::vector<DriftReport> reports{
      report("1m", {finding(AlertKind::kClassAppeared, "zebra", "", 9, t, true),
                    finding(AlertKind::kNovelPair, "person", "zebra", 6, t, true),
                    finding(AlertKind::kNovelPair, "dog", "zebra", 0.5, t, false),  // not flagged
                    finding(AlertKind::kPairRate, "cat", "dog", 3, 2, true)}),
      report("1h", {finding(AlertKind::kClassAppeared, "zebra", "", 4, t, true),
                    finding(AlertKind::kNovelPair, "giraffe", "zebra", 2, t, true),
                    finding(AlertKind::kPairRate, "person", "zebra", 3, 2, true)})};
  const std::vector<AlertObservation> obs = stream_observations(monitor_, reports);
  ASSERT_EQ(obs.size(), 2u);
  EXPECT_EQ(obs[0].key.kind, AlertKind::kClassAppeared);
  EXPECT_EQ(obs[0].key.subject, "zebra");
  EXPECT_EQ(obs[0].window, "1m");
  EXPECT_EQ(obs[0].windows.size(), 2u);
  EXPECT_EQ(obs[0].related_subjects, (std::vector<std::string>{"giraffe", "person"}));
  EXPECT_EQ(obs[1].key.kind, AlertKind::kPairRate);
  EXPECT_EQ(obs[1].key.subject, "cat|dog");
  EXPECT_TRUE(obs[1].related_subjects.empty());

  // Without a class_appeared finding (the kind disabled) the novel pair is its own alert.
  const std::vector<DriftReport> alone{
      report("1m", {finding(AlertKind::kNovelPair, "person", "zebra", 6, t, true)})};
  const std::vector<AlertObservation> pair = stream_observations(monitor_, alone);
  ASSERT_EQ(pair.size(), 1u);
  EXPECT_EQ(pair[0].key.subject, "person|zebra");
}

// stream_observations with the tracker's keys leaves out observations of keys that no
// window flagged and that have no alert; the tracker must make exactly the same
// transitions as when it gets every observation. Random evaluations of a few subjects of
// several kinds (pairs in both orders, classes that appear), flagged now and then, with
// scores drifting around the threshold (so alerts go pending, fire, hover, settle and
// resolve): two trackers, one fed every observation, one the kept ones.
TEST_F(DriftObservationTest, LeavingOutUntrackedCalmKeysChangesNoTransition) {
  std::mt19937_64 rng(12);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  AlertTrackerOptions options;
  options.confirm_share = 0;
  AlertTracker every(options), kept(options);
  const std::vector<std::pair<std::string, std::string>> subjects{
      {"dog", ""}, {"cat", ""}, {"cat", "dog"}, {"dog", "cat"}, {"zebra", ""}, {"dog", "zebra"}};
  const std::vector<AlertKind> kinds{AlertKind::kSpatial, AlertKind::kPairRate,
                                     AlertKind::kNovelPair, AlertKind::kClassAppeared};
  size_t transitions = 0, left_out = 0;
  for (int pass = 0; pass < 400; ++pass) {
    std::vector<DriftReport> reports;
    for (const char* w : {"1m", "1h", "last100"}) {
      std::vector<DriftFinding> findings;
      for (const auto& [a, b] : subjects) {
        for (AlertKind k : kinds) {
          const bool pair = k == AlertKind::kPairRate || k == AlertKind::kNovelPair;
          if (pair != !b.empty() || u(rng) < 0.3) continue;
          // Flagged in runs: each subject's chance moves slowly with the pass.
          const double level = 0.5 + 0.5 * std::sin(pass / 15.0 + double(a.size() + int(k)));
          const bool flagged = u(rng) < 0.4 * level;
          const double score = flagged ? 1.2 + u(rng) : 1.3 * level * u(rng) + 0.5;
          findings.push_back(finding(k, a, b, score, 1.0, flagged));
        }
      }
      reports.push_back(report(w, std::move(findings)));
    }
    const int64_t now = 1000 * int64_t(pass);
    const std::vector<AlertObservation> all = stream_observations(monitor_, reports);
    const std::vector<AlertKey> tracked = kept.tracked_keys("cam");
    const std::vector<AlertObservation> some = stream_observations(monitor_, reports, tracked);
    left_out += all.size() - some.size();
    const std::vector<AlertTransition> a = every.evaluate("cam", all, now);
    const std::vector<AlertTransition> b = kept.evaluate("cam", some, now);
    ASSERT_EQ(a.size(), b.size()) << "pass " << pass;
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].from, b[i].from);
      EXPECT_EQ(a[i].to, b[i].to);
      EXPECT_EQ(a[i].alert.fingerprint, b[i].alert.fingerprint);
      EXPECT_EQ(a[i].alert.last.key, b[i].alert.last.key);
      EXPECT_EQ(a[i].alert.last.related_subjects, b[i].alert.last.related_subjects);
      EXPECT_EQ(a[i].alert.last.windows.size(), b[i].alert.last.windows.size());
    }
    transitions += a.size();
    ASSERT_EQ(every.active().size(), kept.active().size());
  }
  EXPECT_GT(transitions, 50u);  // alerts came and went
  EXPECT_GT(left_out, 300u);    // and observations were left out
}

}  // namespace
}  // namespace predwatch::core
