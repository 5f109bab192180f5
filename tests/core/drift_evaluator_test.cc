#include "core/drift_evaluator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace predwatch::core {
namespace {

// Reference values below were computed with SciPy (/usr/bin/python3):
//   from scipy.spatial.distance import jensenshannon
//   from scipy.stats import chi2_contingency, chi2, binom
//   chi2_contingency([[200,100],[150,150]], correction=False)
//       -> X2 17.142857, p 3.4671076872696563e-05
//   jensenshannon([200,100,0],[150,100,50], base=2) -> 0.30323300278831805
//   binom.sf(49, 50, 0.5) = 0.5**50 -> 8.881784197001252e-16
//   chi2.sf(8, 1) -> 0.004677734981047276
//   jensenshannon([0.6,0.4],[0.4,0.6], base=2) -> 0.17043886160536084
//   binom.sf(19, 25, 1/3) -> 2.268661443783179e-06
//   binom.cdf(0, 100, 200/1200) = (5/6)**100 -> 1.2074673472413683e-08
//   jensenshannon([100,100,0,0],[50,0,0,150], base=2) -> 0.8097154205210412
//   chi2_contingency([[100,100],[50,150]], correction=False)
//       -> X2 26.67, p 2.4175638811190183e-07

constexpr Box kTopLeft{0.0f, 0.0f, 0.04f, 0.04f};      // centre in heatmap cell 0
constexpr Box kBottomRight{0.96f, 0.96f, 1.0f, 1.0f};  // centre in cell 255 (16 x 16 grid)

Frame make_frame(std::vector<std::pair<ClassId, Box>> boxes, float confidence = kNoConfidence) {
  Frame f;
  for (auto [c, b] : boxes) f.detections.push_back({c, confidence, b, kNoMaskArea});
  return f;
}

void add_n(Stats& s, int n, const Frame& f) {
  for (int i = 0; i < n; ++i) s.add(f);
}

// These tests check the tests' mechanics against scipy and hand computations of the "no
// change" null; the minimum-effect null has its own test (MinimumEffect...).
struct Fixture {
  DriftThresholds th = [] {
    DriftThresholds t;
    t.minimum_effect = false;
    return t;
  }();
  ThresholdResolver resolver() {
    return [this](std::string_view) -> const DriftThresholds& { return th; };
  }
  void only(std::initializer_list<AlertKind> kinds) {
    th.enabled.fill(false);
    for (AlertKind k : kinds) th.enabled[size_t(k)] = true;
  }
};

const DriftFinding* find(const DriftReport& r, AlertKind kind, std::string_view subject = "") {
  for (const DriftFinding& f : r.findings)
    if (f.kind == kind && f.subject() == subject) return &f;
  return nullptr;
}

int flagged_count(const DriftReport& r) {
  int n = 0;
  for (const DriftFinding& f : r.findings) n += f.flagged;
  return n;
}

TEST(DriftEvaluator, EmptyWindowTestsNothing) {
  Fixture fx;
  BaselineStats base;
  base.class_names = {"a"};
  add_n(base.stats, 300, make_frame({{0, kTopLeft}}));
  Stats window;
  const std::vector<std::string> names = {"a"};
  const DriftReport r = evaluate_drift("s", "5m", window, names, base, fx.resolver(), 42);
  EXPECT_EQ(r.window_frames, 0u);
  EXPECT_EQ(r.baseline_frames, 300u);
  EXPECT_EQ(r.evaluated_at_ms, 42);
  EXPECT_EQ(flagged_count(r), 0);
  const DriftFinding* cd = find(r, AlertKind::kClassDistribution);
  ASSERT_NE(cd, nullptr);
  EXPECT_FALSE(cd->tested);
  EXPECT_NE(cd->note.find("min support: 0 < 200"), std::string::npos) << cd->note;
  // "a" vanished, but an empty window expects 0 frames with it: not tested.
  const DriftFinding* v = find(r, AlertKind::kClassVanished, "a");
  ASSERT_NE(v, nullptr);
  EXPECT_FALSE(v->tested);
  EXPECT_DOUBLE_EQ(v->expected, 0.0);
}

// Baseline: 200 frames with one "a", 100 with one "b". Window: 150 "a", 100 "b", 50 "c"
// (c only in the window). Every frame holds one object at the same place, so every
// per-class histogram has all its mass in one bin (chi-square kTooFewBins, p = 1, distance 0).
// Baseline: 200 frames of b and 100 of a (class order b, a); window: 150 a, 100 b and 50 of
// c, a class the baseline lacks. Every box in the top-left cell.
DriftReport evaluate_three_classes(Fixture& fx) {
  BaselineStats base;
  base.class_names = {"b", "a"};  // a different class order than the window's
  add_n(base.stats, 200, make_frame({{1, kTopLeft}}));
  add_n(base.stats, 100, make_frame({{0, kTopLeft}}));
  Stats window;
  const std::vector<std::string> names = {"a", "b", "c"};
  add_n(window, 150, make_frame({{0, kTopLeft}}));
  add_n(window, 100, make_frame({{1, kTopLeft}}));
  add_n(window, 50, make_frame({{2, kTopLeft}}));
  return evaluate_drift("s", "5m", window, names, base, fx.resolver(), 0);
}

TEST(DriftEvaluator, ClassDistributionAndAppearedAgainstScipy) {
  Fixture fx;
  const DriftReport r = evaluate_three_classes(fx);

  const DriftFinding* cd = find(r, AlertKind::kClassDistribution);
  ASSERT_NE(cd, nullptr);
  EXPECT_TRUE(cd->tested);
  EXPECT_NEAR(cd->js, 0.30323300278831805, 1e-12);
  EXPECT_EQ(cd->score, cd->js);
  EXPECT_EQ(cd->measure, "js_distance");
  EXPECT_DOUBLE_EQ(cd->threshold, 0.1);
  EXPECT_EQ(cd->counts.window_count, 300u);
  EXPECT_EQ(cd->counts.baseline_total, 300u);
  // Family of 12 hypotheses: class_distribution, objects_per_frame (one bin: p = 1), 3 per
  // class for a and b (one bin each: p = 1), class_appeared c, and the 3 pairs of the
  // window's 3 classes, none of which reaches min_pair_count (p = 1).
  // BH: q(c) = 12 p_c / 1, q(cd) = 12 p_cd / 2.
  // Appeared: conditional test, k = 50 of n = 300 vs K = 0 of N = 300: Bin(50, 1/2) >= 50.
  // Chi-square on merged bins: the baseline never shows c, so its bin joins b's group
  // (UnseenBins::kWithNeighbours): [[200, 100], [150, 150]].
  const double p_cd = 3.4671076872696563e-05, p_c = 8.881784197001252e-16;
  EXPECT_NEAR(cd->p_value, 12 * p_cd / 2, 1e-6 * 12 * p_cd / 2);
  EXPECT_TRUE(cd->flagged);
  const DriftFinding* app = find(r, AlertKind::kClassAppeared, "c");
  ASSERT_NE(app, nullptr);
  EXPECT_TRUE(app->tested);
  EXPECT_NEAR(app->p_value, 12 * p_c, 1e-6 * 12 * p_c);
  EXPECT_NEAR(app->expected, 300 * 0.5 / 301, 1e-12);
  EXPECT_EQ(app->counts.window_count, 50u);
  EXPECT_TRUE(app->flagged);
  // All mass in one bin: distance 0, tested, never flagged.
  const DriftFinding* sp = find(r, AlertKind::kSpatial, "a");
  ASSERT_NE(sp, nullptr);
  EXPECT_TRUE(sp->tested);
  EXPECT_EQ(sp->score, 0.0);
  EXPECT_EQ(sp->p_value, 1.0);
  EXPECT_FALSE(sp->flagged);
  // Training annotations: one stream-level confidence finding with a note, none per class.
  const DriftFinding* conf = find(r, AlertKind::kConfidence);
  ASSERT_NE(conf, nullptr);
  EXPECT_FALSE(conf->tested);
  EXPECT_NE(conf->note.find("training annotations"), std::string::npos);
  EXPECT_EQ(find(r, AlertKind::kConfidence, "a"), nullptr);
  // c is on one side only: no per-class distribution findings for it.
  EXPECT_EQ(find(r, AlertKind::kSpatial, "c"), nullptr);
  EXPECT_EQ(flagged_count(r), 2);
}

// evaluate_three_classes with the default minimum-effect null (docs/DRIFT.md "Minimum effect").
// class_distribution: X^2 = 2 (25^2 / 175 + 25^2 / 125) = 17.1429 on 1 df (the merged table
// [[200, 100], [150, 150]]); the tolerance of js_distance 0.1 is D0 = 8 ln 2 x 0.1^2 and
// lambda = (300 x 300 / 600) D0 = 8.3178; chi2(1, lambda) = (Z + sqrt(lambda))^2, so
// p = Phi(-sqrt(X^2) - sqrt(lambda)) + Phi(-sqrt(X^2) + sqrt(lambda)) = 0.104496, and BH
// (rank 2 of 12) gives 12 p / 2 = 0.62698: a JS distance of 0.30 on 300 frames each is no
// evidence that the class mix moved by more than the threshold.
// class_appeared c keeps the "no change" null (its effect is presence itself): as in the
// test above, Bin(50, 1/2) >= 50, p = 2^-50 = 8.8818e-16, BH 12 p.
TEST(DriftEvaluator, MinimumEffectNullAgainstHandValues) {
  Fixture fx;
  fx.th.minimum_effect = true;
  const DriftReport r = evaluate_three_classes(fx);
  const DriftFinding* cd = find(r, AlertKind::kClassDistribution);
  ASSERT_NE(cd, nullptr);
  EXPECT_NEAR(cd->p_value, 0.6269786293530146, 1e-6);
  EXPECT_FALSE(cd->flagged);
  // The watch evidence is the "no change" p-value (as in the test above): 12 p_cd / 2.
  EXPECT_NEAR(cd->p_change, 12 * 3.4671076872696563e-05 / 2, 1e-9);
  const DriftFinding* app = find(r, AlertKind::kClassAppeared, "c");
  ASSERT_NE(app, nullptr);
  EXPECT_NEAR(app->p_value, 12 * 8.881784197001252e-16, 1e-6 * 12 * 8.881784197001252e-16);
  EXPECT_TRUE(app->flagged);
}

// Baseline: a+b on 5 of 1000 frames (the others a alone); window: a+b on 20 of 500 frames,
// b+c on 3, b alone on 477 (class order b, a, c).
struct PairSides {
  BaselineStats base;
  Stats window;
  std::vector<std::string> names = {"b", "a", "c"};
  PairSides() {
    base.class_names = {"a", "b", "c"};
    add_n(base.stats, 5, make_frame({{0, kTopLeft}, {1, kTopLeft}}));
    add_n(base.stats, 995, make_frame({{0, kTopLeft}}));
    add_n(window, 20, make_frame({{0, kTopLeft}, {1, kTopLeft}}));
    add_n(window, 3, make_frame({{1, kTopLeft}, {2, kTopLeft}}));
    add_n(window, 477, make_frame({{1, kTopLeft}}));
  }
};

// pair_rate under the minimum-effect null "the window's rate is at most min_rate_ratio = 2 x
// the baseline's": the window's frames count twice in the conditional binomial. The sides of
// PairRateAndNovelPair below: a+b on 20 of 500 window frames, 5 of 1000 baseline frames:
// X ~ Bin(25, 2 x 500 / (2 x 500 + 1000)) >= 20, p = P(Bin(25, 1/2) >= 20) = 0.0020386577
// (the "no change" null there: Bin(25, 1/3), 2.2687e-6); 3 pairs in the family: 3 p.
TEST(DriftEvaluator, MinimumEffectPairRateDoublesTheWindow) {
  Fixture fx;
  fx.th.minimum_effect = true;
  fx.only({AlertKind::kPairRate, AlertKind::kNovelPair});
  const PairSides sides;
  const DriftReport r =
      evaluate_drift("s", "5m", sides.window, sides.names, sides.base, fx.resolver(), 0);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].subject(), "a|b");
  EXPECT_NEAR(r.findings[0].p_value, 3 * 0.0020386576652526855, 1e-9);
  EXPECT_TRUE(r.findings[0].flagged);
}

