#include "core/dispersion.h"

#include <gtest/gtest.h>

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/fisher_f.hpp>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/rate_test.h"

namespace predwatch::core {
namespace {

// Pearson X^2 of a table about its pooled column proportions, written from the textbook
// formula independently of core/dispersion.cc (no skipping tricks: empty rows/columns are
// simply left out of both the sum and the df).
double reference_x2(const std::vector<std::vector<double>>& t, double* df) {
  const size_t r = t.size(), c = t[0].size();
  std::vector<double> row(r, 0), col(c, 0);
  double n = 0;
  for (size_t i = 0; i < r; ++i)
    for (size_t j = 0; j < c; ++j) {
      row[i] += t[i][j];
      col[j] += t[i][j];
      n += t[i][j];
    }
  double x2 = 0;
  int rows = 0, cols = 0;
  for (size_t i = 0; i < r; ++i) rows += row[i] > 0;
  for (size_t j = 0; j < c; ++j) cols += col[j] > 0;
  for (size_t i = 0; i < r; ++i)
    for (size_t j = 0; j < c; ++j) {
      if (row[i] == 0 || col[j] == 0) continue;
      const double e = row[i] * col[j] / n;
      x2 += (t[i][j] - e) * (t[i][j] - e) / e;
    }
  *df = double(rows - 1) * (cols - 1);
  return x2;
}

std::vector<double> flat(const std::vector<std::vector<double>>& t) {
  std::vector<double> out;
  for (const auto& r : t) out.insert(out.end(), r.begin(), r.end());
  return out;
}

// Hand derivation. Four parts of 10 frames; an event on 8, 3, 4 and 5 of them:
//   table [[8, 2], [3, 7], [4, 6], [5, 5]], column totals 20 / 20, pooled p = 1/2,
//   expected 5 in every cell, deviations +-3, +-2, +-1, 0:
//   X^2 = (9 + 9 + 4 + 4 + 1 + 1 + 0 + 0) / 5 = 28 / 5 = 5.6, df = (4 - 1)(2 - 1) = 3,
//   phi = 5.6 / 3 = 1.8667.
TEST(Dispersion, PearsonOnHandDerivedTable) {
  const std::vector<double> t = {8, 2, 3, 7, 4, 6, 5, 5};
  const DispersionEstimate e = pearson_dispersion(t, 4, 2);
  ASSERT_TRUE(e.valid());
  EXPECT_DOUBLE_EQ(e.statistic, 5.6);
  EXPECT_DOUBLE_EQ(e.df, 3.0);
  EXPECT_NEAR(e.phi, 5.6 / 3, 1e-12);
}

// The upper bound phi nu / chi2_{0.05}(nu): the table above (phi = 5.6 / 3, df 3; its
// effective df is at most 3) and a hand-made estimate phi = 2 on 10 df. chi2 quantiles at
// 0.05 from the standard table: 0.3518 (3 df), 3.9403 (10 df); so 5.6 / 0.3518 = 15.92
// (at most, with effective df <= 3) and 20 / 3.9403 = 5.0758. Not valid: +inf.
TEST(Dispersion, UpperBoundIsTheChiSquareBound) {
  DispersionEstimate e;
  e.phi = 2;
  e.df = 10;
  e.effective_df = 10;
  EXPECT_NEAR(dispersion_upper_bound(e), 20 / 3.9403, 1e-3);
  EXPECT_NEAR(dispersion_upper_bound(e, 0.8), 20 / 6.1791, 1e-3);  // chi2_{0.2}(10) = 6.1791
  const std::vector<double> t = {8, 2, 3, 7, 4, 6, 5, 5};
  const DispersionEstimate h = pearson_dispersion(t, 4, 2);
  EXPECT_NEAR(dispersion_upper_bound(h), 5.6 / 0.35185, 1e-2);
  EXPECT_TRUE(std::isinf(dispersion_upper_bound(DispersionEstimate{})));
}

// Blocks of two parts. Eight parts of 10 frames, event counts 9, 7, 1, 3, 8, 8, 2, 2
// (scenes held across two parts): part level: p = 40/80 = 1/2, expected 5, deviations
// 4, 2, -4, -2, 3, 3, -3, -3: X^2 = 2 * (16 + 4 + 16 + 4 + 9 + 9 + 9 + 9) / 5 = 30.4,
// df = 7, phi = 4.343. Blocks of 2 (20 frames): counts 16, 4, 16, 4, expected 10,
// deviations +-6: X^2 = 2 * 4 * 36 / 10 = 28.8, df = 3, phi = 9.6.
// Only 8 / 4 = 2 blocks of 4 remain: below min_blocks = 4, not computed.
// Lower bounds at 0.8: 30.4 / chi2_0.8(7) = 30.4 / 9.803 = 3.10; 28.8 / chi2_0.8(3) =
// 28.8 / 4.642 = 6.20: blocks of 2 are chosen.
// choose_dispersion, largest_scaled_bound and exceeds_dispersion skip the quantile where the
// integers around the df decide: they must answer exactly as the plain definitions, which
// are written here with Boost's quantile at every entry (no bracket, no cache). Random
// levels with integer and fractional df (some below 1), equal entries (the first must win)
// and invalid ones; confidences as the evaluator uses them (0.8 to choose, 0.05 for upper
// bounds, 0.95 to test).
TEST(Dispersion, BracketedQuantilesChooseAsThePlainDefinition) {
  std::mt19937_64 rng(2026);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto plain_bound = [](const DispersionEstimate& e, double c) {
    const double nu = e.effective_df > 0 ? e.effective_df : e.df;
    const double q = boost::math::quantile(boost::math::chi_squared_distribution<double>(nu), c);
    return q > 0 ? e.phi * nu / q : 0.0;
  };
  auto plain_largest = [&](const std::vector<DispersionEstimate>& levels, double c) {
    size_t best = levels.size();
    double most = -1;
    for (size_t i = 0; i < levels.size(); ++i) {
      if (!levels[i].valid()) continue;
      const double b = plain_bound(levels[i], c);
      if (b > most) {
        most = b;
        best = i;
      }
    }
    return best;
  };
  int decided_by_fraction = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<DispersionEstimate> levels(1 + rng() % 6);
    for (DispersionEstimate& e : levels) {
      const int shape = int(rng() % 10);
      if (shape == 0) continue;  // invalid
      e.df = double(1 + rng() % 120);
      // Integer effective df, fractional, below 1, or none (df is used).
      e.effective_df = shape < 3   ? double(1 + rng() % 120)
                       : shape < 7 ? 1 + 150 * u(rng)
                       : shape < 8 ? u(rng)
                                   : 0;
      e.phi = shape == 9 ? 0.0 : 0.3 + 4 * u(rng);
    }
    if (levels.size() > 2 && rng() % 4 == 0) levels[2] = levels[0];  // a tie
    for (double c : {0.8, 0.05}) {
      const size_t want = plain_largest(levels, c);
      ASSERT_EQ(largest_scaled_bound(levels, c), want) << "trial " << trial << " c " << c;
      decided_by_fraction += want < levels.size() && levels[want].effective_df > 1 &&
                             levels[want].effective_df != std::floor(levels[want].effective_df);
    }
    DispersionOptions options;
    const DispersionEstimate chosen = choose_dispersion(levels, options);
    const size_t want = plain_largest(levels, options.confidence);
    if (want == levels.size()) {
      EXPECT_FALSE(chosen.valid());
    } else {
      EXPECT_EQ(chosen.phi, levels[want].phi);
      EXPECT_EQ(chosen.effective_df, levels[want].effective_df);
    }
    for (const DispersionEstimate& e : levels) {
      const double floor = 0.5 + 2 * u(rng);
      const double nu = e.effective_df > 0 ? e.effective_df : e.df;
      const bool plain =
          e.valid() && e.phi > floor &&
          e.phi / floor * nu >
              boost::math::quantile(boost::math::chi_squared_distribution<double>(nu), 0.95);
      EXPECT_EQ(exceeds_dispersion(e, floor), plain) << "phi " << e.phi << " nu " << nu;
    }
  }
  EXPECT_GT(decided_by_fraction, 100);  // the fractional-df path was exercised
}

TEST(Dispersion, BlockedChoosesLongerBlocksWhenScenesSpanParts) {
  const std::vector<double> t = {9, 1, 7, 3, 1, 9, 3, 7, 8, 2, 8, 2, 2, 8, 2, 8};
  std::vector<DispersionEstimate> levels;
  dispersion_levels(t, 8, 2, {}, levels);
  ASSERT_EQ(levels.size(), 2u);
  EXPECT_NEAR(levels[0].statistic, 30.4, 1e-9);
  EXPECT_EQ(levels[0].df, 7);
  EXPECT_NEAR(levels[1].statistic, 28.8, 1e-9);
  EXPECT_EQ(levels[1].df, 3);
  EXPECT_EQ(levels[1].block_parts, 2u);
  const DispersionEstimate e = blocked_dispersion(t, 8, 2);
  EXPECT_EQ(e.block_parts, 2u);
  EXPECT_NEAR(e.phi, 9.6, 1e-9);
  const double q3 = boost::math::quantile(boost::math::chi_squared(3), 0.8);
  const double q7 = boost::math::quantile(boost::math::chi_squared(7), 0.8);
  EXPECT_NEAR(q3, 4.642, 1e-3);  // tables: chi2_0.8(3) = 4.642, chi2_0.8(7) = 9.803
  EXPECT_NEAR(q7, 9.803, 1e-3);
}

// Against the reference on random tables (with empty rows and columns), and empty parts are
// skipped before blocking.
TEST(Dispersion, MatchesReferenceOnRandomTables) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    const size_t r = 2 + rng() % 12, c = 2 + rng() % 6;
    std::vector<std::vector<double>> t(r, std::vector<double>(c));
    for (auto& row : t)
      for (double& v : row) v = (rng() % 4 == 0) ? 0 : double(rng() % 30);
    if (rng() % 3 == 0) {
      auto& empty = t[rng() % r];
      std::fill(empty.begin(), empty.end(), 0.0);
    }
    double df;
    const double x2 = reference_x2(t, &df);
    const DispersionEstimate e = pearson_dispersion(flat(t), r, c);
    if (df <= 0) {
      EXPECT_FALSE(e.valid());
      continue;
    }
    EXPECT_NEAR(e.statistic, x2, 1e-9 * (1 + x2));
    EXPECT_EQ(e.df, df);
  }
  // An empty part between two others does not count as a block.
  const std::vector<double> with_gap = {8, 2, 0, 0, 3, 7, 4, 6, 0, 0, 5, 5};
  std::vector<DispersionEstimate> levels;
  dispersion_levels(with_gap, 6, 2, {}, levels);
  ASSERT_EQ(levels.size(), 1u);
  EXPECT_DOUBLE_EQ(levels[0].statistic, 5.6);
}

