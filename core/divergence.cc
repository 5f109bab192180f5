#include "core/divergence.h"

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <cassert>
#include <cmath>
#include <limits>

#include "core/math_policy.h"

namespace predwatch::core {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double chi_square_upper_tail(double statistic, int dof) {
  boost::math::chi_squared_distribution<double, NoThrowPolicy> dist(dof);
  return boost::math::cdf(boost::math::complement(dist, statistic));
}

ChiSquareResult empty_chi_square() {
  ChiSquareResult r;
  r.status = ChiSquareResult::Status::kEmpty;
  r.statistic = r.p_value = r.cramers_v = kNaN;
  return r;
}

template <typename T>
ChiSquareResult chi_square(std::span<const T> baseline, std::span<const T> window,
                           double baseline_total, double window_total,
                           const ChiSquareOptions& options) {
  ChiSquareResult r;
  const double n = baseline_total + window_total;
  double statistic = 0;
  int columns = 0;
  int cells_below = 0;
  bool any_below_floor = false;
  for (size_t i = 0; i < baseline.size(); ++i) {
    const double b = static_cast<double>(baseline[i]);
    const double w = static_cast<double>(window[i]);
    const double column = b + w;
    if (column <= 0) continue;  // both sides empty: no information, no degree of freedom
    ++columns;
    const double eb = baseline_total * column / n;
    const double ew = window_total * column / n;
    statistic += (b - eb) * (b - eb) / eb + (w - ew) * (w - ew) / ew;
    cells_below += (eb < options.min_expected) + (ew < options.min_expected);
    any_below_floor |= eb < options.min_expected_any || ew < options.min_expected_any;
  }
  if (columns < 2) {
    r.status = ChiSquareResult::Status::kTooFewBins;
    r.statistic = 0;
    r.dof = 0;
    r.p_value = 1;
    r.cramers_v = 0;
    return r;
  }
  statistic /= options.design_effect;
  r.statistic = statistic;
  r.dof = columns - 1;
  r.p_value = chi_square_upper_tail(statistic, r.dof);
  // min(rows - 1, columns - 1) = 1 for a 2-row table; X^2 and n both divided by the design
  // effect.
  r.cramers_v = std::min(1.0, std::sqrt(statistic * options.design_effect / n));
  if (any_below_floor || cells_below > options.max_fraction_below * (2.0 * columns)) {
    r.status = ChiSquareResult::Status::kSparse;
  } else if (options.max_sample > 0 &&
             std::min(baseline_total, window_total) > options.max_sample) {
    r.status = ChiSquareResult::Status::kLargeSample;
  } else {
    r.status = ChiSquareResult::Status::kOk;
  }
  return r;
}

template <typename T>
DistributionDrift compare(std::span<const T> baseline, std::span<const T> window,
                          const DivergenceOptions& options) {
  assert(baseline.size() == window.size() && !baseline.empty());
  DistributionDrift d;
  size_t baseline_zeros = 0, window_zeros = 0;
  for (size_t i = 0; i < baseline.size(); ++i) {
    const double b = static_cast<double>(baseline[i]);
    const double w = static_cast<double>(window[i]);
    assert(b >= 0 && w >= 0);
    d.baseline_total += b;
    d.window_total += w;
    baseline_zeros += b <= 0;
    window_zeros += w <= 0;
  }
  if (d.baseline_total <= 0 || d.window_total <= 0) {
    d.status = d.baseline_total <= 0 ? DistributionDrift::Status::kEmptyBaseline
                                     : DistributionDrift::Status::kEmptyWindow;
    d.js_distance = d.psi = d.hellinger = d.l_infinity = d.total_variation = kNaN;
    d.chi_square = empty_chi_square();
    return d;
  }

  const double eps = options.smoothing.epsilon;
  const bool additive = options.smoothing.method == Smoothing::Method::kAdditive;
  const double k = static_cast<double>(baseline.size());
  // Smoothed proportion s(x) = (x + add) * scale, where for kAdditive add = eps on every
  // bin, and for kFloorEmpty a zero proportion becomes eps (no renormalisation for PSI).
  const double additive_scale = 1.0 / (1.0 + k * eps);
  // Renormalisers for the bounded measures when smoothing kFloorEmpty vectors.
  const double baseline_floor_norm = 1.0 / (1.0 + eps * static_cast<double>(baseline_zeros));
  const double window_floor_norm = 1.0 / (1.0 + eps * static_cast<double>(window_zeros));
  const double inv_b = 1.0 / d.baseline_total;
  const double inv_w = 1.0 / d.window_total;

  double js = 0, psi = 0, hellinger_sq = 0, linf = 0, tv = 0;
  for (size_t i = 0; i < baseline.size(); ++i) {
    const double p_raw = static_cast<double>(baseline[i]) * inv_b;
    const double q_raw = static_cast<double>(window[i]) * inv_w;
    double ps, qs;  // smoothed, for PSI
    if (additive) {
      ps = (p_raw + eps) * additive_scale;
      qs = (q_raw + eps) * additive_scale;
    } else {
      ps = p_raw > 0 ? p_raw : eps;
      qs = q_raw > 0 ? q_raw : eps;
    }
    if (ps != qs) psi += (qs - ps) * std::log(qs / ps);

    double p = p_raw, q = q_raw;
    if (options.smooth_bounded_measures) {
      if (additive) {
        p = ps;
        q = qs;
      } else {
        p = ps * baseline_floor_norm;
        q = qs * window_floor_norm;
      }
    }
    if (p == q) continue;  // contributes 0 to every distance
    const double m = 0.5 * (p + q);
    if (p > 0) js += p * std::log2(p / m);
    if (q > 0) js += q * std::log2(q / m);
    const double diff = std::abs(p - q);
    tv += diff;
    linf = std::max(linf, diff);
    const double root_diff = std::sqrt(p) - std::sqrt(q);
    hellinger_sq += root_diff * root_diff;
  }
  d.js_distance = std::sqrt(std::clamp(0.5 * js, 0.0, 1.0));
  d.psi = psi;
  d.hellinger = std::sqrt(std::clamp(0.5 * hellinger_sq, 0.0, 1.0));
  d.l_infinity = linf;
  d.total_variation = std::min(1.0, 0.5 * tv);
  d.chi_square = options.test_homogeneity ? chi_square(baseline, window, d.baseline_total,
                                                       d.window_total, options.chi_square)
                                          : empty_chi_square();
  return d;
}

template <typename T>
BinMerge merge(std::span<const T> baseline, double window_total, double min_expected,
               UnseenBins unseen) {
  assert(!baseline.empty() && min_expected > 0);
  BinMerge m;
  m.group_of_bin.assign(baseline.size(), 0);
  double total = 0;
  for (const T b : baseline) total += static_cast<double>(b);
  // Baseline mass a group needs: window_total * mass / total >= min_expected.
  const double needed = window_total > 0 ? min_expected * total / window_total : 0;
  constexpr uint32_t kUnseen = UINT32_MAX;
  uint32_t group = 0;
  double mass = 0;    // of the open group
  bool open = false;  // a group has bins and is still short of `needed`
  bool any_closed = false;
  for (size_t i = 0; i < baseline.size(); ++i) {
    const double b = static_cast<double>(baseline[i]);
    if (b <= 0 && unseen == UnseenBins::kOwnGroup) {
      m.group_of_bin[i] = kUnseen;
      continue;
    }
    m.group_of_bin[i] = group;
    mass += b;
    open = true;
    if (b > 0 && mass >= needed) {
      ++group;
      mass = 0;
      open = false;
      any_closed = true;
    }
  }
  if (open && any_closed) {
    // The short trailing group joins the one before it.
    for (uint32_t& g : m.group_of_bin) {
      if (g == group) g = group - 1;
    }
  } else if (open) {
    ++group;  // the only group: all of the baseline's mass is short of `needed`
  }
  bool has_unseen = false;
  for (uint32_t& g : m.group_of_bin) {
    if (g == kUnseen) {
      g = group;
      has_unseen = true;
    }
  }
  m.groups = group + (has_unseen ? 1 : 0);
  return m;
}

template <typename T>
void merge_into(std::span<const T> counts, const BinMerge& m, std::vector<T>& out) {
  assert(counts.size() == m.group_of_bin.size());
  out.assign(m.groups, T{0});
  for (size_t i = 0; i < counts.size(); ++i) out[m.group_of_bin[i]] += counts[i];
}

}  // namespace

