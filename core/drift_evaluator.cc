#include "core/drift_evaluator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/dispersion.h"
#include "core/divergence.h"
#include "core/rate_test.h"

namespace predwatch::core {
namespace {

constexpr ClassId kNone = ~ClassId{0};
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// A class of the union of both sides, matched by name.
struct Subject {
  std::string_view name;
  ClassId w = kNone;  // id in the window, kNone when the window does not know the class
  ClassId b = kNone;  // id in the baseline
  const DriftThresholds* th = nullptr;
};

// Sum of m^2 / sum of m over clusters, from a count histogram whose bucket i holds the
// clusters of size i (bucket `last` = ">= last") and the total number of objects. This is
// the variance inflation of a count vector over objects when all objects of a cluster fall
// in the same bin (Kish's 1 + (m - 1) rho at rho = 1, size-weighted for unequal clusters).
// The open last bucket's clusters are taken as equal (its objects spread evenly), which is
// the smallest sum of squares they can have: an estimate, not a bound.
template <class Get>
double design_effect(Get bucket, uint32_t last, double total_objects) {
  if (!(total_objects > 0)) return 1.0;
  double sum_sq = 0, counted = 0;
  for (uint32_t i = 1; i < last; ++i) {
    const double h = double(bucket(i));
    sum_sq += double(i) * i * h;
    counted += double(i) * h;
  }
  const double tail_clusters = double(bucket(last));
  const double tail_objects = std::max(total_objects - counted, tail_clusters * last);
  if (tail_clusters > 0) sum_sq += tail_objects * tail_objects / tail_clusters;
  return std::max(1.0, sum_sq / total_objects);
}

// Two-sample rate tests. The window shows the event on k of n frames, the baseline on K of
// N. Under "same rate", given k + K, k is hypergeometric; its binomial approximation
// Bin(k + K, n / (n + N)) is exact in the rare-event limit and conservative otherwise (the
// binomial has the larger variance). Unlike a test against the baseline's estimated rate,
// this accounts for the baseline's own sampling noise: a pair seen 0 times in N frames
// whose true rate is 4 / N is no evidence of anything when it shows 5 times in the window.
double conditional_upper_p(uint64_t k, uint64_t n, uint64_t K, uint64_t N) {
  if (n + N == 0) return 1.0;
  return binomial_upper_tail(k, k + K, double(n) / double(n + N));
}
double conditional_lower_p(uint64_t k, uint64_t n, uint64_t K, uint64_t N) {
  if (n + N == 0) return 1.0;
  return binomial_lower_tail(k, k + K, double(n) / double(n + N));
}

// Reading a part's tables (a part may know fewer classes than the window).
uint64_t part_images_with(const PackedPart& p, ClassId c) { return p.images_with(c); }
uint64_t part_pair(const PackedPart& p, ClassId a, ClassId b) { return p.pair(a, b); }
uint64_t part_objects_of(const PackedPart& p, ClassId c) { return p.objects_of(c); }
// Adds bins [from, width) of class c's slice of a class-major table to `row`, bin i into
// row[group_of[i - from]]. Only the nonzero bins are stored, ascending: the same additions
// as over the dense slice, less those of +0.0.
void add_part_slice(const PackedPart& p, PackedPart::Table table, ClassId c, size_t from,
                    const uint32_t* group_of, double* row) {
  const PackedPart::Bins b = p.bins(table, c);
  auto add = [&](const auto* count) {
    for (size_t e = 0; e < b.size(); ++e) {
      const size_t i = b.bin[e];
      if (i >= from) row[group_of[i - from]] += double(count[e]);
    }
  };
  if (b.count16) {
    add(b.count16);
  } else {
    add(b.count32);
  }
}

// Screen of the rate tests: a test whose p-value is >= this already with phi = 1 neither
// measures its dispersion nor averages over it (see rate_p); no alpha in use comes near it.
constexpr double kRateScreen = 0.25;

std::string format_note(const char* fmt, double a, double b) {
  char buf[160];
  std::snprintf(buf, sizeof buf, fmt, a, b);
  return buf;
}

class Evaluator {
 public:
  Evaluator(const Stats& window, std::span<const std::string> window_names,
            const BaselineStats& baseline, const ThresholdResolver& resolver, DriftReport& report,
            std::span<const PackedPart* const> parts, const DispersionOptions& dispersion,
            double window_fill)
      : window_fill_(window_fill),
        parts_(parts),
        dispersion_(dispersion),
        w_(window),
        names_(window_names),
        base_(baseline),
        b_(baseline.stats),
        resolver_(resolver),
        report_(report) {}

  void run() {
    if (!parts_.empty()) {
      size_t used = 0;
      for (const PackedPart* p : parts_) used += p->frames() > 0;
      if (used < std::max<size_t>(dispersion_.min_blocks, 2)) {
        unmeasurable_ = format_note("dependence: %.0f < %.0f parts with frames", double(used),
                                    double(std::max<size_t>(dispersion_.min_blocks, 2)));
      }
    }
    build_subjects();
    if (!parts_.empty() && unmeasurable_.empty()) {
      // The stream's dispersion counts only when it is significantly above 1 (one-sided 5%,
      // on the df of all classes pooled: is there dependence at all?); when it counts, it is
      // used with a single class's df (see presence_dispersion).
      const DispersionEstimate& e = presence_dispersion();
      if (e.valid() && e.phi > 1 && presence_significant_) {
        stream_phi_ = e.phi;
        stream_nu_ = e.df;
      }
    }
    report_.findings.reserve(4 * subjects_.size() + 8);
    stream_ = &resolver_("");
    class_distribution();
    objects_per_frame();
    const bool confidence_possible = base_.has_confidence();
    if (!confidence_possible && stream_->is_enabled(AlertKind::kConfidence)) {
      DriftFinding& f = add(AlertKind::kConfidence, {}, {}, *stream_);
      f.note = "baseline is training annotations: no confidence to compare";
    }
    for (const Subject& s : subjects_) {
      if (s.w == kNone || s.b == kNone) continue;  // one side only: appeared / vanished
      per_class_histograms(s, confidence_possible);
    }
    pairs();
    appeared_and_vanished();
    correct();
  }

