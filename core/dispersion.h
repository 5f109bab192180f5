// Dependence between frames: overdispersion estimated from a window's own time structure,
// and the quasi-likelihood tests that use it. See docs/DRIFT.md, "Correlated frames".
//
// A window is cut into parts (the panes of a TimeWindow, the blocks of a CountWindow) in
// time order. For one test, each part contributes a row of counts over the test's bins
// (a class histogram: objects per class; a rate: frames with / without the event), giving a
// J x B table. If the window's frames were independent, the rows would be multinomial
// samples of one distribution and Pearson's X^2 of the table, about the pooled column
// proportions, would be about (J' - 1)(B' - 1) (J', B': non-empty rows and columns). When
// frames come in held scenes, every count is inflated by a factor phi (the variance of a
// count over n frames is phi times the multinomial one), and so is X^2:
//     phi_hat = X^2 / ((J' - 1)(B' - 1))      (Pearson / quasi-likelihood dispersion).
// Scenes can be held longer than a part, which hides part of the dependence inside each
// row; rows are therefore also grouped into blocks of 2, 4, 8, ... consecutive parts
// (batch means with growing batches) as long as at least `min_blocks` blocks remain. Longer
// blocks see more of the dependence but estimate it from fewer rows. The block size chosen
// is the one whose lower confidence bound X^2 / chi2_quantile(nu, confidence) is the
// largest: it moves to longer blocks only when they show clearly more dispersion than the
// noise of their fewer degrees of freedom explains.
//
// Tests. With the window's dispersion phi_w (>= the floor: 1 for measures over frames, the
// Kish design effect for measures over objects) and the baseline's phi_b (the baseline is
// a set of totals: its frames are taken as independent, phi_b = its Kish design effect):
//  - chi-square (2 x B homogeneity, window n units, baseline N units): the difference of
//    proportions has covariance (phi_w / n + phi_b / N)(diag(pi) - pi pi'), Pearson's X^2
//    assumes (1 / n + 1 / N)(...), so X^2 / s ~ chi2(B - 1) with
//        s = (phi_w N + phi_b n) / (n + N) = w phi_w + (1 - w) phi_b,  w = N / (n + N).
//    With phi_w estimated on nu degrees of freedom, (X^2 / (B - 1)) / s ~ F(B - 1, nu_s),
//    nu_s = nu (s / (w phi_w))^2 (Satterthwaite; nu_s = nu when the baseline is huge).
//  - rate tests (window k of n frames, baseline K of N): the window counts are divided by
//    phi_w (k / phi_w of n / phi_w "effective frames", quasi-Poisson) and the conditional
//    binomial test of core/rate_test.h runs on the scaled counts (real-valued). Its
//    p-value is averaged over the sampling distribution of phi_hat (phi = phi_hat / u,
//    u ~ chi2(nu) / nu): for a chi-square test this average is exactly the F-test above, so
//    both kinds pay the same, honest price for a dispersion estimated from few blocks.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <vector>

