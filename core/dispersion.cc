#include "core/dispersion.h"

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/fisher_f.hpp>
#include <boost/math/distributions/non_central_chi_squared.hpp>
#include <boost/math/distributions/non_central_f.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "core/math_policy.h"

namespace predwatch::core {
namespace {

using ChiSquared = boost::math::chi_squared_distribution<double, NoThrowPolicy>;
using FisherF = boost::math::fisher_f_distribution<double, NoThrowPolicy>;
using NoncentralChiSquared =
    boost::math::non_central_chi_squared_distribution<double, NoThrowPolicy>;
using NoncentralF = boost::math::non_central_f_distribution<double, NoThrowPolicy>;

// A central p-value at or above this is returned for a noncentral test too (its p-value is
// larger still, and no alpha in use comes near).
constexpr double kNoncentralScreen = 0.25;

double clamp_p(double p) { return std::isnan(p) ? 1.0 : std::clamp(p, 0.0, 1.0); }

// quantile(ChiSquared(nu), confidence), remembered: the dispersion of every test of every
// evaluation asks for the same few (nu, confidence) pairs (integer df of its block levels,
// one confidence), and each costs an iterative inverse of the incomplete gamma function.
// Exact: the cached value is the computed one. At most kQuantileCache entries per thread.
double chi_square_quantile(double nu, double confidence) {
  constexpr size_t kQuantileCache = 4096;
  thread_local absl::flat_hash_map<std::pair<double, double>, double> cache;
  const std::pair<double, double> key{nu, confidence};
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  const double q = boost::math::quantile(ChiSquared(nu), confidence);
  if (cache.size() >= kQuantileCache) cache.clear();
  cache.emplace(key, q);
  return q;
}

// quantile(ChiSquared(nu), confidence) lies between its values at the integers around nu
// (a chi-square grows stochastically with its df), each remembered by chi_square_quantile:
// the bracket [at floor(nu), at ceil(nu)], widened by kBracketSlack for rounding. A point
// (the quantile itself) when nu is an integer or outside [1, 1e6].
constexpr double kBracketSlack = 1e-12;
struct QuantileBracket {
  double lo, hi;
};
QuantileBracket quantile_bracket(double nu, double confidence) {
  if (!(nu >= 1 && nu <= 1e6) || nu == std::floor(nu)) {
    const double q = chi_square_quantile(nu, confidence);
    return {q, q};
  }
  return {chi_square_quantile(std::floor(nu), confidence) * (1 - kBracketSlack),
          chi_square_quantile(std::ceil(nu), confidence) * (1 + kBracketSlack)};
}

double estimate_df(const DispersionEstimate& e) {
  return e.effective_df > 0 ? e.effective_df : e.df;
}

// phi * nu / q, 0 when q <= 0.
double scaled_bound(double phi, double nu, double q) { return q > 0 ? phi * nu / q : 0.0; }

}  // namespace

size_t largest_scaled_bound(std::span<const DispersionEstimate> levels, double confidence) {
  // The brackets first; the exact bound only of the levels whose bracket reaches the largest
  // lower end (the others are below the largest bound for sure).
  thread_local std::vector<double> high;  // NaN: not valid, never a candidate
  high.assign(levels.size(), std::numeric_limits<double>::quiet_NaN());
  double best_low = -1;
  for (size_t i = 0; i < levels.size(); ++i) {
    const DispersionEstimate& e = levels[i];
    if (!e.valid()) continue;
    const double nu = estimate_df(e);
    const QuantileBracket q = quantile_bracket(nu, confidence);
    const double low = scaled_bound(e.phi, nu, q.hi);
    high[i] = q.lo > 0 ? scaled_bound(e.phi, nu, q.lo) : std::numeric_limits<double>::infinity();
    if (low > best_low) best_low = low;
  }
  size_t candidates = 0, only = levels.size();
  for (size_t i = 0; i < levels.size(); ++i) {
    if (high[i] >= best_low) {
      ++candidates;
      only = i;
    }
  }
  if (candidates <= 1) return only;
  size_t best = levels.size();
  double best_bound = -1;
  for (size_t i = 0; i < levels.size(); ++i) {
    if (!(high[i] >= best_low)) continue;
    const double nu = estimate_df(levels[i]);
    const double bound = scaled_bound(levels[i].phi, nu, chi_square_quantile(nu, confidence));
    if (bound > best_bound) {
      best_bound = bound;
      best = i;
    }
  }
  return best;
}

DispersionEstimate pearson_dispersion(std::span<const double> table, size_t rows, size_t cols) {
  DispersionEstimate e;
  // Scratch reused across calls (the evaluator calls this thousands of times per pass).
  thread_local std::vector<double> col, row_total;
  col.assign(cols, 0.0);
  row_total.assign(rows, 0.0);
  double grand = 0;
  size_t used_rows = 0;
  for (size_t i = 0; i < rows; ++i) {
    const double* r = table.data() + i * cols;
    double n = 0;
    for (size_t j = 0; j < cols; ++j) {
      col[j] += r[j];
      n += r[j];
    }
    row_total[i] = n;
    used_rows += n > 0;
    grand += n;
  }
  // weight[j] = 1 / p_j for the used columns, 0 for the empty ones (whose cells are all 0).
  thread_local std::vector<double> weight;
  weight.assign(cols, 0.0);
  size_t used_cols = 0;
  double inverse_p = 0;  // sum over used columns of 1 / p_j
  for (size_t j = 0; j < cols; ++j) {
    if (!(col[j] > 0)) continue;
    weight[j] = grand / col[j];
    inverse_p += weight[j];
    ++used_cols;
  }
  if (used_rows < 2 || used_cols < 2) return e;
  const double b = double(used_cols);
  const double sparse_term = inverse_p - b * b - 2 * b + 2;
  // X^2 = sum_ij (y_ij - n_i p_j)^2 / (n_i p_j) = sum_i (1 / n_i) sum_j y_ij^2 / p_j - grand
  // (expanding the square: sum_j y_ij = n_i and sum_j p_j = 1 over the used columns): one
  // multiply-add per cell instead of two divisions. The subtraction loses about
  // 1e-16 * grand / X^2 relative, far below anything a test reads.
  double sum = 0, extra_variance = 0;
  for (size_t i = 0; i < rows; ++i) {
    const double n = row_total[i];
    if (!(n > 0)) continue;
    extra_variance += sparse_term / n;
    const double* r = table.data() + i * cols;
    double row_sum = 0;
    for (size_t j = 0; j < cols; ++j) row_sum += r[j] * r[j] * weight[j];
    sum += row_sum / n;
  }
  const double x2 = std::max(0.0, sum - grand);
  e.statistic = x2;
  e.df = double(used_rows - 1) * double(used_cols - 1);
  e.phi = x2 / e.df;
  const double variance = 2 * e.df + extra_variance;
  e.effective_df = variance > 2 * e.df ? 2 * e.df * e.df / variance : e.df;
  e.blocks = used_rows;
  e.block_parts = 1;
  return e;
}

void dispersion_levels(std::span<const double> table, size_t parts, size_t bins,
                       const DispersionOptions& options, std::vector<DispersionEstimate>& out) {
  out.clear();
  // Non-empty parts, in order.
  thread_local std::vector<size_t> used;
  thread_local std::vector<double> blocked;
  used.clear();
  for (size_t i = 0; i < parts; ++i) {
    double n = 0;
    for (size_t j = 0; j < bins; ++j) n += table[i * bins + j];
    if (n > 0) used.push_back(i);
  }
  const size_t min_blocks = std::max<size_t>(options.min_blocks, 2);
  for (size_t b = 1; used.size() / b >= min_blocks; b *= 2) {
    const size_t blocks = used.size() / b;
    DispersionEstimate e;
    if (b == 1 && used.size() == parts) {
      e = pearson_dispersion(table.first(parts * bins), parts, bins);  // every part is a block
    } else {
      blocked.assign(blocks * bins, 0.0);
      for (size_t r = 0; r < used.size(); ++r) {
        const size_t g = std::min(r / b, blocks - 1);  // the last block takes the remainder
        const double* row = table.data() + used[r] * bins;
        double* dst = blocked.data() + g * bins;
        for (size_t j = 0; j < bins; ++j) dst[j] += row[j];
      }
      e = pearson_dispersion(blocked, blocks, bins);
    }
    e.block_parts = b;
    out.push_back(e);
  }
}

DispersionEstimate choose_dispersion(std::span<const DispersionEstimate> levels,
                                     const DispersionOptions& options) {
  const size_t i = largest_scaled_bound(levels, options.confidence);
  return i < levels.size() ? levels[i] : DispersionEstimate{};
}

DispersionEstimate blocked_dispersion(std::span<const double> table, size_t parts, size_t bins,
                                      const DispersionOptions& options) {
  thread_local std::vector<DispersionEstimate> levels;
  dispersion_levels(table, parts, bins, options, levels);
  return choose_dispersion(levels, options);
}

bool exceeds_dispersion(const DispersionEstimate& own, double floor, double confidence) {
  if (!own.valid() || !(own.phi > floor)) return false;
  const double nu = estimate_df(own);
  const double x = own.phi / floor * nu;
  const QuantileBracket q = quantile_bracket(nu, confidence);
  if (x > q.hi) return true;
  if (!(x > q.lo)) return false;
  return x > chi_square_quantile(nu, confidence);
}

double dispersion_upper_bound(const DispersionEstimate& own, double confidence) {
  if (!own.valid() || !(own.phi >= 0)) return std::numeric_limits<double>::infinity();
  const double nu = estimate_df(own);
  return own.phi * nu / chi_square_quantile(nu, 1 - confidence);
}

double f_upper_tail(double x, double d1, double d2, double lambda) {
  if (!(x > 0)) return 1.0;
  if (!(d1 > 0)) return 1.0;
  const bool chi_square = !(d2 < 1e7);
  const double central =
      clamp_p(chi_square ? boost::math::cdf(boost::math::complement(ChiSquared(d1), d1 * x))
                         : boost::math::cdf(boost::math::complement(FisherF(d1, d2), x)));
  // The noncentral tail is larger: a central p-value past any alpha in use is final.
  if (!(lambda > 0) || central >= kNoncentralScreen) return central;
  return clamp_p(
      chi_square
          ? boost::math::cdf(boost::math::complement(NoncentralChiSquared(d1, lambda), d1 * x))
          : boost::math::cdf(boost::math::complement(NoncentralF(d1, d2, lambda), x)));
}

double minimum_effect_noncentrality(double n, double N, double tolerance, double s) {
  return tolerance > 0 && n + N > 0 ? n * N / (n + N) * tolerance / s : 0.0;
}

double quasi_chi_square_p(double x2, double df, double n, double N, double phi_hat, double nu,
                          double window_floor, double baseline_phi, double* scale,
                          double tolerance) {
  if (!(n + N > 0) || !(df > 0)) return 1.0;
  const double w = N / (n + N);
  const bool estimated = !std::isnan(phi_hat) && phi_hat > window_floor && nu > 0;
  const double phi_w = estimated ? phi_hat : window_floor;
  const bool shared = std::isnan(baseline_phi);
  const double s = shared ? phi_w : w * phi_w + (1 - w) * baseline_phi;
  if (scale) *scale = s;
  double nu_s = std::numeric_limits<double>::infinity();
  if (estimated && shared) {
    nu_s = nu;
  } else if (estimated && w > 0) {
    const double r = s / (w * phi_w);
    nu_s = nu * r * r;
  }
  return f_upper_tail(x2 / df / s, df, nu_s, minimum_effect_noncentrality(n, N, tolerance, s));
}

double average_over_dispersion(const std::function<double(double phi)>& p, double phi_hat,
                               double nu, double floor) {
  if (std::isnan(phi_hat)) return clamp_p(p(floor));
  const double phi0 = std::max(floor, phi_hat);
  if (!(nu > 0) || !(nu < 1e4)) return clamp_p(p(phi0));
  const double p_floor = clamp_p(p(floor));
  const ChiSquared dist(nu);
  const double lo = boost::math::quantile(dist, 1e-12) / nu;
  const double hi = boost::math::quantile(boost::math::complement(dist, 1e-12)) / nu;
  constexpr int kPoints = 48;
  const double tlo = std::log(lo), thi = std::log(hi), h = (thi - tlo) / (kPoints - 1);
  double sum = 0, mass = 0;
  for (int i = 0; i < kPoints; ++i) {
    const double u = std::exp(tlo + h * i);
    double wgt = boost::math::pdf(dist, nu * u) * nu * u;  // density of ln u
    if (i == 0 || i == kPoints - 1) wgt *= 0.5;
    if (!(wgt > 0)) continue;
    const double phi = std::max(floor, phi_hat / u);
    sum += wgt * (phi == floor ? p_floor : clamp_p(p(phi)));
    mass += wgt;
  }
  return mass > 0 ? clamp_p(sum / mass) : clamp_p(p(phi0));
}

double scaled_conditional_upper_p(double k, double n, double K_raw, double N_raw, double phi,
                                  double phi_b) {
  if (!(k > 0)) return 1.0;
  const double a = k / phi, nn = n / phi, K = K_raw / phi_b, N = N_raw / phi_b;
  if (!(nn + N > 0)) return 1.0;
  const double p = nn / (nn + N);
  if (p >= 1) return 1.0;
  if (p <= 0) return 0.0;
  // P(X >= a), X ~ Bin(a + K, p) = I_p(a, K + 1).
  return clamp_p(boost::math::ibeta(a, K + 1, p, NoThrowPolicy()));
}

double scaled_conditional_lower_p(double k, double n, double K_raw, double N_raw, double phi,
                                  double phi_b) {
  if (!(K_raw > 0)) return 1.0;  // X <= a + K - K always
  const double a = k / phi, nn = n / phi, K = K_raw / phi_b, N = N_raw / phi_b;
  if (!(nn + N > 0)) return 1.0;
  const double p = nn / (nn + N);
  if (p <= 0) return 1.0;
  if (p >= 1) return 0.0;
  // P(X <= a), X ~ Bin(a + K, p) = 1 - I_p(a + 1, K).
  return clamp_p(boost::math::ibetac(a + 1, K, p, NoThrowPolicy()));
}

}  // namespace predwatch::core