// Independent multinomial rows: phi near 1 on average (E[X^2] = df for a table with fixed
// margins, up to N / (N - 1)); held rows (each count repeated 10 times) near 10.
TEST(Dispersion, NearOneOnIndependentRowsAndNearHoldOnHeldRows) {
  std::mt19937_64 rng(11);
  double sum_indep = 0, sum_held = 0;
  constexpr int kTrials = 400;
  for (int trial = 0; trial < kTrials; ++trial) {
    std::vector<double> indep(30 * 2), held(30 * 2);
    for (int j = 0; j < 30; ++j) {
      std::binomial_distribution<int> b100(100, 0.2), b10(10, 0.2);
      const int k = b100(rng);
      indep[j * 2] = k;
      indep[j * 2 + 1] = 100 - k;
      // 100 frames in 10 scenes of 10 identical frames each.
      int kh = 0;
      for (int s = 0; s < 10; ++s) kh += 10 * (std::bernoulli_distribution(0.2)(rng) ? 1 : 0);
      held[j * 2] = kh;
      held[j * 2 + 1] = 100 - kh;
    }
    sum_indep += pearson_dispersion(indep, 30, 2).phi;
    sum_held += pearson_dispersion(held, 30, 2).phi;
  }
  EXPECT_NEAR(sum_indep / kTrials, 1.0, 0.05);
  EXPECT_NEAR(sum_held / kTrials, 10.0, 0.5);
}

