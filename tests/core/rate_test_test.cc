#include "core/rate_test.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace predwatch::core {
namespace {

// Reference tail probabilities: exact sums at 60 significant digits with Python's decimal
// module (/usr/bin/python3), independent of Boost; SciPy 1.10.1's binom.sf / poisson.sf /
// binom.cdf / poisson.cdf agree with them to ~1e-13 relative:
//
//   from decimal import Decimal as D, getcontext; from math import comb, factorial
//   getcontext().prec = 60
//   def pdec(K, N): return (D(K) + D('0.5')) / (D(N) + D(1))        # Jeffreys prior
//   def upper(k, n, p):                   # P(X >= k), X ~ Bin(n, p), tail terms summed
//       s = D(0)
//       for i in range(k, n + 1):
//           t = D(comb(n, i)) * p**i * (1 - p)**(n - i); s += t
//           if i > k + 20 and t < s * D(10)**-40: break
//       return s
//   def lower(k, n, p): return sum(D(comb(n, i)) * p**i * (1-p)**(n-i) for i in range(k+1))
//   def pois_upper(k, lam): return sum((-lam).exp() * lam**i / D(factorial(i))
//                                      for i in range(k, k + 400))
//   def pois_lower(k, lam): return sum((-lam).exp() * lam**i / D(factorial(i))
//                                      for i in range(k + 1))
//   p = pdec(K, N); lam = n * p; print(float(upper(k, n, p)), ...)
void expect_rel(double actual, double expected, double rel = 1e-9) {
  EXPECT_NEAR(actual, expected, rel * std::abs(expected))
      << "actual " << actual << " expected " << expected;
}

TEST(RateTest, SmoothedRateKeepsUnseenPairsSmallButPositive) {
  // Never seen in 5,000 images: (0 + 0.5) / (5000 + 1) = 9.998000399920016e-05.
  expect_rel(smoothed_baseline_rate(0, 5000), 9.998000399920016e-05, 1e-15);
  EXPECT_GT(smoothed_baseline_rate(0, 5000), 0);
  // Empty baseline: a / (a + b) = 1/2.
  EXPECT_EQ(smoothed_baseline_rate(0, 0), 0.5);
  RateTestOptions laplace;
  laplace.prior_a = laplace.prior_b = 1;
  EXPECT_DOUBLE_EQ(smoothed_baseline_rate(0, 5000, laplace), 1.0 / 5002);
}

struct UpperCase {
  uint64_t k, n, K, N;
  double binomial, poisson;
};

TEST(RateTest, UpperTailMatchesExactSums) {
  const std::vector<UpperCase> cases{
      // A pair never seen in 5,000 baseline images on 12 of 2,000 window frames.
      {12, 2000, 0, 5000, 6.8703872759169355e-18, 7.093551730847526e-18},
      {40, 1000, 100, 5000, 4.8041952826307996e-05, 5.878368627902272e-05},
      // Extreme tail: 60 of 1,000 frames for a never-seen pair.
      {60, 1000, 0, 5000, 1.7784788977076007e-143, 1.0762316377933122e-142},
      // Large n, tiny p0 = 1.5 / 1000001, expected 15: 150 hits in 10^7 frames.
      {150, 10'000'000, 1, 1'000'000, 1.539323102289709e-93, 1.540717195268554e-93},
      // Fewer hits than expected: p-value close to 1.
      {30, 300, 1000, 5000, 0.9999990494584823, 0.9999931891002158},
  };
  for (const UpperCase& c : cases) {
    SCOPED_TRACE(testing::Message() << "k=" << c.k << " n=" << c.n);
    const double p0 = smoothed_baseline_rate(c.K, c.N);
    expect_rel(binomial_upper_tail(c.k, c.n, p0), c.binomial);
    expect_rel(poisson_upper_tail(c.k, static_cast<double>(c.n) * p0), c.poisson);
    RateTestOptions binomial;
    binomial.min_count = 5;
    const RateTestResult r = rate_increase_test({c.k, c.n, c.K, c.N}, binomial);
    if (static_cast<double>(c.k) <= r.expected) {
      // Not above the baseline rate: skipped, conservative p-value 1.
      EXPECT_FALSE(r.tested);
      EXPECT_EQ(r.p_value, 1.0);
      EXPECT_GT(c.binomial, 0.5);
      continue;
    }
    EXPECT_TRUE(r.tested);
    expect_rel(r.p_value, c.binomial);
    EXPECT_DOUBLE_EQ(r.baseline_rate, p0);
    EXPECT_DOUBLE_EQ(r.expected, static_cast<double>(c.n) * p0);
    EXPECT_DOUBLE_EQ(r.window_rate, static_cast<double>(c.k) / static_cast<double>(c.n));
    EXPECT_DOUBLE_EQ(r.lift, r.window_rate / p0);
    RateTestOptions poisson = binomial;
    poisson.model = RateTestOptions::Model::kPoisson;
    expect_rel(rate_increase_test({c.k, c.n, c.K, c.N}, poisson).p_value, c.poisson);
  }
}

TEST(RateTest, LowerTailMatchesExactSums) {
  // Class vanished: baseline share (1000.5 / 5001) ~ 0.2, window 0 of 500 frames
  // (expected 100): binomial 3.3783924584335327e-49, Poisson 3.610152771910885e-44.
  const double p0 = smoothed_baseline_rate(1000, 5000);
  expect_rel(binomial_lower_tail(0, 500, p0), 3.3783924584335327e-49);
  expect_rel(poisson_lower_tail(0, 500 * p0), 3.610152771910885e-44);
  // 30 of 300 (expected 60): binomial 2.2061131886225048e-06, Poisson 1.4043593388999186e-05.
  expect_rel(binomial_lower_tail(30, 300, p0), 2.2061131886225048e-06);
  expect_rel(poisson_lower_tail(30, 300 * p0), 1.4043593388999186e-05);
  // 40 of 1000 at p0 = 100.5/5001: binomial 0.9999774041059332, Poisson 0.9999717760532765.
  const double p1 = smoothed_baseline_rate(100, 5000);
  expect_rel(binomial_lower_tail(40, 1000, p1), 0.9999774041059332);
  expect_rel(poisson_lower_tail(40, 1000 * p1), 0.9999717760532765);

  const RateTestResult r = rate_decrease_test({0, 500, 1000, 5000});
  EXPECT_TRUE(r.tested);
  expect_rel(r.p_value, 3.3783924584335327e-49);
  RateTestOptions poisson;
  poisson.model = RateTestOptions::Model::kPoisson;
  expect_rel(rate_decrease_test({30, 300, 1000, 5000}, poisson).p_value, 1.4043593388999186e-05);
}

TEST(RateTest, TailBoundaries) {
  EXPECT_EQ(binomial_upper_tail(0, 10, 0.3), 1.0);   // P(X >= 0)
  EXPECT_EQ(binomial_upper_tail(11, 10, 0.3), 0.0);  // impossible
  EXPECT_EQ(binomial_upper_tail(3, 10, 0.0), 0.0);
  EXPECT_EQ(binomial_upper_tail(3, 10, 1.0), 1.0);
  EXPECT_EQ(binomial_lower_tail(10, 10, 0.3), 1.0);  // P(X <= n)
  EXPECT_EQ(binomial_lower_tail(3, 10, 1.0), 0.0);
  EXPECT_EQ(poisson_upper_tail(0, 2.0), 1.0);
  EXPECT_EQ(poisson_upper_tail(1, 0.0), 0.0);
  EXPECT_EQ(poisson_lower_tail(0, 0.0), 1.0);
  // Hand values: Bin(2, 1/2): P(X >= 2) = 1/4, P(X <= 0) = 1/4, P(X >= 1) = 3/4.
  EXPECT_DOUBLE_EQ(binomial_upper_tail(2, 2, 0.5), 0.25);
  EXPECT_DOUBLE_EQ(binomial_lower_tail(0, 2, 0.5), 0.25);
  EXPECT_DOUBLE_EQ(binomial_upper_tail(1, 2, 0.5), 0.75);
  // Poi(1): P(X >= 1) = 1 - e^-1, P(X <= 1) = 2 e^-1.
  EXPECT_DOUBLE_EQ(poisson_upper_tail(1, 1.0), 1 - std::exp(-1.0));
  EXPECT_DOUBLE_EQ(poisson_lower_tail(1, 1.0), 2 * std::exp(-1.0));
}

TEST(RateTest, MinimumSupport) {
  RateTestOptions options;
  options.min_count = 5;
  // 4 hits of a never-seen pair: highly improbable but below support, not tested.
  const RateTestResult below = rate_increase_test({4, 100, 0, 5000}, options);
  EXPECT_FALSE(below.tested);
  EXPECT_EQ(below.p_value, 1.0);
  EXPECT_GT(below.lift, 1.0);  // descriptive fields still filled
  EXPECT_TRUE(rate_increase_test({5, 100, 0, 5000}, options).tested);
  // Empty window: never tested.
  EXPECT_FALSE(rate_increase_test({0, 0, 0, 5000}, options).tested);
  EXPECT_FALSE(rate_decrease_test({0, 0, 1000, 5000}, options).tested);
  // Decrease needs an expected count >= min_count: p0 ~ 0.2, 20 frames -> expected ~4.
  EXPECT_FALSE(rate_decrease_test({0, 20, 1000, 5000}, options).tested);
  EXPECT_TRUE(rate_decrease_test({0, 25, 1000, 5000}, options).tested);
  // Direction: an increase test of a rate at or below the baseline's is skipped, and vice
  // versa. p0 = 100.5 / 5001 ~ 0.0201: expected 20.1 of 1000 frames.
  EXPECT_FALSE(rate_increase_test({20, 1000, 100, 5000}, options).tested);
  EXPECT_TRUE(rate_increase_test({21, 1000, 100, 5000}, options).tested);
  EXPECT_TRUE(rate_decrease_test({20, 1000, 100, 5000}, options).tested);
  EXPECT_FALSE(rate_decrease_test({21, 1000, 100, 5000}, options).tested);
}

TEST(RateTest, AppearedOnlyForUnseenEvents) {
  const RateTestResult unseen = appeared_test({12, 2000, 0, 5000});
  EXPECT_TRUE(unseen.tested);
  expect_rel(unseen.p_value, 6.8703872759169355e-18);
  const RateTestResult seen = appeared_test({12, 2000, 1, 5000});
  EXPECT_FALSE(seen.tested);
  EXPECT_EQ(seen.p_value, 1.0);
  EXPECT_FALSE(appeared_test({2, 2000, 0, 5000}).tested);  // below min_count 5
}

// Screening never hides a p-value <= the screen: on a grid of counts around the expected
// count (z from -4 to 4), every screened test has an exact p-value above the screen, and
// large-count tests near the null are screened.
TEST(RateTest, ScreeningOnlySkipsLargePValues) {
  RateTestOptions exact;
  exact.min_count = 1;
  int screened = 0, total = 0;
  for (const auto model : {RateTestOptions::Model::kBinomial, RateTestOptions::Model::kPoisson}) {
    exact.model = model;
    for (const double screen_p : {0.01, 0.05, 0.2}) {
      RateTestOptions screen = exact;
      screen.screen_p_value = screen_p;
      for (uint64_t n : {50u, 1000u, 100000u, 10000000u}) {
        for (uint64_t K : {0u, 3u, 40u, 800u, 4000u}) {
          const double mu = static_cast<double>(n) * smoothed_baseline_rate(K, 5000);
          for (double t = -4; t <= 4; t += 0.125) {
            const double hits = std::round(mu + t * std::sqrt(mu));
            if (hits < 0 || hits > static_cast<double>(n)) continue;
            const RateCounts c{static_cast<uint64_t>(hits), n, K, 5000};
            for (const bool increase : {true, false}) {
              const RateTestResult a =
                  increase ? rate_increase_test(c, exact) : rate_decrease_test(c, exact);
              const RateTestResult b =
                  increase ? rate_increase_test(c, screen) : rate_decrease_test(c, screen);
              if (!a.tested) continue;
              ++total;
              if (b.screened) {
                ++screened;
                EXPECT_FALSE(b.tested);
                EXPECT_EQ(b.p_value, 1.0);
                EXPECT_GT(a.p_value, screen_p) << c.window_hits << " " << n << " " << K;
              } else {
                EXPECT_EQ(b.p_value, a.p_value);
              }
            }
          }
        }
      }
    }
  }
  EXPECT_GT(screened, total / 5) << total;  // the screen does skip work
}

// Hand-worked example, m = 8, alpha = 0.05:
//   p (input order)  = .01 .04 .03 .005 .20 .5 .025 .9
//   sorted p_(j)     = .005 .01 .025 .03 .04 .20 .5 .9        (j = 1..8)
//   m p_(j) / j      = .04 .04 .0667 .06 .064 .2667 .5714 .9
//   running min from the top: .04 .04 .06 .06 .064 .2667 .5714 .9
//   BH adjusted (input order): .04 .064 .06 .04 .26667 .57143 .06 .9
//   Rejections at alpha .05: thresholds j * .00625 -> ranks 1, 2 pass, 3..8 fail
//   -> indices {0, 3}. At alpha .065 (thresholds j * .008125): rank 5 (.04 <= .040625) is the
//   largest passing rank, although rank 3 (.025 > .024375) fails on its own -> step-up
//   rejects ranks 1..5 -> indices {0, 1, 2, 3, 6}.
//   Bonferroni: min(1, 8 p) = .08 .32 .24 .04 1 1 .2 1.
const std::vector<double> kP{0.01, 0.04, 0.03, 0.005, 0.20, 0.5, 0.025, 0.9};

TEST(MultipleTesting, BenjaminiHochbergHandExample) {
  const std::vector<double> q = benjamini_hochberg_adjust(kP);
  const std::vector<double> expected{0.04, 0.064, 0.06, 0.04, 0.8 / 3, 4.0 / 7, 0.06, 0.9};
  ASSERT_EQ(q.size(), expected.size());
  for (size_t i = 0; i < q.size(); ++i) EXPECT_NEAR(q[i], expected[i], 1e-12) << i;
  EXPECT_EQ(benjamini_hochberg_reject(kP, 0.05), (std::vector<size_t>{0, 3}));
  EXPECT_EQ(benjamini_hochberg_reject(kP, 0.065), (std::vector<size_t>{0, 1, 2, 3, 6}));
  EXPECT_TRUE(benjamini_hochberg_reject(kP, 0.001).empty());
}

TEST(MultipleTesting, UntestedHypothesesCountAsPValueOne) {
  // m = 16: every adjusted value doubles (capped at 1); nothing passes .05 (rank-1 threshold
  // .003125 < .005, rank 2 .00625 < .01, ...).
  const std::vector<double> q = benjamini_hochberg_adjust(kP, 16);
  const std::vector<double> plain = benjamini_hochberg_adjust(kP);
  for (size_t i = 0; i < q.size(); ++i) EXPECT_NEAR(q[i], std::min(1.0, 2 * plain[i]), 1e-12);
  EXPECT_TRUE(benjamini_hochberg_reject(kP, 0.05, 16).empty());
  // num_hypotheses smaller than the list is ignored.
  EXPECT_EQ(benjamini_hochberg_reject(kP, 0.05, 3), (std::vector<size_t>{0, 3}));
}

TEST(MultipleTesting, Bonferroni) {
  const std::vector<double> b = bonferroni_adjust(kP);
  const std::vector<double> expected{0.08, 0.32, 0.24, 0.04, 1, 1, 0.2, 1};
  for (size_t i = 0; i < b.size(); ++i) EXPECT_NEAR(b[i], expected[i], 1e-12) << i;
  EXPECT_NEAR(bonferroni_adjust(kP, 100)[3], 0.5, 1e-12);
}

TEST(MultipleTesting, NaNAndEmptyInputs) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> p{nan, 0.001};
  EXPECT_EQ(bonferroni_adjust(p)[0], 1.0);
  EXPECT_EQ(benjamini_hochberg_adjust(p)[0], 1.0);
  EXPECT_NEAR(benjamini_hochberg_adjust(p)[1], 0.002, 1e-15);
  EXPECT_EQ(benjamini_hochberg_reject(p, 0.05), (std::vector<size_t>{1}));
  EXPECT_TRUE(benjamini_hochberg_adjust({}).empty());
  EXPECT_TRUE(benjamini_hochberg_reject({}, 0.05).empty());
}