 private:
  void build_subjects() {
    absl::flat_hash_map<std::string_view, ClassId> base_ids;
    base_ids.reserve(base_.class_names.size());
    for (ClassId i = 0; i < base_.class_names.size(); ++i) {
      if (b_.images_with(i) > 0 || b_.objects_of(i) > 0) base_ids.emplace(base_.class_names[i], i);
    }
    std::vector<bool> matched(base_.class_names.size(), false);
    window_subject_.assign(names_.size(), UINT32_MAX);
    const size_t wn = std::min<size_t>(names_.size(), w_.num_classes());
    for (ClassId i = 0; i < wn; ++i) {
      if (w_.images_with(i) == 0 && w_.objects_of(i) == 0) continue;
      Subject s;
      s.name = names_[i];
      s.w = i;
      if (auto it = base_ids.find(s.name); it != base_ids.end()) {
        s.b = it->second;
        matched[it->second] = true;
      }
      window_subject_[i] = uint32_t(subjects_.size());
      subjects_.push_back(s);
    }
    const size_t window_side = subjects_.size();
    for (auto [name, id] : base_ids) {
      if (matched[id]) continue;
      Subject s;
      s.name = name;
      s.b = id;
      subjects_.push_back(s);
    }
    // Baseline-only classes come in hash order: sort them by name for determinism.
    std::sort(subjects_.begin() + ptrdiff_t(window_side), subjects_.end(),
              [](const Subject& x, const Subject& y) { return x.name < y.name; });
    for (Subject& s : subjects_) s.th = &resolver_(s.name);
  }
  DriftFinding& add(AlertKind kind, std::string_view a, std::string_view b,
                    const DriftThresholds& th) {
    DriftFinding& f = report_.findings.emplace_back();
    f.kind = kind;
    f.subject_a = a;
    f.subject_b = b;
    f.threshold = th.effect_threshold();
    alphas_.push_back(th.alpha);
    thresholds_.push_back(&th);
    effects_.push_back(false);
    return f;
  }

  // Registers the finding just added as a hypothesis of the evaluation's family: p_value
  // decides (with minimum_effect, the null is "the change is within the effect threshold");
  // p_change is the same test's p-value of "no change at all" (NaN: the same), which the
  // watch verdicts use (a significant change below the alert threshold).
  void hypothesis(double p_value, bool effect, double p_change = kNaN) {
    const size_t i = report_.findings.size() - 1;
    family_index_.push_back(i);
    family_p_.push_back(p_value);
    family_p_change_.push_back(std::isnan(p_change) ? p_value : p_change);
    effects_[i] = effect;
  }

  static const char* measure_name(const DriftThresholds& th) {
    switch (th.measure) {
      case DriftThresholds::Measure::kPsi:
        return "psi";
      case DriftThresholds::Measure::kHellinger:
        return "hellinger";
      default:
        return "js_distance";
    }
  }

  // Adds part p's raw bins (the same bins as wl_) to a row of merged groups: raw bin i
  // into row[group_of[i]]. (Merging while reading: no copy of the part's bins.)
  using PartBins = std::function<void(const PackedPart& p, const uint32_t* group_of, double* row)>;

  // Compares baseline_ and window_ (filled by the caller), fills the distances, the hotspot
  // and, when `supported`, runs the chi-square test on bins merged from the baseline side.
  // `window_deff` / `baseline_deff`: each side's Kish design effect (1 for measures over
  // frames). With parts, the window's dispersion is measured from `part_bins` (merged like
  // the test's bins) and floored at window_deff; without, the larger design effect divides
  // the statistic (frames independent).
  // `grid` > 0 marks a G x G heatmap (row-major cells): with dependent frames it is first
  // coarsened to the finest g x g grid (g dividing G) whose g^2 cells expect >= 5 effective
  // window observations on average, then merged. Merging a fine grid row-major into coarse
  // groups keeps rows and loses columns (a group spans a whole row): a shift along x would
  // be invisible. On independent frames (n_eff = n) the grid is left as it is.
  void compare(DriftFinding& f, const DriftThresholds& th, double window_deff, double baseline_deff,
               bool supported, const PartBins& part_bins, uint32_t grid = 0) {
    DivergenceOptions opt;
    opt.smoothing.epsilon = th.smoothing_epsilon;
    opt.chi_square.max_sample = 0;  // the chi-square is the evidence at every size
    opt.chi_square.design_effect = 1.0;
    opt.test_homogeneity = false;  // the test runs on merged bins below
    const DistributionDrift raw =
        compare_distributions(std::span<const uint64_t>(bl_), std::span<const uint64_t>(wl_), opt);
    f.measure = measure_name(th);
    f.js = raw.js_distance;
    f.psi = raw.psi;
    f.hellinger = raw.hellinger;
    switch (th.measure) {
      case DriftThresholds::Measure::kPsi:
        f.score = raw.psi;
        break;
      case DriftThresholds::Measure::kHellinger:
        f.score = raw.hellinger;
        break;
      default:
        f.score = raw.js_distance;
    }
    if (!raw.valid()) {
      if (f.note.empty()) {
        f.note = raw.status == DistributionDrift::Status::kEmptyWindow ? "empty in the window"
                                                                       : "empty in the baseline";
      }
      return;
    }
    // Hotspot: the bin whose share grew most.
    double best = 0;
    for (size_t i = 0; i < bl_.size(); ++i) {
      const double d = double(wl_[i]) / raw.window_total - double(bl_[i]) / raw.baseline_total;
      if (d > best) {
        best = d;
        f.hotspot = int32_t(i);
      }
    }
    if (!supported) return;
    // The baseline is a finite sample: its empty bins join their neighbours (see
    // UnseenBins in core/divergence.h).
    // With dependent frames, every merged bin must expect >= 5 *effective* window
    // observations: the window's size is divided by the stream's dispersion (1 on
    // independent frames). The bins are merged first for the stream's dispersion alone, the
    // test's own dispersion is measured on them, and they are merged again when the
    // dispersion the test then uses is larger (see window_dispersion).
    const bool dependent = !parts_.empty();
    const double frame_phi = dependent ? std::max(1.0, stream_phi_) : 1.0;
    BinMerge merge = merge_for(raw.window_total / frame_phi, dependent ? grid : 0);
    opt.chi_square.design_effect = dependent ? 1.0 : std::max({1.0, window_deff, baseline_deff});
    ChiSquareResult chi = merge_and_test(merge, opt.chi_square);
    // kSparse arises when the baseline side is the smaller one, or when the window is too
    // small for even one group of 5 expected observations; the merge gives every group >= 5
    // expected window observations otherwise. Its p-value is kept (a test with few
    // observations rarely reaches a corrected alpha anyway).
    if (chi.status == ChiSquareResult::Status::kEmpty) {
      f.note = "chi-square: empty side";
      return;
    }
    if (!unmeasurable_.empty()) {
      f.note = unmeasurable_;  // too few parts to measure the dependence: no evidence
      return;
    }
    f.tested = true;
    // Minimum effect (docs/DRIFT.md): the null is Pearson's divergence <= `tolerance`.
    const double tolerance = th.minimum_effect ? th.effect_tolerance() : 0.0;
    if (!dependent) {
      // (Merging keeps both sides' totals.)
      const double lambda = minimum_effect_noncentrality(raw.window_total, raw.baseline_total,
                                                         tolerance, opt.chi_square.design_effect);
      const double p =
          chi.dof > 0 ? f_upper_tail(chi.statistic / chi.dof, chi.dof, kInf, lambda) : chi.p_value;
      hypothesis(p, f.score >= f.threshold, chi.p_value);
      return;
    }
    // Pearson X^2 of the parts x merged-bins table (core/dispersion.h).
    table_.assign(parts_.size() * merge.groups, 0.0);
    for (size_t j = 0; j < parts_.size(); ++j)
      part_bins(*parts_[j], merge.group_of_bin.data(), table_.data() + j * merge.groups);
    // The subject's observations must come from enough parts to measure how much parts
    // differ: a class seen in one or two held scenes is one or two observations, whatever
    // its number of frames.
    size_t rows = 0;
    for (size_t j = 0; j < parts_.size(); ++j) {
      double n = 0;
      for (size_t g = 0; g < merge.groups; ++g) n += table_[j * merge.groups + g];
      rows += n > 0;
    }
    const size_t min_rows = std::max<size_t>(dispersion_.min_blocks, 2);
    if (rows < min_rows) {
      f.tested = false;
      f.note = format_note("dependence: observed in %.0f < %.0f parts of the window", double(rows),
                           double(min_rows));
      return;
    }
    dispersion_levels(table_, parts_.size(), merge.groups, dispersion_, levels_);
    const double known = std::max(1.0, window_deff);
    // The class distribution keeps the floor: a frame's classes are its scene's (a kitchen
    // shows kitchen things), close to the worst case, and measured below it the class
    // distribution of 15, 30 and 60 s holds paged about once a day.
    const bool may_go_below = f.kind != AlertKind::kClassDistribution;
    const WindowDispersion disp =
        window_dispersion(choose_dispersion(levels_, dispersion_), known,
                          may_go_below ? std::span<const DispersionEstimate>(levels_)
                                       : std::span<const DispersionEstimate>());
    if (stream_phi_ > 1 && disp.phi > frame_phi) {
      // Fewer effective observations than the first merge assumed: coarser bins, so that
      // each still expects >= 5 of them. (On independent frames the bins stay as they
      // were: the design effect divides the statistic only.)
      merge = merge_for(raw.window_total / disp.phi, grid);
      chi = merge_and_test(merge, opt.chi_square);
    }
    // Plain variables, not a structured binding: the lambda below captures them (clang 14,
    // which the fuzz build uses, cannot capture structured bindings).
    const double phi = disp.phi, nu = disp.nu, below = disp.below;
    const bool too_few = chi.status == ChiSquareResult::Status::kTooFewBins;
    const double baseline_phi =
        dispersion_.baseline_same_stream ? kNaN : std::max(1.0, baseline_deff);
    auto p_at = [&](double tol) {
      return too_few ? 1.0
                     : quasi_chi_square_p(chi.statistic, double(chi.dof), raw.window_total,
                                          raw.baseline_total, phi, nu, below, baseline_phi, nullptr,
                                          tol);
    };
    f.dispersion = phi;
    f.dispersion_df = phi > below ? nu : std::numeric_limits<double>::infinity();
    const double p_change = p_at(0);
    hypothesis(tolerance > 0 ? p_at(tolerance) : p_change, f.score >= f.threshold, p_change);
  }

