// Distances and a homogeneity test between two histograms over the same bins: the baseline's
// and the window's. These are the per-table drift measures of the drift engine (class mix,
// objects per image, confidence, box size, spatial cells...).
//
// Inputs are plain count vectors (integer counts or non-negative real weights); bin i of the
// baseline and bin i of the window must mean the same thing. Proportions are counts divided
// by the side's total.
//
// Measures (p = baseline proportions, q = window proportions, sums over bins):
//   js_distance      sqrt(JSD), JSD = 1/2 KL2(p||m) + 1/2 KL2(q||m), m = (p+q)/2, logs base 2.
//                    In [0, 1]. Equals scipy.spatial.distance.jensenshannon(p, q, base=2).
//   psi              sum (q - p) * ln(q / p) on smoothed proportions (see Smoothing). >= 0
//                    (up to the smoothing), unbounded. Evidently's definition.
//   hellinger        sqrt(1/2 * sum (sqrt p - sqrt q)^2) = sqrt(1 - sum sqrt(p q)). In [0, 1].
//   l_infinity       max |p - q|. In [0, 1].
//   total_variation  1/2 sum |p - q|. In [0, 1].
//   chi_square       test of homogeneity of the 2 x k contingency table (baseline row, window
//                    row), see ChiSquareResult; includes Cramer's V.
//
// Smoothing of empty bins. PSI has ln(q/p) and needs every bin non-zero on both sides, so PSI
// always uses smoothed proportions. The four bounded distances are well defined with empty
// bins and by default use the raw proportions (smoothing would pull them towards 0 on
// histograms with many empty bins: 1000 bins x 1e-4 can add 10% of the mass); set
// `smooth_bounded_measures` to smooth them too (then the smoothed vector is renormalised to
// sum 1 before use). The chi-square test always uses raw counts; for a valid test on sparse
// histograms, group bins first (merge_bins / merge_counts below) and compare the merged
// vectors, keeping the distances of the unmerged ones.
//
// Edge cases:
//   - a side with total 0 (empty window / empty baseline): `status` is kEmptyWindow /
//     kEmptyBaseline, every measure is NaN (NaN compares false with any threshold, so it can
//     never raise an alert), chi_square.status is kEmpty.
//   - a bin non-empty on only one side: all measures finite (PSI through smoothing; with
//     epsilon = 0 PSI is +inf).
//   - a single bin, or all mass of both sides in the same bin: distances 0, chi-square
//     kTooFewBins.
//
// Pure functions; thread-safe; compare_distributions does not allocate.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace predwatch::core {

struct Smoothing {
  enum class Method {
    // Evidently's rule: a bin whose proportion is 0 gets proportion `epsilon`; other bins
    // keep theirs; no renormalisation (for PSI). Matches Evidently's PSI numbers.
    kFloorEmpty,
    // Every bin gets `epsilon` added, then the vector is divided by (1 + k * epsilon):
    // p'_i = (p_i + epsilon) / (1 + k epsilon). Always a proper distribution.
    kAdditive,
  };
  Method method = Method::kFloorEmpty;
  // Pseudo-proportion (not a pseudo-count). REQUIRES: 0 <= epsilon < 1. 0 disables smoothing.
  double epsilon = 1e-4;
};

struct ChiSquareOptions {
  // Cochran's rule on the expected counts E_ij = row_i * col_j / n of the 2 x k' table
  // (k' = bins non-empty on at least one side): the test is valid only if no E_ij is below
  // `min_expected_any` and at most `max_fraction_below` of the 2k' cells have E_ij below
  // `min_expected`. Defaults are Cochran's 1 / 20% / 5.
  double min_expected_any = 1.0;
  double min_expected = 5.0;
  double max_fraction_below = 0.2;
  // On large samples any tiny difference is "significant"; the test is then reported but
  // marked kLargeSample and a distance with a threshold should be used instead (Evidently
  // switches from chi-square to Jensen-Shannon above 1000 reference rows). Applied to the
  // smaller of the two totals, which bounds the test's power. 0 disables the cut-off.
  double max_sample = 1000.0;
  // Objects on one frame are not independent; the statistic is divided by this design effect
  // (e.g. the mean number of the subject's objects per frame containing it) before the
  // p-value. Cramer's V is unaffected (X^2 and n shrink by the same factor). REQUIRES >= 1.
  double design_effect = 1.0;
};

struct DivergenceOptions {
  Smoothing smoothing;
  bool smooth_bounded_measures = false;
  ChiSquareOptions chi_square;
  // false: the distances only; `chi_square` of the result is left unset (status kEmpty, NaN
  // values), which saves its survival function (for a caller that tests other bins, e.g.
  // merged ones, with chi_square_homogeneity).
  bool test_homogeneity = true;
};