namespace predwatch::core {

struct DispersionOptions {
  // Fewest blocks a block size may leave (blocks of 1, 2, 4, ... parts).
  size_t min_blocks = 4;
  // Confidence of the lower bound X^2 / chi2_quantile(nu, confidence) that picks the block
  // size. 0.5 picks about the largest estimate; higher values prefer more degrees of freedom.
  double confidence = 0.8;
  // The baseline was recorded from this same stream (a learned reference): its frames are
  // as dependent as the window's, so its counts carry the window's dispersion too
  // (phi_b = phi_w in the tests below) instead of being taken as independent frames.
  bool baseline_same_stream = false;
};

struct DispersionEstimate {
  double phi = std::numeric_limits<double>::quiet_NaN();  // X^2 / df; NaN: not estimable
  double statistic = 0;                                   // Pearson X^2 at the chosen block size
  double df = 0;                                          // (blocks' - 1)(bins' - 1)
  // Degrees of freedom of phi as an estimate: phi ~ phi_true chi2(effective_df) /
  // effective_df. Pearson's X^2 over sparse cells varies more than chi2(df) (each cell adds
  // about 1 / expected to the variance: Haldane 1940), so
  //   Var(X^2) = 2 df + sum_i (sum_j 1 / p_j - B'^2 - 2 B' + 2) / n_i,
  //   effective_df = min(df, 2 df^2 / Var(X^2)).
  // A rare event (a pane expects 0.2 frames with it) has effective_df well below df.
  double effective_df = 0;
  size_t block_parts = 0;  // parts per block (1, 2, 4, ...); 0 when not estimable
  size_t blocks = 0;       // non-empty blocks at that size
  bool valid() const { return df > 0; }
};

// Pearson X^2 of a rows x cols table of counts (row-major) about its pooled column
// proportions: sum over non-empty rows i and non-empty columns j of
// (y_ij - n_i p_j)^2 / (n_i p_j), n_i = row total, p_j = column total / grand total;
// df = (non-empty rows - 1)(non-empty columns - 1). O(rows * cols).
DispersionEstimate pearson_dispersion(std::span<const double> table, size_t rows, size_t cols);

// The dispersion of a parts x bins table (row-major, rows in time order) with blocks of
// 1, 2, 4, ... consecutive non-empty parts, choosing the block size as described above (the
// last block of a size takes the remainder). Not valid when fewer than min_blocks non-empty
// parts or fewer than 2 non-empty bins. O(parts * bins * log2(parts)).
DispersionEstimate blocked_dispersion(std::span<const double> table, size_t parts, size_t bins,
                                      const DispersionOptions& options = {});

// The estimates at every block size (1, 2, 4, ... parts per block, while at least
// min_blocks non-empty blocks remain), for callers that pool several tables before choosing;
// `out` is cleared first. Entry i has block_parts = 2^i.
void dispersion_levels(std::span<const double> table, size_t parts, size_t bins,
                       const DispersionOptions& options, std::vector<DispersionEstimate>& out);
// The entry with the largest lower confidence bound phi * effective_df /
// chi2_quantile(effective_df, confidence); an invalid estimate when none is valid.
DispersionEstimate choose_dispersion(std::span<const DispersionEstimate> levels,
                                     const DispersionOptions& options = {});

// Of the valid entries, the index of the one with the largest phi * nu /
// chi2_quantile(nu, confidence), nu = effective_df (else df); the first of equal ones;
// levels.size() when none is valid. choose_dispersion at `confidence` is the largest lower
// bound, at 1 - confidence the largest upper bound (dispersion_upper_bound). Exact: an
// entry's quantile at a non-integer nu is computed only when the quantiles at the integers
// around nu (remembered across calls) cannot tell that the entry is not the largest.
size_t largest_scaled_bound(std::span<const DispersionEstimate> levels, double confidence);

// The default confidence of exceeds_dispersion and dispersion_upper_bound.
inline constexpr double kDispersionBoundConfidence = 0.95;

// Is `own` significantly (one-sided, level 1 - confidence) more dispersed than `floor`?
// (own.phi / floor) * effective_df > chi2_quantile(effective_df, confidence).
bool exceeds_dispersion(const DispersionEstimate& own, double floor,
                        double confidence = kDispersionBoundConfidence);
// The upper confidence bound of the dispersion at level `confidence`:
// own.phi * effective_df / chi2_quantile(effective_df, 1 - confidence); +inf when `own` is
// not valid.
double dispersion_upper_bound(const DispersionEstimate& own,
                              double confidence = kDispersionBoundConfidence);

// Upper tail of F(d1, d2) at x; d2 = +inf gives the chi-square limit P(chi2(d1) >= d1 x).
// With noncentrality lambda > 0, the noncentral F(d1, d2, lambda) (noncentral chi-square
// chi2(d1, lambda) at d1 x in the limit): a minimum-effect test, docs/DRIFT.md "Minimum
// effect".
double f_upper_tail(double x, double d1, double d2, double lambda = 0);

// The noncentrality of a minimum-effect test's null boundary: lambda0 = (n N / (n + N)) x
// tolerance / s for a 2 x B statistic of window and baseline sizes n, N (units of the
// table), Pearson-divergence `tolerance` and dispersion s (the statistic is X^2 / s);
// 0 when tolerance <= 0.
double minimum_effect_noncentrality(double n, double N, double tolerance, double s);

// Quasi-likelihood chi-square test of a 2 x B homogeneity statistic `x2` with `df` = B - 1
// (see the file comment): window and baseline sizes n, N (units of the table), the window's
// dispersion estimate (phi_hat on nu df; NaN = not estimated), the floor of the window's
// dispersion and the baseline's dispersion. Returns the p-value; `scale` receives s.
// baseline_phi NaN: the baseline shares the window's dispersion (a reference recorded from
// the same stream), so both sides' counts are inflated by the same phi_w: s = phi_w and, phi_w
// being one estimate, X^2 / (df s) ~ F(df, nu) (nu_s = nu).
// `tolerance` > 0 makes it a minimum-effect test: the null is "Pearson's divergence
// sum_b (pw_b - pB_b)^2 / pbar_b is at most `tolerance`", under which X^2 / s is noncentral
// chi-square with lambda = (n N / (n + N)) tolerance / s (F: noncentral F(df, nu_s, lambda)).
double quasi_chi_square_p(double x2, double df, double n, double N, double phi_hat, double nu,
                          double window_floor, double baseline_phi, double* scale = nullptr,
                          double tolerance = 0);

// E_u[p(max(floor, phi_hat / u))], u ~ chi2(nu) / nu: a p-value p(phi) computed with a
// known dispersion phi (non-decreasing in phi), averaged over the uncertainty of phi_hat.
// Returns p(max(floor, phi_hat)) when nu is infinite or >= 10000, p(floor) when phi_hat is
// NaN. Uses 48-point trapezoid quadrature in log u over the central 1 - 2e-12 of chi2(nu).
// (A caller that needs no average when p(floor) is large screens before asking for
// phi_hat, as the drift evaluator's rate tests do.)
double average_over_dispersion(const std::function<double(double phi)>& p, double phi_hat,
                               double nu, double floor);

// Conditional binomial tests on real-valued counts (core/rate_test.h's conditional test with
// the window scaled by phi and the baseline by phi_b): window k of n frames, baseline K of N;
// X ~ Bin(k / phi + K / phi_b, (n / phi) / (n / phi + N / phi_b)) with the incomplete beta
// function at real arguments. Upper: P(X >= k / phi); lower: P(X <= k / phi). phi, phi_b >= 1;
// phi_b = 1 for a baseline of independent frames, phi_b = phi for a reference recorded from
// the same stream (then the success probability is n / (n + N) and only the counts shrink).
double scaled_conditional_upper_p(double k, double n, double K, double N, double phi,
                                  double phi_b = 1.0);
double scaled_conditional_lower_p(double k, double n, double K, double N, double phi,
                                  double phi_b = 1.0);

}  // namespace predwatch::core
