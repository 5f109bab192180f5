#include "core/rate_test.h"

#include <algorithm>
#include <boost/math/special_functions/beta.hpp>
#include <boost/math/special_functions/gamma.hpp>
#include <cassert>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/math_policy.h"

namespace predwatch::core {
namespace {

double sanitize(double p) { return std::isnan(p) ? 1.0 : std::clamp(p, 0.0, 1.0); }

size_t hypothesis_count(std::span<const double> p_values, size_t num_hypotheses) {
  return std::max(p_values.size(), num_hypotheses);
}

RateTestResult prepare(const RateCounts& c, const RateTestOptions& options) {
  assert(c.window_hits <= c.window_frames && c.baseline_hits <= c.baseline_frames);
  RateTestResult r;
  r.baseline_rate = smoothed_baseline_rate(c.baseline_hits, c.baseline_frames, options);
  r.window_rate = c.window_frames > 0
                      ? static_cast<double>(c.window_hits) / static_cast<double>(c.window_frames)
                      : 0.0;
  r.expected = static_cast<double>(c.window_frames) * r.baseline_rate;
  r.lift = r.window_rate / r.baseline_rate;
  return r;
}

}  // namespace

double smoothed_baseline_rate(uint64_t baseline_hits, uint64_t baseline_frames,
                              const RateTestOptions& options) {
  return (static_cast<double>(baseline_hits) + options.prior_a) /
         (static_cast<double>(baseline_frames) + options.prior_a + options.prior_b);
}

double binomial_upper_tail(uint64_t k, uint64_t n, double p) {
  if (k == 0) return 1.0;
  if (k > n || p <= 0) return 0.0;
  if (p >= 1) return 1.0;
  // P(X >= k) = I_p(k, n - k + 1).
  return boost::math::ibeta(static_cast<double>(k), static_cast<double>(n - k + 1), p,
                            NoThrowPolicy());
}

double binomial_lower_tail(uint64_t k, uint64_t n, double p) {
  if (k >= n || p <= 0) return 1.0;
  if (p >= 1) return 0.0;
  // P(X <= k) = I_{1-p}(n - k, k + 1) = 1 - I_p(k + 1, n - k).
  return boost::math::ibetac(static_cast<double>(k + 1), static_cast<double>(n - k), p,
                             NoThrowPolicy());
}

double poisson_upper_tail(uint64_t k, double lambda) {
  if (k == 0) return 1.0;
  if (lambda <= 0) return 0.0;
  // P(X >= k) = P(k, lambda), the regularised lower incomplete gamma function.
  return boost::math::gamma_p(static_cast<double>(k), lambda, NoThrowPolicy());
}

double poisson_lower_tail(uint64_t k, double lambda) {
  if (lambda <= 0) return 1.0;
  // P(X <= k) = Q(k + 1, lambda).
  return boost::math::gamma_q(static_cast<double>(k + 1), lambda, NoThrowPolicy());
}

namespace {

// True if the p-value is surely above options.screen_p_value, by the Berry-Esseen bound
// sup_x |F(x) - Phi((x - mu) / sigma)| <= E, E = C (p^2 + q^2) / sqrt(n p q) for a binomial
// (sum of n Bernoulli(p)), C = 0.4748 (Shevtsova 2011), and E = C / sqrt(lambda) for a Poisson
// (its limit). Then P(X >= k) >= Phi_c((k - 1 - mu) / sigma) - E and
// P(X <= k) >= Phi((k - mu) / sigma) - E. Cheap (one erfc), effective when sigma >~ 10.
bool screened_out(const RateCounts& c, const RateTestResult& r, const RateTestOptions& options,
                  bool upper) {
  if (options.screen_p_value <= 0) return false;
  constexpr double kBerryEsseen = 0.4748;
  const double mu = r.expected;
  double sigma, error;
  if (options.model == RateTestOptions::Model::kBinomial) {
    const double p = r.baseline_rate, q = 1 - p;
    sigma = std::sqrt(mu * q);
    error = kBerryEsseen * (p * p + q * q) / sigma;
  } else {
    sigma = std::sqrt(mu);
    error = kBerryEsseen / sigma;
  }
  if (!(error < 1 - options.screen_p_value)) return false;  // bound too weak (small sigma)
  const double k = static_cast<double>(c.window_hits);
  // Phi_c(z) = erfc(z / sqrt 2) / 2; for the lower tail Phi(z) = Phi_c(-z).
  const double z = upper ? (k - 1 - mu) / sigma : (mu - k) / sigma;
  const double tail_lower_bound = 0.5 * std::erfc(z * M_SQRT1_2) - error;
  return tail_lower_bound > options.screen_p_value * (1 + 1e-9);
}

}  // namespace

RateTestResult rate_increase_test(const RateCounts& c, const RateTestOptions& options) {
  RateTestResult r = prepare(c, options);
  // A rate not above the baseline's is no increase: its p-value would be >= about 1/2.
  if (c.window_frames == 0 || c.window_hits < options.min_count ||
      static_cast<double>(c.window_hits) <= r.expected) {
    return r;
  }
  if (screened_out(c, r, options, /*upper=*/true)) {
    r.screened = true;
    return r;
  }
  r.tested = true;
  r.p_value = options.model == RateTestOptions::Model::kBinomial
                  ? binomial_upper_tail(c.window_hits, c.window_frames, r.baseline_rate)
                  : poisson_upper_tail(c.window_hits, r.expected);
  return r;
}

RateTestResult rate_decrease_test(const RateCounts& c, const RateTestOptions& options) {
  RateTestResult r = prepare(c, options);
  if (c.window_frames == 0 || r.expected < static_cast<double>(options.min_count) ||
      static_cast<double>(c.window_hits) >= r.expected) {
    return r;
  }
  if (screened_out(c, r, options, /*upper=*/false)) {
    r.screened = true;
    return r;
  }
  r.tested = true;
  r.p_value = options.model == RateTestOptions::Model::kBinomial
                  ? binomial_lower_tail(c.window_hits, c.window_frames, r.baseline_rate)
                  : poisson_lower_tail(c.window_hits, r.expected);
  return r;
}

RateTestResult appeared_test(const RateCounts& c, const RateTestOptions& options) {
  if (c.baseline_hits != 0) return prepare(c, options);
  return rate_increase_test(c, options);
}

std::vector<double> bonferroni_adjust(std::span<const double> p_values, size_t num_hypotheses) {
  const double m = static_cast<double>(hypothesis_count(p_values, num_hypotheses));
  std::vector<double> adjusted(p_values.size());
  for (size_t i = 0; i < p_values.size(); ++i) {
    adjusted[i] = std::min(1.0, m * sanitize(p_values[i]));
  }
  return adjusted;
}

std::vector<double> benjamini_hochberg_adjust(std::span<const double> p_values,
                                              size_t num_hypotheses) {
  const size_t size = p_values.size();
  const double m = static_cast<double>(hypothesis_count(p_values, num_hypotheses));
  assert(size <= UINT32_MAX);
  // p = 1 (untested, screened out) has q = 1: every m p_(j) / j >= 1 from its rank up. Only
  // p < 1 is sorted; those are the smallest, so their ranks among themselves are their ranks
  // among all. Sorting (p, index) pairs keeps the comparisons in cache.
  std::vector<double> adjusted(size, 1.0);
  std::vector<std::pair<double, uint32_t>> sorted;
  sorted.reserve(size);
  for (size_t i = 0; i < size; ++i) {
    const double p = sanitize(p_values[i]);
    if (p < 1.0) sorted.emplace_back(p, static_cast<uint32_t>(i));
  }
  std::sort(sorted.begin(), sorted.end());
  double running_min = 1.0;
  // Walk from the largest p-value down, carrying min_{j >= i} m p_(j) / j.
  for (size_t rank = sorted.size(); rank >= 1; --rank) {
    running_min = std::min(running_min, m * sorted[rank - 1].first / static_cast<double>(rank));
    adjusted[sorted[rank - 1].second] = running_min;
  }
  return adjusted;
}

std::vector<double> weighted_benjamini_hochberg_adjust(std::span<const double> p_values,
                                                       std::span<const double> weights,
                                                       size_t num_hypotheses) {
  assert(weights.size() == p_values.size());
  std::vector<double> scaled(p_values.size());
  for (size_t i = 0; i < scaled.size(); ++i) {
    const double p = sanitize(p_values[i]);
    scaled[i] = weights[i] > 0 ? std::min(1.0, p / weights[i]) : 1.0;
  }
  return benjamini_hochberg_adjust(scaled, num_hypotheses);
}

std::vector<size_t> benjamini_hochberg_reject(std::span<const double> p_values, double alpha,
                                              size_t num_hypotheses) {
  const double m = static_cast<double>(hypothesis_count(p_values, num_hypotheses));
  // Only p <= alpha can satisfy p_(r) <= r alpha / m (r <= m). Those are the smallest
  // p-values, so their ranks among the candidates are their ranks among all.
  std::vector<std::pair<double, size_t>> candidates;
  for (size_t i = 0; i < p_values.size(); ++i) {
    const double p = sanitize(p_values[i]);
    if (p <= alpha) candidates.emplace_back(p, i);
  }
  std::sort(candidates.begin(), candidates.end());
  size_t rejected = 0;
  for (size_t rank = 1; rank <= candidates.size(); ++rank) {
    if (candidates[rank - 1].first <= static_cast<double>(rank) * alpha / m) rejected = rank;
  }
  std::vector<size_t> indices;
  indices.reserve(rejected);
  for (size_t r = 0; r < rejected; ++r) indices.push_back(candidates[r].second);
  std::sort(indices.begin(), indices.end());
  return indices;
}

}  // namespace predwatch::core