// Spatial: baseline 60 frames with 2 cars top-left + 40 with 2 cars bottom-right; the window
// swaps 60/40. Objects [120, 80] vs [80, 120]; Pearson X^2 = 400 (120*120 - 80*80)^2 / 200^4
// = 16; every frame holds 2 cars in one cell, so the design effect sum(m^2)/sum(m) = 400/200
// = 2 on both sides and X^2 / 2 = 8, p = chi2.sf(8, 1). Only `spatial` is enabled: a family
// of one, so the adjusted p-value is the raw one.
TEST(DriftEvaluator, SpatialDesignEffectAndHotspot) {
  Fixture fx;
  fx.only({AlertKind::kSpatial});
  BaselineStats base;
  base.class_names = {"car"};
  add_n(base.stats, 60, make_frame({{0, kTopLeft}, {0, kTopLeft}}));
  add_n(base.stats, 40, make_frame({{0, kBottomRight}, {0, kBottomRight}}));
  Stats window;
  const std::vector<std::string> names = {"car"};
  add_n(window, 40, make_frame({{0, kTopLeft}, {0, kTopLeft}}));
  add_n(window, 60, make_frame({{0, kBottomRight}, {0, kBottomRight}}));
  const DriftReport r = evaluate_drift("s", "5m", window, names, base, fx.resolver(), 0);
  ASSERT_EQ(r.findings.size(), 1u);
  const DriftFinding& f = r.findings[0];
  EXPECT_EQ(f.kind, AlertKind::kSpatial);
  EXPECT_EQ(f.subject(), "car");
  EXPECT_TRUE(f.tested);
  EXPECT_NEAR(f.p_value, 0.004677734981047276, 1e-12);
  EXPECT_NEAR(f.score, 0.17043886160536084, 1e-12);
  EXPECT_EQ(f.hotspot, 255);
  EXPECT_EQ(f.counts.window_count, 200u);
  EXPECT_TRUE(f.flagged);  // p < 0.05 and JS 0.17 >= 0.1

  // Same shares with 20 images per side: below min_class_images (30), never flagged.
  BaselineStats small;
  small.class_names = {"car"};
  add_n(small.stats, 12, make_frame({{0, kTopLeft}, {0, kTopLeft}}));
  add_n(small.stats, 8, make_frame({{0, kBottomRight}, {0, kBottomRight}}));
  Stats small_window;
  add_n(small_window, 8, make_frame({{0, kTopLeft}, {0, kTopLeft}}));
  add_n(small_window, 12, make_frame({{0, kBottomRight}, {0, kBottomRight}}));
  const DriftReport rs = evaluate_drift("s", "5m", small_window, names, small, fx.resolver(), 0);
  ASSERT_EQ(rs.findings.size(), 1u);
  EXPECT_FALSE(rs.findings[0].tested);
  EXPECT_FALSE(rs.findings[0].flagged);
  EXPECT_NEAR(rs.findings[0].score, 0.17043886160536084, 1e-12);  // still reported
  EXPECT_NE(rs.findings[0].note.find("min support: 20 < 30 images in the window"),
            std::string::npos)
      << rs.findings[0].note;
}