  // Bins of bl_ grouped so that each expects >= 5 of `effective_total` window observations
  // (empty baseline bins join their neighbours, core/divergence.h). A heatmap (`grid` > 1)
  // is first coarsened to square blocks of cells, the finest whose g x g cells expect >= 5
  // each, so that merged regions stay compact.
  BinMerge merge_for(double effective_total, uint32_t grid) const {
    uint32_t factor = 1;
    if (grid > 1) {
      for (uint32_t f2 = 1; f2 <= grid; ++f2) {
        if (grid % f2 != 0) continue;
        const double g = double(grid / f2);
        factor = f2;
        if (g * g * 5.0 <= effective_total) break;
      }
    }
    if (factor == 1) {
      return merge_bins(std::span<const uint64_t>(bl_), effective_total, 5.0,
                        UnseenBins::kWithNeighbours);
    }
    const uint32_t g = grid / factor;
    std::vector<uint32_t> coarse_of(bl_.size());
    std::vector<uint64_t> coarse(size_t(g) * g, 0);
    for (size_t i = 0; i < bl_.size(); ++i) {
      const uint32_t y = uint32_t(i) / grid, x = uint32_t(i) % grid;
      coarse_of[i] = (y / factor) * g + x / factor;
      coarse[coarse_of[i]] += bl_[i];
    }
    const BinMerge cm = merge_bins(std::span<const uint64_t>(coarse), effective_total, 5.0,
                                   UnseenBins::kWithNeighbours);
    BinMerge merge;
    merge.groups = cm.groups;
    merge.group_of_bin.resize(bl_.size());
    for (size_t i = 0; i < bl_.size(); ++i) merge.group_of_bin[i] = cm.group_of_bin[coarse_of[i]];
    return merge;
  }

  // bl_ and wl_ merged by `merge` (into bm_, wm_) and tested.
  ChiSquareResult merge_and_test(const BinMerge& merge, const ChiSquareOptions& opt) {
    merge_counts(std::span<const uint64_t>(bl_), merge, bm_);
    merge_counts(std::span<const uint64_t>(wl_), merge, wm_);
    return chi_square_homogeneity(std::span<const uint64_t>(bm_), std::span<const uint64_t>(wm_),
                                  opt);
  }