BinMerge merge_bins(std::span<const uint64_t> baseline, double window_total, double min_expected,
                    UnseenBins unseen) {
  return merge(baseline, window_total, min_expected, unseen);
}

BinMerge merge_bins(std::span<const double> baseline, double window_total, double min_expected,
                    UnseenBins unseen) {
  return merge(baseline, window_total, min_expected, unseen);
}

void merge_counts(std::span<const uint64_t> counts, const BinMerge& merge,
                  std::vector<uint64_t>& out) {
  merge_into(counts, merge, out);
}

void merge_counts(std::span<const double> counts, const BinMerge& merge, std::vector<double>& out) {
  merge_into(counts, merge, out);
}

DistributionDrift compare_distributions(std::span<const uint64_t> baseline,
                                        std::span<const uint64_t> window,
                                        const DivergenceOptions& options) {
  return compare(baseline, window, options);
}

DistributionDrift compare_distributions(std::span<const double> baseline,
                                        std::span<const double> window,
                                        const DivergenceOptions& options) {
  return compare(baseline, window, options);
}

ChiSquareResult chi_square_homogeneity(std::span<const uint64_t> baseline,
                                       std::span<const uint64_t> window,
                                       const ChiSquareOptions& options) {
  assert(baseline.size() == window.size() && !baseline.empty());
  double baseline_total = 0, window_total = 0;
  for (size_t i = 0; i < baseline.size(); ++i) {
    baseline_total += static_cast<double>(baseline[i]);
    window_total += static_cast<double>(window[i]);
  }
  if (baseline_total <= 0 || window_total <= 0) return empty_chi_square();
  return chi_square(baseline, window, baseline_total, window_total, options);
}

std::string_view chi_square_status_name(ChiSquareResult::Status status) {
  switch (status) {
    case ChiSquareResult::Status::kOk:
      return "ok";
    case ChiSquareResult::Status::kEmpty:
      return "empty";
    case ChiSquareResult::Status::kTooFewBins:
      return "too_few_bins";
    case ChiSquareResult::Status::kSparse:
      return "sparse";
    case ChiSquareResult::Status::kLargeSample:
      return "large_sample";
  }
  return "unknown";
}

}  // namespace predwatch::core