// Every distance of a finding carries its own verdict: the same evidence (corrected p <= alpha)
// and its own threshold. Shares of the two used cells: baseline (0.6, 0.4), window (0.4, 0.6),
// so by hand PSI = 0.2 ln(1.5) + 0.2 ln(1.5) = 0.162186 and
// Hellinger = sqrt(1 - 2 sqrt(0.24)) = 0.142136 (JS 0.170439, p 0.004678: the test above).
TEST(DriftEvaluator, SecondaryDistancesAreJudgedOnTheirOwnThresholds) {
  Fixture fx;
  fx.only({AlertKind::kSpatial});
  fx.th.psi = 0.15;        // 0.162 >= 0.15: flagged
  fx.th.hellinger = 0.15;  // 0.142 < 0.15: not flagged
  fx.th.hellinger_warn = 0.1;
  BaselineStats base;
  base.class_names = {"car"};
  add_n(base.stats, 60, make_frame({{0, kTopLeft}, {0, kTopLeft}}));
  add_n(base.stats, 40, make_frame({{0, kBottomRight}, {0, kBottomRight}}));
  Stats window;
  const std::vector<std::string> names = {"car"};
  add_n(window, 40, make_frame({{0, kTopLeft}, {0, kTopLeft}}));
  add_n(window, 60, make_frame({{0, kBottomRight}, {0, kBottomRight}}));
  DriftReport r = evaluate_drift("s", "5m", window, names, base, fx.resolver(), 0);
  ASSERT_EQ(r.findings.size(), 1u);
  const auto& d = r.findings[0].distances;
  EXPECT_EQ(d[0].measure, "js_distance");
  EXPECT_NEAR(d[0].score, 0.17043886160536084, 1e-12);
  EXPECT_EQ(d[0].threshold, 0.1);
  EXPECT_TRUE(d[0].flagged);
  EXPECT_EQ(d[1].measure, "psi");
  EXPECT_NEAR(d[1].score, 0.162186, 1e-3);
  EXPECT_EQ(d[1].threshold, 0.15);
  EXPECT_TRUE(d[1].flagged);
  EXPECT_EQ(d[2].measure, "hellinger");
  EXPECT_NEAR(d[2].score, 0.142136, 1e-3);
  EXPECT_EQ(d[2].threshold, 0.15);
  EXPECT_FALSE(d[2].flagged);
  // Watch levels: hellinger 0.142 is significant and >= hellinger_warn 0.1 without being
  // flagged: watch. PSI is flagged, so not a watch; JS has no watch level.
  EXPECT_TRUE(d[2].watch);
  EXPECT_EQ(d[2].warn_threshold, 0.1);
  EXPECT_FALSE(d[1].watch);
  EXPECT_EQ(d[1].warn_threshold, 0.1);
  EXPECT_FALSE(d[0].watch);
  EXPECT_TRUE(std::isnan(d[0].warn_threshold));

  // Without evidence (alpha below the p-value) no distance is flagged, whatever its size.
  fx.th.alpha = 1e-3;
  r = evaluate_drift("s", "5m", window, names, base, fx.resolver(), 0);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_FALSE(r.findings[0].flagged);
  for (const DistanceVerdict& v : r.findings[0].distances) {
    EXPECT_FALSE(v.flagged) << v.measure;
    EXPECT_FALSE(v.watch) << v.measure;
  }
}