// BH's fast rejection agrees with thresholding the adjusted values on random inputs.
TEST(MultipleTesting, RejectAgreesWithAdjust) {
  uint64_t state = 12345;
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<double> p(200);
    for (double& x : p) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      const double u = static_cast<double>(state >> 11) / 9007199254740992.0;
      x = trial % 2 ? u * u * u * u : u;  // every other trial skewed towards 0
    }
    const std::vector<double> q = benjamini_hochberg_adjust(p, 300);
    std::vector<size_t> expected;
    for (size_t i = 0; i < q.size(); ++i)
      if (q[i] <= 0.05) expected.push_back(i);
    EXPECT_EQ(benjamini_hochberg_reject(p, 0.05, 300), expected) << trial;
  }
}

// From-scratch BH by its definition, O(m^2): q_i = min over j with p_j >= p_i of
// min(1, m p_j / rank_j), rank_j = #{l : p_l <= p_j} (ties share the highest rank, which gives
// the same minimum). Checked against inputs with ties and exact 1s.
TEST(MultipleTesting, AdjustMatchesDefinitionWithTiesAndOnes) {
  std::vector<double> p;
  uint64_t state = 99;
  for (int i = 0; i < 300; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    const int bucket = static_cast<int>((state >> 33) % 40);
    p.push_back(bucket >= 30 ? 1.0 : (bucket + 1) * 0.0004);  // many ties, 25% exact 1s
  }
  const size_t m = 400;
  const std::vector<double> q = benjamini_hochberg_adjust(p, m);
  for (size_t i = 0; i < p.size(); ++i) {
    double expected = 1.0;
    for (size_t j = 0; j < p.size(); ++j) {
      if (p[j] < p[i]) continue;
      size_t rank = 0;
      for (const double x : p) rank += x <= p[j];
      expected = std::min(expected, static_cast<double>(m) * p[j] / static_cast<double>(rank));
    }
    EXPECT_NEAR(q[i], expected, 1e-12) << i;
  }
}

}  // namespace
}  // namespace predwatch::core