// The quasi-likelihood F test against Boost.Math's fisher_f. With a baseline much larger
// than the window, s = phi and nu_s = nu: p = P(F(df, nu) >= (X^2 / df) / phi).
// Hand value: F(1, 10) has its 95% quantile at 4.9646 (tables), so X^2 = 4.9646 * 2 with
// phi = 2 gives p = 0.05.
TEST(Dispersion, QuasiChiSquareIsTheFTest) {
  EXPECT_NEAR(quasi_chi_square_p(4.9646 * 2, 1, 1000, 1e15, 2.0, 10, 1.0, 1.0), 0.05, 1e-4);
  for (double x2 : {3.0, 12.0, 40.0, 90.0}) {
    for (double nu : {3.0, 12.0, 58.0}) {
      const double df = 4, phi = 3.5;
      const double want =
          boost::math::cdf(boost::math::complement(boost::math::fisher_f(df, nu), (x2 / df) / phi));
      EXPECT_NEAR(quasi_chi_square_p(x2, df, 1000, 1e15, phi, nu, 1.0, 1.0), want, 1e-9 * want)
          << x2 << " " << nu;
    }
  }
  // Finite baseline: s = w phi + (1 - w) phi_b, nu_s = nu (s / (w phi))^2. n = N: w = 1/2,
  // s = (4 + 1) / 2 = 2.5, nu_s = 10 * (2.5 / 2)^2 = 15.625.
  double s = 0;
  const double p = quasi_chi_square_p(20, 2, 500, 500, 4.0, 10, 1.0, 1.0, &s);
  EXPECT_DOUBLE_EQ(s, 2.5);
  EXPECT_NEAR(p, boost::math::cdf(boost::math::complement(boost::math::fisher_f(2, 15.625), 4.0)),
              1e-12);
  // A baseline sharing the window's dispersion (NaN): s = phi and nu_s = nu whatever the
  // sizes, i.e. P(F(2, 10) >= (20 / 2) / 4).
  s = 0;
  EXPECT_NEAR(quasi_chi_square_p(20, 2, 500, 500, 4.0, 10, 1.0, std::nan(""), &s),
              boost::math::cdf(boost::math::complement(boost::math::fisher_f(2, 10), 2.5)), 1e-12);
  EXPECT_DOUBLE_EQ(s, 4.0);
  // Dispersion below the floor: the floor is used as a known value (chi-square).
  EXPECT_NEAR(quasi_chi_square_p(20, 2, 500, 1e15, 0.7, 10, 1.0, 1.0),
              boost::math::cdf(boost::math::complement(boost::math::chi_squared(2), 20.0)), 1e-12);
}