// objects_per_image: baseline 100 images with 1 x and 100 with 2; window 50 with 1 and 150
// with 4. Buckets 1..20; merged from the baseline side: {1}, {2, unused 3..20} (empty
// baseline bins join their neighbours), so the table is [[100, 100], [50, 150]].
TEST(DriftEvaluator, ObjectsPerImageCollapse) {
  Fixture fx;
  fx.only({AlertKind::kObjectsPerImage});
  BaselineStats base;
  base.class_names = {"x"};
  add_n(base.stats, 100, make_frame({{0, kTopLeft}}));
  add_n(base.stats, 100, make_frame({{0, kTopLeft}, {0, kTopLeft}}));
  Stats window;
  const std::vector<std::string> names = {"x"};
  add_n(window, 50, make_frame({{0, kTopLeft}}));
  add_n(window, 150, make_frame({{0, kTopLeft}, {0, kTopLeft}, {0, kTopLeft}, {0, kTopLeft}}));
  const DriftReport r = evaluate_drift("s", "5m", window, names, base, fx.resolver(), 0);
  ASSERT_EQ(r.findings.size(), 1u);
  const DriftFinding& f = r.findings[0];
  EXPECT_NEAR(f.score, 0.8097154205210412, 1e-12);
  EXPECT_NEAR(f.p_value, 2.4175638811190183e-07, 1e-6 * 2.4175638811190183e-07);
  EXPECT_EQ(f.hotspot, 4);  // the count bucket that grew most
  EXPECT_EQ(f.counts.window_count, 200u);
  EXPECT_TRUE(f.flagged);
}