  // The window's dispersion for a test. The floor is `known` (the Kish design effect for
  // measures over objects, else 1) times the stream's dispersion (the presence dispersion
  // of every class the window shows): a test's own parts can all show the same held scene
  // (a class seen in one scene spanning 4 panes has 4 alike rows: no dispersion between
  // them, yet it is one observation). The two multiply: objects cluster in frames (m alike
  // boxes per frame) and frames in scenes (L alike frames per scene), so a scene is one
  // cluster of about m L alike objects (Kish's design effect of the two-stage cluster, at
  // intra-cluster correlation 1 on both levels). The test's own estimate replaces the floor
  // when it is significantly larger (one-sided 5%, on its effective df): scene holding is
  // shared by all statistics of a stream, and an own estimate is noisy (a rare event's
  // much more than its df says), so taking it whenever it is larger by chance would cost
  // power for nothing.
  // Correlation 1 within a frame is the worst case: the confidences of a frame's persons,
  // their sizes, their places in a crowd are far from alike (measured on 15 s holds: the
  // persons' confidences disperse 60-210 between parts, the floor says 150 x 7). So for
  // measures over objects the floor gives way when the test's own dispersion (`levels`, its
  // table's dispersion_levels) is significantly *smaller* (one-sided 95%), to:
  //  - the upper confidence bound, not the estimate (the estimate would pick exactly those
  //    that came out low by chance: spatial alarms on herds of cows on healthy holds);
  //  - of the own table's levels at the stream's block size and longer, the largest bound
  //    (at_stream_scale): blocks shorter than the scenes see only part of their dependence
  //    (60 s holds with the own block size: 46 false box_size / spatial alarms a day);
  //  - never below the stream's dispersion, which every measure shares (a held frame is
  //    one observation whatever its boxes do); `below` is then that level, and the test
  //    averages over phi's uncertainty above it.
  // The caller passes no `levels` for the class distribution (docs/DRIFT.md, "Below the
  // floor").
  struct WindowDispersion {
    double phi;
    double nu;     // +inf: phi is known, not estimated
    double below;  // the test's floor for phi (quasi_chi_square_p's window_floor)
  };
  WindowDispersion window_dispersion(const DispersionEstimate& own, double known,
                                     std::span<const DispersionEstimate> levels = {}) {
    constexpr double kKnown = std::numeric_limits<double>::infinity();
    const double floor = known * stream_phi_;
    if (exceeds_dispersion(own, floor)) return {own.phi, own.effective_df, known};
    const double shared = std::max(1.0, stream_phi_);
    const DispersionEstimate& scaled = known > 1 ? at_stream_scale(levels, floor) : kNoEstimate;
    const double upper = dispersion_upper_bound(scaled);
    if (upper < floor) {
      const double nu = scaled.effective_df > 0 ? scaled.effective_df : scaled.df;
      if (upper > shared) return {upper, nu, shared};
      return {shared, stream_phi_ > 1 ? stream_nu_ : kKnown, 1.0};
    }
    if (stream_phi_ > 1) return {floor, stream_nu_, known};
    return {known, kKnown, known};
  }

  // Of the levels of `levels` (dispersion_levels) at the block size the stream's presence
  // dispersion chose and longer, the one with the largest upper confidence bound; not valid
  // when there is none (no parts), or when the subject shows in fewer than
  // kMinBlocksBelowFloor blocks of the stream's size: an estimate from a handful of scenes
  // is not trusted to be low (measured: a herd of cows in ~5 scenes of a count window paged
  // `spatial` on a healthy part of a 15 s hold stream). Nor when one of them is at or above
  // `ceiling`: its bound is larger still (this spares the quantiles).
  static constexpr size_t kMinBlocksBelowFloor = 6;
  static inline const DispersionEstimate kNoEstimate{};
  const DispersionEstimate& at_stream_scale(std::span<const DispersionEstimate> levels,
                                            double ceiling) {
    const DispersionEstimate& stream = presence_dispersion();
    const DispersionEstimate* out = &kNoEstimate;
    if (!stream.valid() || levels.empty()) return *out;
    for (const DispersionEstimate& e : levels) {
      if (e.block_parts == stream.block_parts && e.blocks < kMinBlocksBelowFloor) return *out;
      if (e.block_parts >= stream.block_parts && e.valid() && !(e.phi < ceiling)) return *out;
    }
    // Levels come in growing block sizes: those at the stream's size and longer are a suffix.
    size_t first = 0;
    while (first < levels.size() && levels[first].block_parts < stream.block_parts) ++first;
    const std::span<const DispersionEstimate> longer = levels.subspan(first);
    const size_t i = largest_scaled_bound(longer, 1 - kDispersionBoundConfidence);
    if (i < longer.size() && dispersion_upper_bound(longer[i]) > 0) out = &longer[i];
    return *out;
  }

  // The dispersion of an event counted on frames (frames of part j with it, out of the
  // part's frames), k_j of n_j: the parts x {with, without} table.
  template <class Hits>
  DispersionEstimate frame_rate_dispersion(Hits hits) {
    table_.clear();
    for (const PackedPart* p : parts_) {
      const double k = double(hits(*p));
      table_.push_back(k);
      table_.push_back(double(p->frames()) - k);
    }
    return blocked_dispersion(table_, parts_.size(), 2, dispersion_);
  }

  // One-sided conditional rate test of k of n window frames against K of N baseline frames,
  // with the window's dispersion when there are parts. The null is "the window's rate is at
  // most `ratio` x the baseline's" (upper) or "at least the baseline's / `ratio`" (lower):
  // ratio 1 tests any change; a minimum-effect test uses min_rate_ratio. Both amount to
  // the baseline-frame share of the conditional binomial with the window's frames counted
  // `ratio` times (upper) or 1 / `ratio` times (lower).
  // `estimate()` gives the subject's own dispersion (DispersionEstimate); it is asked only
  // when the screen does not decide: a test whose p-value is >= kRateScreen already with
  // independent frames (phi = 1, the least any dispersion gives) returns that p-value and
  // leaves f.dispersion unset. (A larger phi only raises it: with the dispersion the
  // answer would be p at the window's phi, >= kRateScreen too, and no alpha in use comes
  // near; most pairs of a healthy window end here, before their parts are read.)
  template <class Estimate>
  double rate_p(bool upper, uint64_t k, uint64_t n, uint64_t K, uint64_t N, double ratio,
                Estimate&& estimate, DriftFinding& f) {
    const double n_null = upper ? double(n) * ratio : double(n) / ratio;
    if (parts_.empty()) {
      if (ratio == 1.0)
        return upper ? conditional_upper_p(k, n, K, N) : conditional_lower_p(k, n, K, N);
      return upper ? scaled_conditional_upper_p(double(k), n_null, double(K), double(N), 1.0)
                   : scaled_conditional_lower_p(double(k), n_null, double(K), double(N), 1.0);
    }
    if (!unmeasurable_.empty()) {
      f.tested = false;
      f.note = unmeasurable_;
      return 1.0;
    }
    const double dk = double(k), dn = n_null, dK = double(K), dN = double(N);
    // A reference from the same stream is as dependent as the window: its counts shrink
    // by the same phi.
    const bool shared = dispersion_.baseline_same_stream;
    auto p_at = [&](double phi) {
      const double phi_b = shared ? phi : 1.0;
      return upper ? scaled_conditional_upper_p(dk, dn, dK, dN, phi, phi_b)
                   : scaled_conditional_lower_p(dk, dn, dK, dN, phi, phi_b);
    };
    // phi = 1 once: the screen, and the floor the average starts from.
    const double independent = p_at(1.0);
    if (independent >= kRateScreen) return independent;
    const WindowDispersion disp = window_dispersion(estimate(), 1.0);
    const double phi_w = disp.phi, nu = disp.nu;
    f.dispersion = phi_w;
    f.dispersion_df = phi_w > 1 ? nu : std::numeric_limits<double>::infinity();
    auto p = [&](double phi) { return phi == 1.0 ? independent : p_at(phi); };
    return average_over_dispersion(p, phi_w, nu, 1.0);
  }

