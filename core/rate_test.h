// Rate tests for "how often does X happen per frame": a class pair on the same frame, a
// class at all. The window has n frames, k of which show X; the baseline has N frames, K of
// which show X. The question is whether the window's rate k/n is implausibly high (a pair
// the baseline (almost) never shows, a class that appeared) or implausibly low (a class that
// vanished) given the baseline.
//
// Baseline rate with a prior. A baseline that never shows a pair in N frames does not prove
// the rate is 0, so the baseline rate is the posterior mean under a Beta(a, b) prior:
//     p0 = (K + a) / (N + a + b).
// The default is Jeffreys' prior a = b = 1/2: a pair never seen in 5,000 images gets
// p0 = 0.5 / 5001 ~= 1.0e-4 (for comparison, the "rule of three" 95% upper bound is 3/N =
// 6e-4), never 0, so one or two chance co-occurrences in the window are not significant. An
// empty baseline (N = 0) gives p0 = a / (a + b) = 1/2, which suppresses alerts.
//
// Tests (X = number of window frames showing the event under the baseline rate):
//   upper tail, binomial: P(X >= k), X ~ Binomial(n, p0) = I_p0(k, n - k + 1) (regularised
//                         incomplete beta, Boost.Math; accurate for large n and tiny p0).
//   upper tail, Poisson:  P(X >= k), X ~ Poisson(n p0) = P(k, n p0) (regularised lower
//                         incomplete gamma). The classical rare-event approximation;
//                         slightly larger p-values than the binomial when p0 is not small.
//   lower tail:           P(X <= k) with the same two models, for "class vanished".
// When a test runs: the upper-tail test only if k >= min_count (minimum support: a pair seen
// once is never reported, whatever its p-value) and k > n p0 (the window rate is above the
// baseline's); the lower-tail test only if the expected count n p0 >= min_count (a window too
// small to expect the class cannot show it vanished) and k < n p0. A test skipped for the
// direction would have a p-value of about 1/2 or more. An untested result has tested = false
// and p_value = 1 (a conservative p-value: using it in a correction never adds rejections and
// leaves BH's rejections unchanged), with the descriptive fields filled.
//
// Multiple testing: with many pairs tested per evaluation, p-values must be corrected before
// comparing with alpha. bonferroni_adjust / benjamini_hochberg_adjust return adjusted
// p-values; benjamini_hochberg_reject returns the rejected set quickly. `num_hypotheses`
// counts hypotheses that were not tested (e.g. pairs below min_count), which is equivalent
// to adding them with p-value 1; pass 0 (the default) to count only the given p-values.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace predwatch::core {

struct RateCounts {
  uint64_t window_hits = 0;      // k
  uint64_t window_frames = 0;    // n; REQUIRES k <= n
  uint64_t baseline_hits = 0;    // K
  uint64_t baseline_frames = 0;  // N; REQUIRES K <= N
};

struct RateTestOptions {
  double prior_a = 0.5;  // Beta prior pseudo-hits,   REQUIRES > 0
  double prior_b = 0.5;  // Beta prior pseudo-misses, REQUIRES > 0
  uint64_t min_count = 5;
  enum class Model { kBinomial, kPoisson };
  Model model = Model::kBinomial;
  // Screening (0 = off). When > 0, a test is not computed exactly if a cheap lower bound of
  // its p-value (normal approximation minus its Berry-Esseen error bound, one erfc) already
  // exceeds screen_p_value; the result then has screened = true, tested = false, p_value = 1.
  // With screen_p_value >= the alpha later used with Bonferroni or Benjamini-Hochberg, the
  // rejected set is exactly the one without screening, and every adjusted p-value <=
  // screen_p_value is unchanged (a p-value > alpha is never rejected, and raising it to 1
  // does not change the ranks of the smaller ones). The bound is useful when the expected
  // count is >~ 100 (sigma >~ 10), where the exact tail is also the most expensive.
  double screen_p_value = 0;
};