// correction bh_kinds (weighted BH, each kind an equal share of the alpha budget).
// Baseline: 100 dog frames, 900 cat frames. Window: 200 frames each showing cat, x, y and z:
// the dog vanished (raw p = (5/6)^100, as in vanished_dog) and the 6 pairs of the window's 4
// classes are novel pairs with raw p = P(Bin(200, 1/6) >= 200) = 6^-200. Family m = 7 in
// two groups (pairs: 6, class_vanished: 1); weights m / (2 groups x members): 7/12 per pair,
// 7/2 for the dog. Weighted BH on p / w: the dog ranks 7th of 7, so its adjusted p is
// 7 (5/6)^100 / 3.5 / 7 = (5/6)^100 / 3.5; plain BH gives 7 (5/6)^100 / 7 = (5/6)^100.
// With one group every weight is 1 and the two corrections agree.
// The sides of the weighted-correction tests: baseline 100 dog frames and 900 cat frames;
// window 200 frames each showing cat, x, y and z (the dog vanished, the window's 6 pairs are
// novel).
struct VanishedDogSides {
  BaselineStats base;
  Stats window;
  std::vector<std::string> names = {"cat", "x", "y", "z"};
  VanishedDogSides() {
    base.class_names = {"cat", "dog"};
    add_n(base.stats, 100, make_frame({{1, kTopLeft}}));
    add_n(base.stats, 900, make_frame({{0, kTopLeft}}));
    add_n(window, 200, make_frame({{0, kTopLeft}, {1, kTopLeft}, {2, kTopLeft}, {3, kTopLeft}}));
  }
};

TEST(DriftEvaluator, BhByKindSharesTheAlphaBudgetEquallyBetweenKinds) {
  Fixture fx;
  fx.only({AlertKind::kClassVanished, AlertKind::kNovelPair, AlertKind::kPairRate});
  const VanishedDogSides sides;
  const BaselineStats& base = sides.base;
  const Stats& window = sides.window;
  const std::vector<std::string>& names = sides.names;
  const double raw = std::pow(5.0 / 6.0, 100);
  const DriftReport plain = evaluate_drift("s", "5m", window, names, base, fx.resolver(), 0);
  fx.th.correction = DriftThresholds::Correction::kBenjaminiHochbergByKind;
  const DriftReport by_kind = evaluate_drift("s", "5m", window, names, base, fx.resolver(), 0);
  ASSERT_EQ(by_kind.findings.size(), 7u);
  const DriftFinding* dog_plain = find(plain, AlertKind::kClassVanished, "dog");
  const DriftFinding* dog = find(by_kind, AlertKind::kClassVanished, "dog");
  ASSERT_NE(dog_plain, nullptr);
  ASSERT_NE(dog, nullptr);
  EXPECT_NEAR(dog_plain->p_value, raw, 1e-9 * raw);
  EXPECT_NEAR(dog->p_value, raw / 3.5, 1e-9 * raw);
  EXPECT_TRUE(dog->flagged);
  // One group: weights 1.
  fx.only({AlertKind::kNovelPair, AlertKind::kPairRate});
  const DriftReport pairs_only = evaluate_drift("s", "5m", window, names, base, fx.resolver(), 0);
  fx.th.correction = DriftThresholds::Correction::kBenjaminiHochberg;
  const DriftReport pairs_plain = evaluate_drift("s", "5m", window, names, base, fx.resolver(), 0);
  ASSERT_EQ(pairs_only.findings.size(), 6u);
  ASSERT_EQ(pairs_plain.findings.size(), 6u);
  for (size_t i = 0; i < 6; ++i)
    EXPECT_EQ(pairs_only.findings[i].p_value, pairs_plain.findings[i].p_value);
}

// Benjamini-Hochberg from its definition, for checking the weighted corrections: the
// adjusted p-value of hypothesis i is min over j with s_j >= s_i of m s_j / rank_j, where
// s = p / w and rank_j = #{k : s_k <= s_j} (ties share the largest rank), capped at 1.
// The raw p-values come from a Bonferroni run of the same evaluation (adjusted = m p below 1).
void expect_weighted_bh(const DriftReport& weighted, const DriftReport& bonferroni,
                        const std::function<double(const DriftFinding&)>& weight) {
  ASSERT_EQ(weighted.findings.size(), bonferroni.findings.size());
  const double m = double(bonferroni.findings.size());
  std::vector<double> s;
  for (const DriftFinding& f : bonferroni.findings) {
    ASSERT_TRUE(f.tested) << f.subject();
    ASSERT_LT(f.p_value, 1.0) << f.subject();
    s.push_back(f.p_value / m / weight(f));
  }
  for (size_t i = 0; i < s.size(); ++i) {
    double q = 1;
    for (size_t j = 0; j < s.size(); ++j) {
      if (s[j] < s[i]) continue;
      const double rank =
          double(std::count_if(s.begin(), s.end(), [&](double v) { return v <= s[j]; }));
      q = std::min(q, m * s[j] / rank);
    }
    const DriftFinding& f = weighted.findings[i];
    ASSERT_EQ(f.kind, bonferroni.findings[i].kind);
    ASSERT_EQ(f.subject(), bonferroni.findings[i].subject());
    EXPECT_NEAR(f.p_value, q, 1e-9 * q) << f.subject();
  }
}