  // The rate ratio of pair_rate's null hypothesis (see rate_p). The other rate kinds have
  // no ratio to tolerate: novel_pair and class_appeared are about something the baseline
  // never shows (their effect is min_pair_count frames of it), class_vanished about
  // something the window never shows; their null stays "no change".
  static double null_ratio(const DriftThresholds& th) {
    return th.minimum_effect ? std::max(1.0, th.min_rate_ratio) : 1.0;
  }

  void load(std::span<const int64_t> base, std::span<const int64_t> win, size_t from = 0) {
    bl_.assign(base.begin() + ptrdiff_t(from), base.end());
    wl_.assign(win.begin() + ptrdiff_t(from), win.end());
  }

  void class_distribution() {
    const DriftThresholds& th = *stream_;
    if (!th.is_enabled(AlertKind::kClassDistribution)) return;
    DriftFinding& f = add(AlertKind::kClassDistribution, {}, {}, th);
    bl_.clear();
    wl_.clear();
    for (const Subject& s : subjects_) {
      bl_.push_back(s.b == kNone ? 0 : uint64_t(b_.objects_of(s.b)));
      wl_.push_back(s.w == kNone ? 0 : uint64_t(w_.objects_of(s.w)));
    }
    f.counts = {uint64_t(w_.objects()), uint64_t(w_.objects()), uint64_t(b_.objects()),
                uint64_t(b_.objects())};
    f.expected =
        b_.frames() > 0 ? double(w_.frames()) * double(b_.objects()) / double(b_.frames()) : kNaN;
    const bool supported = uint64_t(w_.frames()) >= th.min_frames;
    if (!supported) {
      f.note = format_note("min support: %.0f < %.0f frames in the window", double(w_.frames()),
                           double(th.min_frames));
    }
    if (bl_.empty()) {
      f.note = "no classes on either side";
      return;
    }
    compare(f, th, frame_design_effect(w_), frame_design_effect(b_), supported,
            [&](const PackedPart& p, const uint32_t* group_of, double* row) {
              for (size_t i = 0; i < subjects_.size(); ++i) {
                const Subject& s = subjects_[i];
                if (s.w != kNone) row[group_of[i]] += double(part_objects_of(p, s.w));
              }
            });
  }

  static double frame_design_effect(const Stats& s) {
    const auto h = s.objects_per_frame_histogram();
    const uint32_t last = uint32_t(h.size() - 1);
    return design_effect([&](uint32_t i) { return h[i]; }, last, double(s.objects()));
  }

  // Objects of class c per image containing it, Kish's worst case (see design_effect).
  static double class_design_effect(const Stats& s, ClassId c) {
    const StatsData& d = s.data();
    const uint32_t nb = d.layout.objects_buckets();
    const int64_t* h = d.objects_distribution.data() + size_t(c) * nb;
    return design_effect([&](uint32_t i) { return h[i]; }, nb - 1, double(s.objects_of(c)));
  }

  void objects_per_frame() {
    const DriftThresholds& th = *stream_;
    if (!th.is_enabled(AlertKind::kObjectsPerFrame)) return;
    DriftFinding& f = add(AlertKind::kObjectsPerFrame, {}, {}, th);
    load(b_.objects_per_frame_histogram(), w_.objects_per_frame_histogram());
    f.counts = {uint64_t(w_.frames()), uint64_t(w_.frames()), uint64_t(b_.frames()),
                uint64_t(b_.frames())};
    const bool supported = uint64_t(w_.frames()) >= th.min_frames;
    if (!supported) {
      f.note = format_note("min support: %.0f < %.0f frames in the window", double(w_.frames()),
                           double(th.min_frames));
    }
    // One observation per frame: no clustering.
    compare(f, th, 1.0, 1.0, supported,
            [](const PackedPart& p, const uint32_t* group_of, double* row) {
              const std::span<const uint32_t> h = p.objects_per_frame();
              for (size_t i = 0; i < h.size(); ++i) row[group_of[i]] += double(h[i]);
            });
  }