namespace predwatch::core {
namespace {

// Weighted BH by hand: p = {0.001, 0.02, 0.04, 0.3}, w = {2, 0.5, 1, 0.5} (sum 4 = m).
// p / w = {0.0005, 0.04, 0.04, 0.6}; ranks 1..4; m p / rank = {0.002, 0.08, 0.0533.., 0.6};
// the running minimum from the top: {0.002, 0.0533.., 0.0533.., 0.6}. With two untested
// hypotheses (m = 6): {0.003, 0.08, 0.08, 0.9}. Weight 0: adjusted 1.
TEST(WeightedBenjaminiHochberg, ByHand) {
  const std::vector<double> p = {0.001, 0.02, 0.04, 0.3};
  const std::vector<double> w = {2, 0.5, 1, 0.5};
  const std::vector<double> q = weighted_benjamini_hochberg_adjust(p, w);
  ASSERT_EQ(q.size(), 4u);
  EXPECT_NEAR(q[0], 0.002, 1e-15);
  EXPECT_NEAR(q[1], 0.16 / 3, 1e-15);
  EXPECT_NEAR(q[2], 0.16 / 3, 1e-15);
  EXPECT_NEAR(q[3], 0.6, 1e-15);
  const std::vector<double> q6 = weighted_benjamini_hochberg_adjust(p, w, 6);
  EXPECT_NEAR(q6[0], 0.003, 1e-15);
  EXPECT_NEAR(q6[1], 0.08, 1e-15);
  EXPECT_NEAR(q6[2], 0.08, 1e-15);
  EXPECT_NEAR(q6[3], 0.9, 1e-15);
  const std::vector<double> zero = {0, 1, 1, 1};
  EXPECT_EQ(weighted_benjamini_hochberg_adjust(p, zero)[0], 1.0);
  // Unit weights: plain BH.
  const std::vector<double> ones(4, 1.0);
  EXPECT_EQ(weighted_benjamini_hochberg_adjust(p, ones), benjamini_hochberg_adjust(p));
}

}  // namespace
}  // namespace predwatch::core