// correction bh_presence: class_appeared and class_vanished are weighed as if the family
// held no pair hypotheses; every other hypothesis gets an equal part of the rest.
// Case 1, the streams of the test above plus the class distribution (one stream-wide
// hypothesis): m = 8 (pairs 6, class_vanished 1, class_distribution 1). Without the pairs
// the family would be n = 8 - 6 = 2: the dog's weight is m / n = 4; the rest of the budget,
// 8 - 4 = 4, over the 7 other hypotheses: 4/7 each (below 1). They sum to 8.
// Case 2, no pairs in the family (class_vanished a..d, class_appeared e, the class
// distribution): n = m, every weight is 1 and the adjusted p-values are plain BH's.
TEST(DriftEvaluator, BhPresenceWeighsOnlyThePresenceKindsUp) {
  Fixture fx;
  auto run = [&](DriftThresholds::Correction c, const Stats& window,
                 const std::vector<std::string>& names, const BaselineStats& base) {
    fx.th.correction = c;
    return evaluate_drift("s", "5m", window, names, base, fx.resolver(), 0);
  };
  using C = DriftThresholds::Correction;
  {
    fx.only({AlertKind::kClassVanished, AlertKind::kNovelPair, AlertKind::kPairRate,
             AlertKind::kClassDistribution});
    const VanishedDogSides sides;
    const BaselineStats& base = sides.base;
    const Stats& window = sides.window;
    const std::vector<std::string>& names = sides.names;
    const DriftReport presence = run(C::kBenjaminiHochbergPresence, window, names, base);
    ASSERT_EQ(presence.findings.size(), 8u);
    expect_weighted_bh(
        presence, run(C::kBonferroni, window, names, base),
        [](const DriftFinding& f) { return f.kind == AlertKind::kClassVanished ? 4.0 : 4.0 / 7; });
    // Against bh_kinds (weight 8/3): the class distribution is judged more strictly.
    const DriftReport by_kind = run(C::kBenjaminiHochbergByKind, window, names, base);
    const DriftFinding* mix = find(presence, AlertKind::kClassDistribution);
    const DriftFinding* mix_by_kind = find(by_kind, AlertKind::kClassDistribution);
    ASSERT_NE(mix, nullptr);
    ASSERT_NE(mix_by_kind, nullptr);
    EXPECT_GT(mix->p_value, mix_by_kind->p_value);
  }
  {
    fx.only({AlertKind::kClassVanished, AlertKind::kClassAppeared, AlertKind::kClassDistribution});
    BaselineStats base;
    base.class_names = {"a", "b", "c", "d"};
    for (ClassId c = 0; c < 4; ++c) add_n(base.stats, 250, make_frame({{c, kTopLeft}}));
    Stats window;
    const std::vector<std::string> names = {"a", "b", "c", "d", "e"};
    add_n(window, 200, make_frame({{4, kTopLeft}}));
    const DriftReport presence = run(C::kBenjaminiHochbergPresence, window, names, base);
    ASSERT_EQ(presence.findings.size(), 6u);
    expect_weighted_bh(presence, run(C::kBonferroni, window, names, base),
                       [](const DriftFinding&) { return 1.0; });
    const DriftReport plain = run(C::kBenjaminiHochberg, window, names, base);
    for (size_t i = 0; i < plain.findings.size(); ++i)
      EXPECT_EQ(presence.findings[i].p_value, plain.findings[i].p_value);
  }
}