  void per_class_histograms(const Subject& s, bool confidence_possible) {
    const DriftThresholds& th = *s.th;
    const int64_t wi = w_.images_with(s.w), bi = b_.images_with(s.b);
    const bool supported =
        uint64_t(wi) >= th.min_class_images && uint64_t(bi) >= th.min_class_images;
    std::string support_note;
    if (!supported) {
      support_note = uint64_t(wi) < th.min_class_images
                         ? format_note("min support: %.0f < %.0f images in the window", double(wi),
                                       double(th.min_class_images))
                         : format_note("min support: %.0f < %.0f images in the baseline",
                                       double(bi), double(th.min_class_images));
    }
    const uint64_t wo = uint64_t(w_.objects_of(s.w)), bo = uint64_t(b_.objects_of(s.b));
    const AlertCounts object_counts{wo, uint64_t(w_.objects()), bo, uint64_t(b_.objects())};
    const double object_expected =
        b_.objects() > 0 ? double(w_.objects()) * double(bo) / double(b_.objects()) : kNaN;
    const double wdeff = class_design_effect(w_, s.w), bdeff = class_design_effect(b_, s.b);
    const ClassId c = s.w;
    const StatsLayout& L = w_.layout();
    auto slice = [c](PackedPart::Table table, size_t from) {
      return [c, table, from](const PackedPart& p, const uint32_t* group_of, double* row) {
        add_part_slice(p, table, c, from, group_of, row);
      };
    };

    if (th.is_enabled(AlertKind::kObjectsPerImage)) {
      DriftFinding& f = add(AlertKind::kObjectsPerImage, s.name, {}, th);
      f.note = support_note;
      const StatsData& wd = w_.data();
      const StatsData& bd = b_.data();
      const uint32_t nb = wd.layout.objects_buckets();
      // Buckets 1..max: the histogram over images containing the class.
      bl_.assign(bd.objects_distribution.begin() + ptrdiff_t(size_t(s.b) * nb + 1),
                 bd.objects_distribution.begin() + ptrdiff_t(size_t(s.b + 1) * nb));
      wl_.assign(wd.objects_distribution.begin() + ptrdiff_t(size_t(s.w) * nb + 1),
                 wd.objects_distribution.begin() + ptrdiff_t(size_t(s.w + 1) * nb));
      f.counts = {uint64_t(wi), uint64_t(w_.frames()), uint64_t(bi), uint64_t(b_.frames())};
      f.expected = b_.frames() > 0 ? double(w_.frames()) * double(bi) / double(b_.frames()) : kNaN;
      compare(f, th, 1.0, 1.0, supported,  // one observation per image
              slice(PackedPart::kObjectsDistribution, 1));
      if (f.hotspot >= 0) ++f.hotspot;  // bucket index = count (bucket 0 was dropped)
    }
    if (th.is_enabled(AlertKind::kSpatial)) {
      DriftFinding& f = add(AlertKind::kSpatial, s.name, {}, th);
      f.note = support_note;
      load(b_.heatmap(s.b), w_.heatmap(s.w));
      f.counts = object_counts;
      f.expected = object_expected;
      compare(f, th, wdeff, bdeff, supported, slice(PackedPart::kHeatmap, 0), L.heatmap_grid);
    }
    if (th.is_enabled(AlertKind::kConfidence) && confidence_possible) {
      DriftFinding& f = add(AlertKind::kConfidence, s.name, {}, th);
      const int64_t ws = w_.scored_objects(s.w), bs = b_.scored_objects(s.b);
      f.counts = {uint64_t(ws), uint64_t(w_.objects()), uint64_t(bs), uint64_t(b_.objects())};
      f.expected = object_expected;
      if (ws == 0 || bs == 0) {
        f.note =
            ws == 0 ? "no scored detections in the window" : "no scored detections in the baseline";
      } else {
        f.note = support_note;
        load(b_.confidence_histogram(s.b), w_.confidence_histogram(s.w));
        compare(f, th, wdeff, bdeff, supported, slice(PackedPart::kConfidence, 0));
      }
    }
    if (th.is_enabled(AlertKind::kBoxSize)) {
      DriftFinding& f = add(AlertKind::kBoxSize, s.name, {}, th);
      f.note = support_note;
      load(b_.area_histogram(s.b), w_.area_histogram(s.w));
      f.counts = object_counts;
      f.expected = object_expected;
      compare(f, th, wdeff, bdeff, supported, slice(PackedPart::kArea, 0));
    }
  }

  struct PairCandidate {
    uint32_t sa, sb;  // subjects, names sa < sb
    uint64_t k;
  };

  void pairs() {
    const DriftThresholds& th = *stream_;
    const bool rate_on = th.is_enabled(AlertKind::kPairRate);
    const bool novel_on = th.is_enabled(AlertKind::kNovelPair);
    if (!rate_on && !novel_on) return;
    const StatsData& wd = w_.data();
    const size_t wn = std::min<size_t>(names_.size(), wd.num_classes);
    const int64_t min_k = int64_t(std::max<uint64_t>(th.min_pair_count, 1));
    std::vector<PairCandidate> candidates;
    for (size_t a = 1; a < wn; ++a) {
      if (wd.cooccurrence[a * (a + 1) / 2 + a] < min_k) continue;  // images_with(a)
      const int64_t* row = wd.cooccurrence.data() + a * (a + 1) / 2;
      for (size_t b = 0; b < a; ++b) {
        if (row[b] < min_k) continue;
        uint32_t sa = window_subject_[a], sb = window_subject_[b];
        if (subjects_[sb].name < subjects_[sa].name) std::swap(sa, sb);
        candidates.push_back({sa, sb, uint64_t(row[b])});
      }
    }
    // Deterministic order: by subject names.
    std::sort(candidates.begin(), candidates.end(),
              [&](const PairCandidate& x, const PairCandidate& y) {
                if (x.sa != y.sa) return subjects_[x.sa].name < subjects_[y.sa].name;
                return subjects_[x.sb].name < subjects_[y.sb].name;
              });
    // Every pair of classes the window shows could have reached the minimum count: the
    // pairs that did not are hypotheses too (with p = 1). Counting only the candidates
    // would select hypotheses by their own data (k >= min_pair_count is already a tail
    // event for a pair expected twice) and inflate the false-alarm rate (observed: 5% of
    // null COCO windows instead of well under alpha).
    size_t present = 0;
    for (size_t a = 0; a < wn; ++a) present += wd.cooccurrence[a * (a + 1) / 2 + a] > 0;
    const size_t all_pairs = present * (present - (present > 0)) / 2;
    untested_hypotheses_ += all_pairs - std::min(all_pairs, candidates.size());
    RateTestOptions ro;
    ro.min_count = th.min_pair_count;
    for (const PairCandidate& c : candidates) {
      const Subject& a = subjects_[c.sa];
      const Subject& b = subjects_[c.sb];
      const uint64_t K =
          a.b != kNone && b.b != kNone ? uint64_t(b_.pair_images(a.b, b.b)) : uint64_t(0);
      const bool novel = K == 0;
      if (novel ? !novel_on : !rate_on) continue;
      const RateCounts counts{c.k, uint64_t(w_.frames()), K, uint64_t(b_.frames())};
      const RateTestResult r = novel ? appeared_test(counts, ro) : rate_increase_test(counts, ro);
      DriftFinding& f =
          add(novel ? AlertKind::kNovelPair : AlertKind::kPairRate, a.name, b.name, th);
      f.counts = {c.k, uint64_t(w_.frames()), K, uint64_t(b_.frames())};
      f.expected = r.expected;
      f.tested = r.tested;
      if (novel) {
        f.measure = "binomial";
        f.threshold = -std::log10(th.alpha);
      } else {
        f.measure = "rate_ratio";
        f.score = r.lift;
        f.threshold = th.min_rate_ratio;
      }
      if (!r.tested) f.note = "window rate not above the baseline's";
      // An untested direction counts with p = 1 (see rate_test.h): the family size stays
      // the number of pairs considered, not only those that went up.
      double p = 1.0;
      if (r.tested) {
        const ClassId aw = a.w, bw = b.w;
        // A novel pair's effect is its presence (min_pair_count): its null is "no change".
        p = rate_p(
            true, c.k, uint64_t(w_.frames()), K, uint64_t(b_.frames()),
            novel ? 1.0 : null_ratio(th),
            [&] {
              return frame_rate_dispersion(
                  [&](const PackedPart& q) { return part_pair(q, aw, bw); });
            },
            f);
      }
      hypothesis(p, novel ? true : r.lift >= th.min_rate_ratio);
    }
  }