struct ChiSquareResult {
  enum class Status {
    kOk,           // the test is valid: use p_value
    kEmpty,        // a side has total 0: statistic, p_value, cramers_v are NaN
    kTooFewBins,   // fewer than 2 bins non-empty on either side: statistic 0, p 1, V 0
    kSparse,       // Cochran's rule fails: values computed, p_value unreliable
    kLargeSample,  // min(total) > max_sample: values computed, p_value over-sensitive
  };
  Status status = Status::kEmpty;
  double statistic = 0;  // Pearson's X^2 / design_effect, no continuity correction
  int dof = 0;           // k' - 1; bins empty on both sides are dropped
  double p_value = 1;    // upper tail of chi2(dof) at `statistic`
  // Cramer's V = sqrt(X^2 / (n * min(2 - 1, k' - 1))) = sqrt(X^2 / n), n = both totals.
  // Effect size in [0, 1], meaningful at any sample size (Deepchecks' drift condition 0.15);
  // computed whenever status is not kEmpty.
  double cramers_v = 0;

  bool valid() const { return status == Status::kOk; }
};

struct DistributionDrift {
  enum class Status { kOk, kEmptyBaseline, kEmptyWindow };
  Status status = Status::kOk;
  double baseline_total = 0;
  double window_total = 0;
  double js_distance = 0;
  double psi = 0;
  double hellinger = 0;
  double l_infinity = 0;
  double total_variation = 0;
  ChiSquareResult chi_square;

  bool valid() const { return status == Status::kOk; }
};

// Compares the window's histogram with the baseline's. O(k), one pass plus one chi-square
// survival function evaluation.
// REQUIRES: baseline.size() == window.size() >= 1; weights finite and >= 0.
DistributionDrift compare_distributions(std::span<const uint64_t> baseline,
                                        std::span<const uint64_t> window,
                                        const DivergenceOptions& options = {});
DistributionDrift compare_distributions(std::span<const double> baseline,
                                        std::span<const double> window,
                                        const DivergenceOptions& options = {});

// The chi-square test of compare_distributions alone (the same result, without the
// distances' logarithms). A side with total 0 gives status kEmpty and NaN values.
// REQUIRES: baseline.size() == window.size() >= 1; weights finite and >= 0.
ChiSquareResult chi_square_homogeneity(std::span<const uint64_t> baseline,
                                       std::span<const uint64_t> window,
                                       const ChiSquareOptions& options = {});

// "ok", "empty", "too_few_bins", "sparse", "large_sample".
std::string_view chi_square_status_name(ChiSquareResult::Status status);

// Grouping of bins for the chi-square test, chosen from the baseline and the window's size
// only (never from the window's counts, so the test stays valid). Walking the bins in their
// natural order (count, size, confidence, row-major cells), adjacent bins with baseline mass
// are merged until the group expects >= min_expected window observations under the
// baseline: window_total * (group's baseline mass / baseline total). A trailing group short
// of that joins the group before it. All bins the baseline never uses (count 0) form one
// last group of their own: window mass there is exactly the drift to detect.
// group_of_bin[i] is bin i's group; the groups of baseline-used bins are numbered 0, 1, ...
// in bin order, and the group of unused bins, if any, is the last (groups - 1).
//
// UnseenBins::kWithNeighbours instead walks the unused bins like the others (they add no
// mass to the group they fall in; trailing ones join the last group). Use it when the
// baseline is a finite sample rather than a known distribution: a bin empty in the baseline
// may simply be rare, and a group defined as "exactly the baseline's empty bins" is chosen
// by the baseline's own sampling noise, which makes the chi-square anti-conservative (on
// sparse per-class heatmaps, tens of times more false alarms than alpha).
struct BinMerge {
  std::vector<uint32_t> group_of_bin;
  uint32_t groups = 0;
};
enum class UnseenBins { kOwnGroup, kWithNeighbours };
// REQUIRES: baseline non-empty; window_total >= 0; min_expected > 0.
BinMerge merge_bins(std::span<const uint64_t> baseline, double window_total,
                    double min_expected = 5.0, UnseenBins unseen = UnseenBins::kOwnGroup);
BinMerge merge_bins(std::span<const double> baseline, double window_total,
                    double min_expected = 5.0, UnseenBins unseen = UnseenBins::kOwnGroup);
// Sums counts per group: out[g] = sum of counts[i] with group_of_bin[i] == g. Reuses `out`.
// REQUIRES: counts.size() == merge.group_of_bin.size().
void merge_counts(std::span<const uint64_t> counts, const BinMerge& merge,
                  std::vector<uint64_t>& out);
void merge_counts(std::span<const double> counts, const BinMerge& merge, std::vector<double>& out);

}  // namespace predwatch::core
