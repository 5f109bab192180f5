#include "core/divergence.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace predwatch::core {
namespace {

// Reference values from SciPy 1.10.1 / NumPy 1.24.2 (/usr/bin/python3), independent of this
// code:
//
//   import numpy as np
//   from scipy.spatial.distance import jensenshannon
//   from scipy.stats import chi2_contingency
//   def ref(b, w, eps=1e-4):
//       b = np.array(b, float); w = np.array(w, float); p = b/b.sum(); q = w/w.sum()
//       js = jensenshannon(p, q, base=2)
//       pf = np.where(p == 0, eps, p); qf = np.where(q == 0, eps, q)      # Evidently floor
//       psi = np.sum((qf - pf) * np.log(qf / pf))
//       k = len(p); pa = (p + eps)/(1 + k*eps); qa = (q + eps)/(1 + k*eps)  # additive
//       psi_add = np.sum((qa - pa) * np.log(qa / pa))
//       hel = np.sqrt(0.5 * np.sum((np.sqrt(p) - np.sqrt(q))**2))
//       linf = np.max(np.abs(p - q)); tv = 0.5 * np.sum(np.abs(p - q))
//       keep = (b + w) > 0                      # columns empty on both sides dropped
//       t = np.array([b[keep], w[keep]])
//       stat, pv, dof, exp = chi2_contingency(t, correction=False)
//       v = np.sqrt(stat / t.sum())
//       js_floor_s = jensenshannon(pf, qf, base=2)  # scipy renormalises its inputs
//       js_add_s = jensenshannon(pa, qa, base=2)
struct Reference {
  double js, psi_floor, psi_additive, hellinger, l_infinity, total_variation;
  double chi2, p_value;
  int dof;
  double cramers_v;
  double js_smoothed_floor, js_smoothed_additive;
};

void expect_rel(double actual, double expected, double rel = 1e-9) {
  EXPECT_NEAR(actual, expected, rel * std::abs(expected) + 1e-15)
      << "actual " << actual << " expected " << expected;
}

void expect_matches(const std::vector<uint64_t>& b, const std::vector<uint64_t>& w,
                    const Reference& ref) {
  DivergenceOptions floor;  // defaults: kFloorEmpty, epsilon 1e-4
  const DistributionDrift d = compare_distributions(b, w, floor);
  ASSERT_TRUE(d.valid());
  expect_rel(d.js_distance, ref.js);
  expect_rel(d.psi, ref.psi_floor);
  expect_rel(d.hellinger, ref.hellinger);
  expect_rel(d.l_infinity, ref.l_infinity);
  expect_rel(d.total_variation, ref.total_variation);
  expect_rel(d.chi_square.statistic, ref.chi2);
  expect_rel(d.chi_square.p_value, ref.p_value, 1e-8);
  EXPECT_EQ(d.chi_square.dof, ref.dof);
  expect_rel(d.chi_square.cramers_v, ref.cramers_v);

  // The test alone gives SciPy's numbers too; the distances alone leave it unset.
  const ChiSquareResult alone = chi_square_homogeneity(b, w);
  expect_rel(alone.statistic, ref.chi2);
  expect_rel(alone.p_value, ref.p_value, 1e-8);
  EXPECT_EQ(alone.dof, ref.dof);
  expect_rel(alone.cramers_v, ref.cramers_v);
  EXPECT_EQ(alone.status, d.chi_square.status);
  DivergenceOptions untested;
  untested.test_homogeneity = false;
  const DistributionDrift distances = compare_distributions(b, w, untested);
  expect_rel(distances.js_distance, ref.js);
  expect_rel(distances.psi, ref.psi_floor);
  expect_rel(distances.hellinger, ref.hellinger);
  EXPECT_EQ(distances.chi_square.status, ChiSquareResult::Status::kEmpty);
  EXPECT_TRUE(std::isnan(distances.chi_square.p_value));

  DivergenceOptions additive;
  additive.smoothing.method = Smoothing::Method::kAdditive;
  const DistributionDrift a = compare_distributions(b, w, additive);
  expect_rel(a.psi, ref.psi_additive);
  expect_rel(a.js_distance, ref.js);  // bounded measures unsmoothed by default

  floor.smooth_bounded_measures = true;
  expect_rel(compare_distributions(b, w, floor).js_distance, ref.js_smoothed_floor);
  additive.smooth_bounded_measures = true;
  expect_rel(compare_distributions(b, w, additive).js_distance, ref.js_smoothed_additive);

  // The double overload gives the same numbers.
  const std::vector<double> bd(b.begin(), b.end()), wd(w.begin(), w.end());
  const DistributionDrift dd = compare_distributions(bd, wd);
  expect_rel(dd.js_distance, ref.js);
  expect_rel(dd.psi, ref.psi_floor);
  expect_rel(dd.chi_square.statistic, ref.chi2);
}

TEST(Divergence, SmallHistogramWithOneSidedBinsMatchesScipy) {
  // ref([120,80,40,10,0,250], [100,95,30,0,7,268]); min expected 3.5, 2/12 cells below 5.
  const Reference ref{0.14396961815262727, 0.1948302949525188,    0.1959210383710793,
                      0.13994935773972003, 0.03999999999999998,   0.08000000000000002,
                      22.157950157950157,  0.0004886060876015019, 5,
                      0.1488554673431586,  0.14121576840881056,   0.14152136812948116};
  const std::vector<uint64_t> b{120, 80, 40, 10, 0, 250}, w{100, 95, 30, 0, 7, 268};
  expect_matches(b, w, ref);
  const DistributionDrift d = compare_distributions(b, w);
  EXPECT_EQ(d.chi_square.status, ChiSquareResult::Status::kOk);  // 500 per side <= 1000
  EXPECT_EQ(d.baseline_total, 500);
  EXPECT_EQ(d.window_total, 500);
}

TEST(Divergence, LargeSampleMatchesScipyAndIsFlagged) {
  // ref([5000,3000,1500,400,100,0], [4000,3500,1700,300,50,120])
  const Reference ref{0.11383592903779502, 0.09690456661435204,   0.09736726167382369,
                      0.1043691226491593,  0.08634953464322648,   0.10015511892450879,
                      307.57525137773007,  2.354277864677279e-64, 5,
                      0.12504706818516229, 0.11219482921507219,   0.1123378191118474};
  const std::vector<uint64_t> b{5000, 3000, 1500, 400, 100, 0}, w{4000, 3500, 1700, 300, 50, 120};
  expect_matches(b, w, ref);
  const DistributionDrift d = compare_distributions(b, w);
  EXPECT_EQ(d.chi_square.status, ChiSquareResult::Status::kLargeSample);
  EXPECT_FALSE(d.chi_square.valid());
  // Without the cut-off the same test is valid.
  DivergenceOptions no_cutoff;
  no_cutoff.chi_square.max_sample = 0;
  EXPECT_EQ(compare_distributions(b, w, no_cutoff).chi_square.status, ChiSquareResult::Status::kOk);
}

TEST(Divergence, SparseTableFailsCochranButReportsValues) {
  // ref([3,2,1,0], [1,2,3,2]); min expected 0.857 < 1, all cells below 5.
  const Reference ref{0.49584719902230334,
                      2.668006784615663,
                      2.6675195290642706,
                      0.45970084338098305,
                      0.375,
                      0.4583333333333333,
                      3.791666666666667,
                      0.284856926314007,
                      3,
                      0.5204164998665333,
                      0.4952409904197215,
                      0.4951611833718137};
  const std::vector<uint64_t> b{3, 2, 1, 0}, w{1, 2, 3, 2};
  expect_matches(b, w, ref);
  const DistributionDrift d = compare_distributions(b, w);
  EXPECT_EQ(d.chi_square.status, ChiSquareResult::Status::kSparse);
  EXPECT_EQ(chi_square_status_name(d.chi_square.status), "sparse");
}

TEST(Divergence, CochranTwentyPercentRule) {
  // Expected counts of [[b],[w]] with equal totals are (b_j + w_j) / 2 per cell. Five
  // columns: column totals 8 (E=4 < 5 on both rows) and four of 40 (E=20). 2/10 cells = 20%
  // below 5 -> allowed; with two small columns 4/12 = 33% -> sparse.
  const std::vector<uint64_t> b{4, 20, 20, 20, 20}, w{4, 20, 20, 20, 20};
  EXPECT_EQ(compare_distributions(b, w).chi_square.status, ChiSquareResult::Status::kOk);
  const std::vector<uint64_t> b2{4, 4, 20, 20, 20, 20}, w2{4, 4, 20, 20, 20, 20};
  EXPECT_EQ(compare_distributions(b2, w2).chi_square.status, ChiSquareResult::Status::kSparse);
  // Identical samples: X^2 = 0, p = 1, V = 0.
  const ChiSquareResult same = compare_distributions(b, w).chi_square;
  EXPECT_EQ(same.statistic, 0);
  EXPECT_DOUBLE_EQ(same.p_value, 1.0);
  EXPECT_EQ(same.cramers_v, 0);
}

TEST(Divergence, DisjointSupportsAreMaximallyDistant) {
  // ref([10,0], [0,10]): JS = H = TV = Linf = V = 1, X^2 = n = 20, dof 1,
  // p = chi2.sf(20, 1) = 7.744216431044088e-06. PSI floor: 2 * (1 - 1e-4) * ln(1e4)
  // = 18.418838675877968.
  const Reference ref{
      1.0, 18.418838675877968, 18.41719729449413, 1.0, 1.0, 1.0, 20.0, 7.744216431044088e-06, 1,
      1.0, 0.9992632782879535, 0.9992633447559152};
  expect_matches({10, 0}, {0, 10}, ref);
}

TEST(Divergence, EmptySidesAreInvalidAndNaN) {
  const std::vector<uint64_t> some{1, 2, 3}, none{0, 0, 0};
  const DistributionDrift empty_window = compare_distributions(some, none);
  EXPECT_EQ(empty_window.status, DistributionDrift::Status::kEmptyWindow);
  EXPECT_FALSE(empty_window.valid());
  EXPECT_TRUE(std::isnan(empty_window.js_distance));
  EXPECT_TRUE(std::isnan(empty_window.psi));
  EXPECT_TRUE(std::isnan(empty_window.hellinger));
  EXPECT_TRUE(std::isnan(empty_window.l_infinity));
  EXPECT_TRUE(std::isnan(empty_window.total_variation));
  EXPECT_EQ(empty_window.chi_square.status, ChiSquareResult::Status::kEmpty);
  EXPECT_TRUE(std::isnan(empty_window.chi_square.p_value));
  EXPECT_FALSE(empty_window.js_distance > 0.1);  // can never cross a threshold

  const DistributionDrift empty_baseline = compare_distributions(none, some);
  EXPECT_EQ(empty_baseline.status, DistributionDrift::Status::kEmptyBaseline);
  EXPECT_TRUE(std::isnan(empty_baseline.psi));
  EXPECT_EQ(compare_distributions(none, none).status, DistributionDrift::Status::kEmptyBaseline);
  for (const ChiSquareResult& alone :
       {chi_square_homogeneity(some, none), chi_square_homogeneity(none, some)}) {
    EXPECT_EQ(alone.status, ChiSquareResult::Status::kEmpty);
    EXPECT_TRUE(std::isnan(alone.p_value));
  }
}

TEST(Divergence, SingleBinAndAllMassInOneBin) {
  for (const auto& [b, w] : std::vector<std::pair<std::vector<uint64_t>, std::vector<uint64_t>>>{
           {{7}, {1000}}, {{0, 50, 0, 0}, {0, 3, 0, 0}}}) {
    const DistributionDrift d = compare_distributions(b, w);
    ASSERT_TRUE(d.valid());
    EXPECT_EQ(d.js_distance, 0);
    EXPECT_EQ(d.psi, 0);
    EXPECT_EQ(d.hellinger, 0);
    EXPECT_EQ(d.l_infinity, 0);
    EXPECT_EQ(d.total_variation, 0);
    EXPECT_EQ(d.chi_square.status, ChiSquareResult::Status::kTooFewBins);
    EXPECT_EQ(d.chi_square.dof, 0);
    EXPECT_EQ(d.chi_square.p_value, 1);
    EXPECT_EQ(d.chi_square.cramers_v, 0);
  }
}

TEST(Divergence, PsiWithoutSmoothingIsInfiniteOnOneSidedBins) {
  DivergenceOptions raw;
  raw.smoothing.epsilon = 0;
  const DistributionDrift d =
      compare_distributions(std::vector<uint64_t>{5, 5, 0}, std::vector<uint64_t>{5, 4, 1}, raw);
  EXPECT_TRUE(std::isinf(d.psi));
  // Without empty bins epsilon = 0 gives the textbook PSI: p = (.5, .5), q = (.4, .6):
  // (.4-.5) ln(.8) + (.6-.5) ln(1.2) = 0.1 * (ln 1.2 - ln 0.8) = 0.1 * ln 1.5.
  const DistributionDrift e =
      compare_distributions(std::vector<uint64_t>{5, 5}, std::vector<uint64_t>{4, 6}, raw);
  expect_rel(e.psi, 0.1 * std::log(1.5));
}

TEST(Divergence, IdenticalShapesAtDifferentScalesAreZero) {
  const std::vector<uint64_t> b{10, 20, 30, 0}, w{100, 200, 300, 0};
  const DistributionDrift d = compare_distributions(b, w);
  EXPECT_NEAR(d.js_distance, 0, 1e-12);
  EXPECT_NEAR(d.psi, 0, 1e-12);
  EXPECT_NEAR(d.hellinger, 0, 1e-12);
  EXPECT_NEAR(d.chi_square.statistic, 0, 1e-9);
  EXPECT_NEAR(d.chi_square.p_value, 1, 1e-9);
}

TEST(Divergence, DesignEffectScalesTheStatisticOnly) {
  // Case A with design effect 2: X^2 = 22.157950157950157 / 2, dof 5;
  // scipy.stats.chi2.sf(22.157950157950157 / 2, 5) = 0.04983643041786324. V unchanged.
  const std::vector<uint64_t> b{120, 80, 40, 10, 0, 250}, w{100, 95, 30, 0, 7, 268};
  DivergenceOptions options;
  options.chi_square.design_effect = 2;
  const ChiSquareResult r = compare_distributions(b, w, options).chi_square;
  expect_rel(r.statistic, 22.157950157950157 / 2);
  expect_rel(r.p_value, 0.04983643041786324, 1e-8);
  expect_rel(r.cramers_v, 0.1488554673431586);
}

TEST(Divergence, MergeBinsFromTheBaselineSide) {
  // total 67, window 100, min_expected 5 -> a group needs baseline mass 5 * 67 / 100 = 3.35.
  // bin 0 (10) closes group 0; bin 1 unused -> unseen group; bins 2+3 (2+3 = 5) group 1;
  // bin 4 (50) group 2; bins 5+6 (1+1 = 2 < 3.35) trail short and join group 2; unseen = 3.
  const std::vector<uint64_t> baseline{10, 0, 2, 3, 50, 1, 1};
  const BinMerge m = merge_bins(baseline, 100.0);
  EXPECT_EQ(m.groups, 4u);
  EXPECT_EQ(m.group_of_bin, (std::vector<uint32_t>{0, 3, 1, 1, 2, 2, 2}));
  std::vector<uint64_t> merged;
  merge_counts(std::vector<uint64_t>{1, 7, 2, 2, 30, 5, 5}, m, merged);
  EXPECT_EQ(merged, (std::vector<uint64_t>{1, 4, 40, 7}));
  merge_counts(baseline, m, merged);
  EXPECT_EQ(merged, (std::vector<uint64_t>{10, 5, 52, 0}));
  // Every baseline-used group expects >= 5 window observations: 100 * mass / 67.
  for (size_t g = 0; g + 1 < merged.size(); ++g) EXPECT_GE(100.0 * merged[g] / 67, 5.0) << g;

  // A larger window needs less baseline mass per group: no merging, no unused bins.
  const BinMerge fine = merge_bins(std::vector<uint64_t>{5, 6, 7}, 1000.0);
  EXPECT_EQ(fine.groups, 3u);
  EXPECT_EQ(fine.group_of_bin, (std::vector<uint32_t>{0, 1, 2}));
  // A tiny window: everything short of the target stays one group.
  const BinMerge coarse = merge_bins(std::vector<double>{5, 6, 7}, 1.0);
  EXPECT_EQ(coarse.groups, 1u);
  EXPECT_EQ(coarse.group_of_bin, (std::vector<uint32_t>{0, 0, 0}));
  // An empty baseline: one group (all unused).
  EXPECT_EQ(merge_bins(std::vector<uint64_t>{0, 0}, 10.0).groups, 1u);
}

}  // namespace
}  // namespace predwatch::core