  void appeared_and_vanished() {
    const uint64_t wf = uint64_t(w_.frames()), bf = uint64_t(b_.frames());
    for (const Subject& s : subjects_) {
      const DriftThresholds& th = *s.th;
      RateTestOptions ro;
      ro.min_count = th.min_pair_count;
      const uint64_t k = s.w == kNone ? 0 : uint64_t(w_.images_with(s.w));
      const uint64_t K = s.b == kNone ? 0 : uint64_t(b_.images_with(s.b));
      if (K == 0 && k > 0 && th.is_enabled(AlertKind::kClassAppeared)) {
        const RateTestResult r = appeared_test({k, wf, 0, bf}, ro);
        DriftFinding& f = add(AlertKind::kClassAppeared, s.name, {}, th);
        f.measure = "binomial";
        f.threshold = -std::log10(th.alpha);
        f.counts = {k, wf, 0, bf};
        f.expected = r.expected;
        f.tested = r.tested;
        if (!r.tested) {
          f.note = format_note("min support: %.0f < %.0f frames with the class", double(k),
                               double(th.min_pair_count));
        }
        double p = 1.0;
        if (r.tested) {
          const ClassId cw = s.w;
          p = rate_p(
              true, k, wf, 0, bf, 1.0,
              [&] {
                return frame_rate_dispersion(
                    [&](const PackedPart& q) { return part_images_with(q, cw); });
              },
              f);
        }
        hypothesis(p, true);
      } else if (K > 0 && k == 0 && th.is_enabled(AlertKind::kClassVanished)) {
        const RateTestResult r = rate_decrease_test({0, wf, K, bf}, ro);
        DriftFinding& f = add(AlertKind::kClassVanished, s.name, {}, th);
        f.measure = "binomial";
        f.threshold = -std::log10(th.alpha);
        f.counts = {0, wf, K, bf};
        f.expected = r.expected;
        f.tested = r.tested;
        if (!r.tested) {
          f.note = format_note("min support: expected %.2f < %.0f frames with the class",
                               r.expected, double(th.min_pair_count));
        }
        double p = 1.0;
        if (r.tested) {
          p = rate_p(
              false, 0, wf, K, bf, 1.0, [&] { return presence_dispersion(); }, f);
        }
        hypothesis(p, true);
      }
    }
  }

  // One family per evaluation: every hypothesis tested above, whatever its kind, corrected
  // together with the stream-wide correction; each finding then compares its adjusted
  // p-value with its own alpha.
  void correct() {
    if (window_fill_ < stream_->min_window_fill) {
      const std::string note = format_note("window filling: %.0f%% < %.0f%% full",
                                           100 * window_fill_, 100 * stream_->min_window_fill);
      for (DriftFinding& f : report_.findings) {
        if (f.tested) f.note = note;
        f.tested = false;
      }
    }
    const size_t family = family_p_.size() + untested_hypotheses_;
    std::vector<double> adjusted, adjusted_change;
    switch (stream_->correction) {
      case DriftThresholds::Correction::kBonferroni:
        adjusted = bonferroni_adjust(family_p_, family);
        adjusted_change = bonferroni_adjust(family_p_change_, family);
        break;
      case DriftThresholds::Correction::kBenjaminiHochbergByKind:
      case DriftThresholds::Correction::kBenjaminiHochbergPresence: {
        const std::vector<double> weights = kind_weights(
            family, stream_->correction == DriftThresholds::Correction::kBenjaminiHochbergPresence);
        adjusted = weighted_benjamini_hochberg_adjust(family_p_, weights, family);
        adjusted_change = weighted_benjamini_hochberg_adjust(family_p_change_, weights, family);
        break;
      }
      default:
        adjusted = benjamini_hochberg_adjust(family_p_, family);
        adjusted_change = benjamini_hochberg_adjust(family_p_change_, family);
    }
    for (size_t j = 0; j < family_index_.size(); ++j) {
      const size_t i = family_index_[j];
      DriftFinding& f = report_.findings[i];
      f.p_value = adjusted[j];
      f.p_change = adjusted_change[j];
      // Rate kinds without a distance score report -log10(adjusted p) against -log10(alpha).
      if (f.measure == "binomial") f.score = -std::log10(std::max(adjusted[j], 1e-300));
      f.flagged = f.tested && effects_[i] && adjusted[j] <= alphas_[i];
    }
    for (size_t i = 0; i < report_.findings.size(); ++i) judge_distances(report_.findings[i], i);
  }

  // Weights of the weighted corrections, one per family_p_ entry; they sum to `family`, so
  // weighted BH's false discovery rate stays at alpha. Groups: each kind alone, pair_rate and
  // novel_pair together (they share the untested pairs, which belong to that group with
  // p = 1).
  //  - kBenjaminiHochbergByKind: each of the G groups with a hypothesis gets an equal share,
  //    family / G, spread evenly over its members.
  //  - kBenjaminiHochbergPresence (`presence_only`): class_appeared and class_vanished are
  //    judged as if the family held no pair hypothesis: weight family / n for n = family
  //    less the pair group. Every other hypothesis, pairs included, gets an equal part of
  //    the rest: (family - n_p family / n) / (family - n_p) for n_p presence hypotheses,
  //    which is at most 1 because n <= family, so none is judged more leniently than under
  //    plain BH. Without pair hypotheses every weight is 1.
  //  Either way a class that vanished is not drowned by the ~3,000 pair candidates a
  //  COCO-like window has.
  std::vector<double> kind_weights(size_t family, bool presence_only) const {
    auto group_of = [](AlertKind k) {
      return k == AlertKind::kNovelPair ? size_t(AlertKind::kPairRate) : size_t(k);
    };
    auto presence = [](size_t group) {
      return group == size_t(AlertKind::kClassAppeared) ||
             group == size_t(AlertKind::kClassVanished);
    };
    std::array<size_t, kAlertKindCount> members{};
    for (const size_t i : family_index_) ++members[group_of(report_.findings[i].kind)];
    members[size_t(AlertKind::kPairRate)] += untested_hypotheses_;
    const double m = double(family);
    std::vector<double> weights;
    weights.reserve(family_index_.size());
    if (presence_only) {
      const double class_level = m - double(members[size_t(AlertKind::kPairRate)]);
      const double presence_members = double(members[size_t(AlertKind::kClassAppeared)] +
                                             members[size_t(AlertKind::kClassVanished)]);
      // presence_members > 0 implies class_level >= presence_members > 0; with no presence
      // member the other weight is 1.
      const double presence_weight = presence_members > 0 ? m / class_level : 1.0;
      const double other_weight =
          m > presence_members ? (m - presence_members * presence_weight) / (m - presence_members)
                               : 0.0;
      for (const size_t i : family_index_)
        weights.push_back(presence(group_of(report_.findings[i].kind)) ? presence_weight
                                                                       : other_weight);
      return weights;
    }
    const double groups =
        double(std::count_if(members.begin(), members.end(), [](size_t n) { return n > 0; }));
    for (const size_t i : family_index_) {
      const size_t n = members[group_of(report_.findings[i].kind)];
      weights.push_back(m / (groups * double(n)));
    }
    return weights;
  }