// Pairs: baseline 1000 frames, 5 with both a and b; window 500 frames, 20 with both.
// p0 = 5.5 / 1001 (Jeffreys), lift = 0.04 / p0 = 7.28. Evidence: the conditional test,
// given k + K = 25 pair frames, k ~ Bin(25, 500 / 1500): p = binom.sf(19, 25, 1/3). A novel pair
// a+c (never in the baseline) shows 3 times: below min_pair_count (5), not a candidate.
TEST(DriftEvaluator, PairRateAndNovelPair) {
  Fixture fx;
  fx.only({AlertKind::kPairRate, AlertKind::kNovelPair});
  const PairSides sides;
  const DriftReport r =
      evaluate_drift("s", "5m", sides.window, sides.names, sides.base, fx.resolver(), 0);
  ASSERT_EQ(r.findings.size(), 1u);
  const DriftFinding& f = r.findings[0];
  EXPECT_EQ(f.kind, AlertKind::kPairRate);
  EXPECT_EQ(f.subject(), "a|b");
  EXPECT_EQ(f.subject_a, "a");
  EXPECT_NEAR(f.score, 7.28, 1e-9);
  EXPECT_EQ(f.measure, "rate_ratio");
  EXPECT_DOUBLE_EQ(f.threshold, 2.0);
  // The window shows 3 classes, so 3 pairs are hypotheses (2 below support, p = 1):
  // Bonferroni-like factor 3 for the only p < 1.
  EXPECT_NEAR(f.p_value, 3 * 2.268661443783179e-06, 3e-6 * 2.268661443783179e-06);
  EXPECT_EQ(f.counts.window_count, 20u);
  EXPECT_EQ(f.counts.baseline_count, 5u);
  EXPECT_NEAR(f.expected, 500 * 5.5 / 1001, 1e-12);
  EXPECT_TRUE(f.flagged);

  // Now 6 frames with a+c: a novel pair with support. Family of 2 (BH): q = 2 p / rank.
  Stats window2 = sides.window;
  add_n(window2, 3, make_frame({{1, kTopLeft}, {2, kTopLeft}}));
  const DriftReport r2 =
      evaluate_drift("s", "5m", window2, sides.names, sides.base, fx.resolver(), 0);
  const DriftFinding* novel = find(r2, AlertKind::kNovelPair, "a|c");
  ASSERT_NE(novel, nullptr);
  EXPECT_TRUE(novel->tested);
  EXPECT_TRUE(novel->flagged);
  EXPECT_EQ(novel->counts.baseline_count, 0u);
  EXPECT_EQ(novel->measure, "binomial");
  EXPECT_NEAR(novel->score, -std::log10(novel->p_value), 1e-9);
}

// class_vanished: baseline 1000 frames, 100 with "dog"; window 200 frames, none.
// p0 = 100.5 / 1001, expected 20.08; conditional test: given 100 frames with dog on both
// sides, k ~ Bin(100, 200 / 1200): p = P(k = 0) = (5/6)^100.
// Baseline: 900 frames with a cat, 100 with a dog; window: 200 cat frames, no dog. The
// window's fill (1 = full) is passed on.
DriftReport vanished_dog(double window_fill = 1.0) {
  Fixture fx;
  fx.only({AlertKind::kClassVanished});
  BaselineStats base;
  base.class_names = {"cat", "dog"};
  add_n(base.stats, 100, make_frame({{1, kTopLeft}}));
  add_n(base.stats, 900, make_frame({{0, kTopLeft}}));
  Stats window;
  const std::vector<std::string> names = {"cat"};
  add_n(window, 200, make_frame({{0, kTopLeft}}));
  return evaluate_drift("s", "5m", window, names, base, fx.resolver(), 0, {}, {}, window_fill);
}

TEST(DriftEvaluator, ClassVanished) {
  const DriftReport r = vanished_dog();
  ASSERT_EQ(r.findings.size(), 1u);
  const DriftFinding& f = r.findings[0];
  EXPECT_EQ(f.subject(), "dog");
  EXPECT_NEAR(f.expected, 20.07992007992008, 1e-9);
  EXPECT_NEAR(f.p_value, 1.2074673472413683e-08, 1e-6 * 1.2074673472413683e-08);
  EXPECT_TRUE(f.flagged);
  EXPECT_EQ(f.counts.baseline_count, 100u);
}

// A window below min_window_fill (default 1) is computed and not judged: the same data as
// ClassVanished, at 40% fill: same p-value, not tested, not flagged, a note with both shares.
TEST(DriftEvaluator, FillingWindowIsNotJudged) {
  const DriftReport r = vanished_dog(0.4);
  ASSERT_EQ(r.findings.size(), 1u);
  const DriftFinding& f = r.findings[0];
  EXPECT_NEAR(f.p_value, 1.2074673472413683e-08, 1e-6 * 1.2074673472413683e-08);
  EXPECT_FALSE(f.tested);
  EXPECT_FALSE(f.flagged);
  EXPECT_EQ(f.note, "window filling: 40% < 100% full");
  EXPECT_TRUE(vanished_dog(1.0).findings.at(0).flagged);
}