// Minimum-effect tests (docs/DRIFT.md "Minimum effect"): noncentral tails, checked against
// two computations that do not use Boost's noncentral distributions.
// (1) Closed form for one degree of freedom: chi2(1, lambda) is (Z + sqrt(lambda))^2, so
//     P(chi2(1, lambda) >= x) = Phi(-sqrt(x) - sqrt(lambda)) + Phi(-sqrt(x) + sqrt(lambda)).
// (2) The Poisson mixture: chi2(d, lambda) = chi2(d + 2J), J ~ Poisson(lambda / 2), and
//     noncentral F(d1, d2, lambda) >= f  <=>  F(d1 + 2J, d2) >= f d1 / (d1 + 2J), summed
//     over J with central Boost distributions.
double normal_upper(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

double poisson_mixture_upper(double x, double d1, double d2, double lambda) {
  double sum = 0, weight = std::exp(-lambda / 2);
  for (int j = 0; j < 400; ++j) {
    if (j > 0) weight *= (lambda / 2) / j;
    const double dj = d1 + 2 * j;
    const double tail =
        std::isinf(d2)
            ? boost::math::cdf(boost::math::complement(boost::math::chi_squared(dj), d1 * x))
            : boost::math::cdf(boost::math::complement(boost::math::fisher_f(dj, d2), x * d1 / dj));
    sum += weight * tail;
  }
  return sum;
}

TEST(Dispersion, MinimumEffectTailsAreNoncentral) {
  const double inf = std::numeric_limits<double>::infinity();
  for (double x : {4.0, 17.14, 40.0}) {
    for (double lambda : {0.5, 8.318, 30.0}) {
      const double closed = normal_upper(std::sqrt(x) + std::sqrt(lambda)) +
                            normal_upper(std::sqrt(x) - std::sqrt(lambda));
      EXPECT_NEAR(f_upper_tail(x, 1, inf, lambda), closed, 1e-9 + 1e-6 * closed)
          << x << " " << lambda;
      // A central p-value >= 1/4 is returned as is (the noncentral one is larger).
      if (f_upper_tail(x, 1, inf) < 0.25) {
        EXPECT_GT(f_upper_tail(x, 1, inf, lambda), f_upper_tail(x, 1, inf));
      }
    }
  }
  for (double d1 : {2.0, 5.0}) {
    for (double d2 : {6.0, 40.0, inf}) {
      for (double lambda : {3.0, 25.0}) {
        const double x = 9.0;  // X^2 / (df s): far in the central tail
        const double want = poisson_mixture_upper(x, d1, d2, lambda);
        EXPECT_NEAR(f_upper_tail(x, d1, d2, lambda), want, 1e-9 + 1e-6 * want)
            << d1 << " " << d2 << " " << lambda;
      }
    }
  }
  // Through quasi_chi_square_p: lambda = (n N / (n + N)) tolerance / s. n = N = 300, phi = 1
  // known (s = 1), tolerance 8 ln 2 0.1^2 = 0.05545 (js_distance 0.1): lambda = 150 x 0.05545
  // = 8.318; X^2 = 17.14 on 1 df: p = Phi(-4.140 - 2.884) + Phi(-4.140 + 2.884) = 0.1046.
  const double tol = 8 * std::log(2.0) * 0.01;
  const double p = quasi_chi_square_p(17.14, 1, 300, 300, std::nan(""), 0, 1.0, 1.0, nullptr, tol);
  EXPECT_NEAR(p, 0.1046, 5e-4);
  // With a dispersion s = 2 estimated on 10 df (n = N, w = 1/2, phi_b = 1 ... s = 1.5 and
  // nu_s = 10 (1.5 / 1)^2 = 22.5 as in QuasiChiSquareIsTheFTest): lambda = 150 tol / 1.5.
  double s = 0;
  const double pf = quasi_chi_square_p(40, 2, 300, 300, 2.0, 10, 1.0, 1.0, &s, tol);
  EXPECT_DOUBLE_EQ(s, 1.5);
  EXPECT_NEAR(pf, poisson_mixture_upper(40.0 / 2 / 1.5, 2, 22.5, 150 * tol / 1.5),
              1e-9 + 1e-6 * pf);
}

// Averaging a known-phi chi-square p-value over phi = phi_hat / u, u ~ chi2(nu) / nu, is
// the F test (see core/dispersion.h): checks the quadrature down to p ~ 1e-9.
TEST(Dispersion, AverageOverDispersionReproducesTheFTest) {
  for (double nu : {3.0, 7.0, 29.0, 200.0}) {
    for (double x2 : {2.0, 15.0, 60.0, 150.0, 400.0}) {
      const double df = 2, phi_hat = 2.0;
      auto p = [&](double phi) {
        return boost::math::cdf(boost::math::complement(boost::math::chi_squared(df), x2 / phi));
      };
      const double want = boost::math::cdf(
          boost::math::complement(boost::math::fisher_f(df, nu), (x2 / df) / phi_hat));
      const double got = average_over_dispersion(p, phi_hat, nu, 1e-9);
      if (want < 1e-12) continue;
      EXPECT_NEAR(got, want, 2e-3 * want + 1e-13) << "nu " << nu << " x2 " << x2;
    }
  }
}

// Scaled conditional binomial at phi = 1 is core/rate_test.h's integer test; at phi = 2
// with even counts it equals the integer test on halved window counts.
TEST(Dispersion, ScaledConditionalBinomial) {
  EXPECT_NEAR(scaled_conditional_upper_p(20, 500, 5, 1000, 1.0),
              binomial_upper_tail(20, 25, 500.0 / 1500), 1e-14);
  EXPECT_NEAR(scaled_conditional_lower_p(0, 200, 100, 1000, 1.0),
              binomial_lower_tail(0, 100, 200.0 / 1200), 1e-14);
  EXPECT_NEAR(scaled_conditional_upper_p(20, 500, 5, 1000, 2.0),
              binomial_upper_tail(10, 15, 250.0 / 1250), 1e-14);
  EXPECT_NEAR(scaled_conditional_lower_p(6, 200, 100, 1000, 2.0),
              binomial_lower_tail(3, 103, 100.0 / 1100), 1e-14);
  // A baseline from the same stream shrinks by the same phi: at phi = 2 with even counts,
  // the integer test on halved counts on both sides.
  EXPECT_NEAR(scaled_conditional_upper_p(20, 500, 10, 1000, 2.0, 2.0),
              binomial_upper_tail(10, 15, 250.0 / 750), 1e-14);
  EXPECT_NEAR(scaled_conditional_lower_p(4, 400, 100, 1000, 2.0, 2.0),
              binomial_lower_tail(2, 52, 200.0 / 700), 1e-14);
  // Five frames of one held scene (phi = 5) are one observation: no evidence.
  EXPECT_GT(scaled_conditional_upper_p(5, 3000, 0, 5000, 5.0), 0.05);
  EXPECT_LT(scaled_conditional_upper_p(5, 3000, 0, 5000, 1.0), 1e-2);
}

}  // namespace
}  // namespace predwatch::core