struct RateTestResult {
  bool tested = false;       // false: skipped (support, direction, screening); p_value 1
  bool screened = false;     // skipped: p-value provably > screen_p_value
  double baseline_rate = 0;  // p0 = (K + a) / (N + a + b)
  double window_rate = 0;    // k / n (0 when n = 0)
  double expected = 0;       // n * p0
  double lift = 0;           // window_rate / baseline_rate
  double p_value = 1;        // one-sided, see the file comment
};

// Smoothed baseline rate (K + a) / (N + a + b).
double smoothed_baseline_rate(uint64_t baseline_hits, uint64_t baseline_frames,
                              const RateTestOptions& options = {});

// Raw tail probabilities. REQUIRES: k <= n, 0 <= p <= 1, lambda >= 0.
double binomial_upper_tail(uint64_t k, uint64_t n, double p);  // P(X >= k), X ~ Bin(n, p)
double binomial_lower_tail(uint64_t k, uint64_t n, double p);  // P(X <= k), X ~ Bin(n, p)
double poisson_upper_tail(uint64_t k, double lambda);          // P(X >= k), X ~ Poi(lambda)
double poisson_lower_tail(uint64_t k, double lambda);          // P(X <= k), X ~ Poi(lambda)

// Is the window rate higher than the baseline's? (pair_rate, novel_pair)
// Tested iff n > 0, k >= min_count and k > n p0.
RateTestResult rate_increase_test(const RateCounts& counts, const RateTestOptions& options = {});

// Is the window rate lower than the baseline's? (class_vanished: k is often 0)
// Tested iff n > 0, n p0 >= min_count and k < n p0.
RateTestResult rate_decrease_test(const RateCounts& counts, const RateTestOptions& options = {});

// class_appeared / novel_pair: the baseline never shows the event (K == 0) and the window
// shows it significantly often. Same as rate_increase_test, but tested only when K == 0.
RateTestResult appeared_test(const RateCounts& counts, const RateTestOptions& options = {});

// Bonferroni: min(1, m p_i), m = max(p.size(), num_hypotheses). Same order as p.
// NaN p-values are treated as 1.
std::vector<double> bonferroni_adjust(std::span<const double> p_values, size_t num_hypotheses = 0);

// Benjamini-Hochberg step-up adjusted p-values ("q-values", as statsmodels' fdr_bh):
// q_(i) = min_{j >= i} min(1, m p_(j) / j) over p sorted ascending, m as above. Same order
// as p; rejecting q <= alpha controls the false discovery rate at alpha (independent or
// positively dependent tests). O(s log s) for s = #{p < 1} (p = 1 needs no sorting: q = 1).
// NaN p-values are treated as 1. REQUIRES: p_values.size() < 2^32.
std::vector<double> benjamini_hochberg_adjust(std::span<const double> p_values,
                                              size_t num_hypotheses = 0);

// Weighted Benjamini-Hochberg (Genovese, Roeder & Wasserman 2006): BH applied to
// min(1, p_i / w_i) (w_i = 0: 1), m as above. Rejecting q <= alpha controls the false
// discovery rate at alpha under the same conditions as BH when the weights' sum over all m
// hypotheses is at most m (untested ones count with weight 0 unless the caller assigns them
// some). Weights decide how the alpha budget is shared: a hypothesis of weight 5 is tested
// as if p were 5 times smaller, paid for by hypotheses of weight below 1. Same order as p.
// REQUIRES: weights.size() == p_values.size(), every weight >= 0.
std::vector<double> weighted_benjamini_hochberg_adjust(std::span<const double> p_values,
                                                       std::span<const double> weights,
                                                       size_t num_hypotheses = 0);

// Indices (ascending) of the hypotheses BH rejects at FDR level alpha: all with p <= p_(r),
// r the largest rank with p_(r) <= r alpha / m. Equivalent to benjamini_hochberg_adjust(p)
// <= alpha, but O(m + r log r) for r = #{p <= alpha}: only p-values <= alpha are sorted.
std::vector<size_t> benjamini_hochberg_reject(std::span<const double> p_values, double alpha,
                                              size_t num_hypotheses = 0);

}  // namespace predwatch::core