// Confidence needs scores on both sides; against a production-window baseline it runs.
TEST(DriftEvaluator, ConfidenceOnlyAgainstScoredBaseline) {
  Fixture fx;
  fx.only({AlertKind::kConfidence});
  BaselineStats base;
  base.kind = BaselineKind::kProductionWindow;
  base.class_names = {"a"};
  add_n(base.stats, 100, make_frame({{0, kTopLeft}}, 0.9f));
  add_n(base.stats, 100, make_frame({{0, kTopLeft}}, 0.7f));
  Stats window;
  const std::vector<std::string> names = {"a"};
  add_n(window, 100, make_frame({{0, kTopLeft}}, 0.3f));
  add_n(window, 100, make_frame({{0, kTopLeft}}, 0.7f));
  DriftReport r = evaluate_drift("s", "5m", window, names, base, fx.resolver(), 0);
  const DriftFinding* f = find(r, AlertKind::kConfidence, "a");
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->tested);
  EXPECT_TRUE(f->flagged);
  EXPECT_EQ(f->hotspot, 6);  // confidence 0.3 -> bin 6 of 20

  base.kind = BaselineKind::kTrainingAnnotations;
  r = evaluate_drift("s", "5m", window, names, base, fx.resolver(), 0);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].subject(), "");
  EXPECT_FALSE(r.findings[0].tested);
  EXPECT_FALSE(r.findings[0].flagged);

  // Unscored window detections: a per-class note.
  base.kind = BaselineKind::kDatasetPredictions;
  Stats unscored;
  add_n(unscored, 200, make_frame({{0, kTopLeft}}));
  r = evaluate_drift("s", "5m", unscored, names, base, fx.resolver(), 0);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_FALSE(r.findings[0].tested);
  EXPECT_NE(r.findings[0].note.find("no scored detections in the window"), std::string::npos);
}

// Identical window and baseline: nothing tested is flagged, distances 0.
TEST(DriftEvaluator, IdenticalSidesFlagNothing) {
  Fixture fx;
  BaselineStats base;
  base.class_names = {"a", "b"};
  add_n(base.stats, 300, make_frame({{0, kTopLeft}, {1, kBottomRight}}));
  add_n(base.stats, 300, make_frame({{0, kBottomRight}}));
  const std::vector<std::string> names = {"a", "b"};
  const DriftReport r = evaluate_drift("s", "5m", base.stats, names, base, fx.resolver(), 0);
  EXPECT_EQ(flagged_count(r), 0);
  for (const DriftFinding& f : r.findings) {
    if (!std::isnan(f.js)) {
      EXPECT_EQ(f.js, 0.0) << alert_kind_name(f.kind) << " " << f.subject();
    }
  }
}

// Calibration on independent samples (the COCO calibration in tests/daemon/drift resamples
// the baseline's own frames, which cannot show the baseline's sampling noise). Both sides
// come from one synthetic process: 60 classes with Zipf-like weights, 1-4 classes per frame,
// clustered objects (1 + Geometric(0.35) boxes of a class, centred near one point per class
// and frame, so spatial and class-mix counts are over-dispersed), scored boxes. Baseline
// 20,000 frames; 200 disjoint windows of 1,000 frames each. The share of windows with any
// flagged finding must stay within alpha = 0.05.
void synthetic_frames(Stats& s, int frames, std::mt19937_64& rng) {
  constexpr uint32_t kClasses = 60;
  std::vector<double> w(kClasses);
  for (uint32_t r = 0; r < kClasses; ++r) w[r] = 1.0 / (r + 3.0);
  std::discrete_distribution<uint32_t> cls(w.begin(), w.end());
  std::uniform_int_distribution<int> ncls(1, 4);
  std::geometric_distribution<int> extra(0.35);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::normal_distribution<float> jitter(0.0f, 0.03f);
  Frame f;
  for (int i = 0; i < frames; ++i) {
    f.clear();
    const int k = ncls(rng);
    for (int j = 0; j < k; ++j) {
      const ClassId c = cls(rng);
      const float cx = 0.1f + 0.8f * u(rng), cy = 0.1f + 0.8f * u(rng);
      const float size = 0.02f + 0.2f * u(rng);
      const int boxes = 1 + std::min(15, extra(rng));
      for (int b = 0; b < boxes; ++b) {
        const float x = std::clamp(cx + jitter(rng), 0.0f, 1.0f - size);
        const float y = std::clamp(cy + jitter(rng), 0.0f, 1.0f - size);
        f.detections.push_back({c, 0.3f + 0.7f * u(rng), Box{x, y, x + size, y + size}, -1});
      }
    }
    s.add(f);
  }
}

TEST(DriftEvaluator, CalibrationOnIndependentSyntheticSamples) {
  Fixture fx;
  std::mt19937_64 rng(12345);
  BaselineStats base;
  base.kind = BaselineKind::kProductionWindow;
  for (int i = 0; i < 60; ++i) base.class_names.push_back("c" + std::to_string(i));
  synthetic_frames(base.stats, 20000, rng);
  constexpr int kWindows = 200;
  int alarms = 0;
  for (int w = 0; w < kWindows; ++w) {
    Stats window;
    synthetic_frames(window, 1000, rng);
    const DriftReport r =
        evaluate_drift("s", "w", window, base.class_names, base, fx.resolver(), 0);
    if (flagged_count(r) > 0) {
      ++alarms;
      for (const DriftFinding& f : r.findings)
        if (f.flagged)
          std::printf("  window %d: %s %s p %.3g\n", w,
                      std::string(alert_kind_name(f.kind)).c_str(), f.subject().c_str(), f.p_value);
    }
  }
  std::printf("independent-sample calibration: %d of %d windows flagged\n", alarms, kWindows);
  EXPECT_LE(alarms, kWindows / 20);
}

}  // namespace
}  // namespace predwatch::core