  // Each computed distance against its own threshold, with the finding's evidence.
  // The other distances and the watch level need evidence of a change, not of a change
  // beyond the deciding threshold: p_change.
  void judge_distances(DriftFinding& f, size_t i) const {
    const bool evidence = f.tested && std::isfinite(f.p_change) && f.p_change <= alphas_[i];
    const std::pair<std::string_view, double> all[] = {
        {"js_distance", f.js}, {"psi", f.psi}, {"hellinger", f.hellinger}};
    for (size_t d = 0; d < 3; ++d) {
      if (!std::isfinite(all[d].second)) continue;
      DistanceVerdict& v = f.distances[d];
      v.measure = all[d].first;
      v.score = all[d].second;
      if (v.measure == f.measure) {
        v.threshold = f.threshold;
        v.flagged = f.flagged;
      } else {
        v.threshold = thresholds_[i]->distance_threshold(v.measure);
        v.flagged = evidence && v.score >= v.threshold;
      }
      v.warn_threshold = thresholds_[i]->warn_threshold(v.measure);
      v.watch = evidence && !v.flagged && v.score >= v.warn_threshold;
    }
  }

  // The stream's dispersion of class presence: the floor of every test's dispersion (see
  // window_dispersion) and the dispersion of class_vanished (the window holds no
  // information on a class it does not show, so every class it does show stands in). The Pearson
  // statistics and df of all those classes' parts x {with, without} tables are summed per block
  // size before choosing one; the df reported is a single class's (blocks - 1): the classes share
  // the same scenes, so their statistics are not independent.
  const DispersionEstimate& presence_dispersion() {
    if (presence_done_) return presence_;
    presence_done_ = true;
    std::vector<DispersionEstimate> pooled, levels;
    for (const Subject& s : subjects_) {
      if (s.w == kNone) continue;
      table_.clear();
      for (const PackedPart* p : parts_) {
        const double k = double(part_images_with(*p, s.w));
        table_.push_back(k);
        table_.push_back(double(p->frames()) - k);
      }
      dispersion_levels(table_, parts_.size(), 2, dispersion_, levels);
      if (pooled.size() < levels.size()) pooled.resize(levels.size());
      for (size_t i = 0; i < levels.size(); ++i) {
        if (!levels[i].valid()) continue;
        pooled[i].statistic += levels[i].statistic;
        pooled[i].df += levels[i].df;
        pooled[i].effective_df += levels[i].effective_df;
        pooled[i].block_parts = levels[i].block_parts;
        pooled[i].blocks = std::max(pooled[i].blocks, levels[i].blocks);
      }
    }
    for (DispersionEstimate& e : pooled)
      if (e.valid()) e.phi = e.statistic / e.df;
    presence_ = choose_dispersion(pooled, dispersion_);
    presence_significant_ = exceeds_dispersion(presence_, 1.0);
    if (presence_.valid()) presence_.df = presence_.effective_df = double(presence_.blocks - 1);
    return presence_;
  }

  double window_fill_;
  std::span<const PackedPart* const> parts_;
  DispersionOptions dispersion_;
  std::vector<double> table_;
  std::vector<DispersionEstimate> levels_;
  DispersionEstimate presence_;
  bool presence_done_ = false;
  bool presence_significant_ = false;  // pooled presence dispersion significantly above 1
  std::string unmeasurable_;           // non-empty: parts given, too few with frames
  // The stream's presence dispersion (>= 1) and its df; 1 without parts.
  double stream_phi_ = 1.0;
  double stream_nu_ = std::numeric_limits<double>::infinity();

  const Stats& w_;
  std::span<const std::string> names_;
  const BaselineStats& base_;
  const Stats& b_;
  const ThresholdResolver& resolver_;
  DriftReport& report_;
  const DriftThresholds* stream_ = nullptr;

  std::vector<Subject> subjects_;
  std::vector<uint32_t> window_subject_;  // window ClassId -> subject index
  std::vector<uint64_t> bl_, wl_, bm_, wm_;
  std::vector<size_t> family_index_;
  std::vector<double> family_p_;
  std::vector<double> family_p_change_;             // p-values of "no change" (watch verdicts)
  size_t untested_hypotheses_ = 0;                  // counted in the family with p = 1
  std::vector<double> alphas_;                      // per finding
  std::vector<const DriftThresholds*> thresholds_;  // per finding
  std::vector<bool> effects_;                       // per finding
};

}  // namespace

DriftReport evaluate_drift(std::string_view stream, std::string_view window_name,
                           const Stats& window, std::span<const std::string> window_names,
                           const BaselineStats& baseline, const ThresholdResolver& thresholds,
                           int64_t now_ms, std::span<const PackedPart* const> parts,
                           const DispersionOptions& dispersion, double window_fill) {
  DriftReport report;
  report.stream = stream;
  report.window = window_name;
  report.evaluated_at_ms = now_ms;
  report.window_frames = uint64_t(std::max<int64_t>(0, window.frames()));
  report.baseline_frames = uint64_t(std::max<int64_t>(0, baseline.stats.frames()));
  Evaluator(window, window_names, baseline, thresholds, report, parts, dispersion, window_fill)
      .run();
  return report;
}

DriftReport evaluate_drift(std::string_view stream, std::string_view window_name,
                           const Window& window, std::span<const std::string> window_names,
                           const BaselineStats& baseline, const ThresholdResolver& thresholds,
                           int64_t now_ms, const DispersionOptions& dispersion,
                           double window_fill) {
  std::vector<const PackedPart*> parts;
  window.parts(parts);
  return evaluate_drift(stream, window_name, window.totals(), window_names, baseline, thresholds,
                        now_ms, parts, dispersion, window_fill);
}

}  // namespace predwatch::core
