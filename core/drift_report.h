// The drift engine's vocabulary: thresholds in, findings out. See docs/DRIFT.md for the
// decision rules; core/drift_evaluator.h computes a DriftReport from a window's and a
// baseline's Stats; the daemon turns findings into alerts (core/alert_tracker.h), metrics
// and gRPC responses.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "core/alert_tracker.h"
#include "core/stats.h"

namespace predwatch::core {

enum class BaselineKind { kTrainingAnnotations, kProductionWindow, kDatasetPredictions };

// A baseline as the drift engine sees it: exact statistics, their class names (index =
// ClassId in `stats`) and what kind of data they came from.
struct BaselineStats {
  Stats stats;
  std::vector<std::string> class_names;
  BaselineKind kind = BaselineKind::kTrainingAnnotations;
  // Confidence measures need scores on both sides: annotations have none.
  bool has_confidence() const { return kind != BaselineKind::kTrainingAnnotations; }
};

struct DriftThresholds {
  enum class Measure { kJsDistance, kPsi, kHellinger };
  // kBenjaminiHochbergByKind: weighted BH that gives every kind (the pair kinds together)
  // an equal share of the evaluation's alpha budget (docs/DRIFT.md "One family, shared by
  // kind"). kBenjaminiHochbergPresence: weighted BH that judges class_appeared and
  // class_vanished as if the family held no pair hypotheses; every other hypothesis pays
  // for it, none weighted above 1 (the configuration's default, config/settings.h; the
  // default here stays plain BH, which the core tests derive by hand).
  enum class Correction {
    kBenjaminiHochberg,
    kBonferroni,
    kBenjaminiHochbergByKind,
    kBenjaminiHochbergPresence
  };

  Measure measure = Measure::kJsDistance;  // the distance that decides "effect"
  double js_distance = 0.1;
  double psi_warn = 0.1;
  double psi = 0.25;
  double hellinger_warn = 0.15;
  double hellinger = 0.4;
  double alpha = 0.05;
  Correction correction = Correction::kBenjaminiHochberg;
  uint64_t min_frames = 200;        // stream-wide measures: frames in the window
  uint64_t min_class_images = 30;   // per-class distributions: images with the class, each side
  uint64_t min_pair_count = 5;      // pairs, appeared, vanished: minimum support
  double min_rate_ratio = 2.0;      // pair_rate: window rate / smoothed baseline rate
  double smoothing_epsilon = 1e-4;  // empty-bin floor for PSI (Evidently's value)
  // Minimum-effect tests (docs/DRIFT.md "Minimum effect"): the tests' null hypothesis is
  // "the change is within the effect threshold" (distributions: Pearson's divergence <=
  // effect_tolerance(); pair_rate: the rate ratio <= min_rate_ratio), not "no change": a
  // large window finds every tiny difference significant, which is not drift. (novel_pair,
  // class_appeared and class_vanished keep "no change": their effect is presence or
  // absence itself.)
  bool minimum_effect = true;
  // A window is judged once it covers this share of its length (time windows) or capacity
  // (count windows): a window younger than the stream's scenes cannot measure how dependent
  // its frames are (docs/DRIFT.md, "Correlated frames"). Stream-wide.
  double min_window_fill = 1.0;
  std::array<bool, kAlertKindCount> enabled{true, true, true, true, true,
                                            true, true, true, true, true};

  bool is_enabled(AlertKind k) const { return enabled[size_t(k)]; }
  // The effect threshold of the selected measure.
  double effect_threshold() const {
    switch (measure) {
      case Measure::kPsi:
        return psi;
      case Measure::kHellinger:
        return hellinger;
      default:
        return js_distance;
    }
  }
  // The effect threshold as Pearson's divergence D = sum_b (p_b - q_b)^2 / m_b (m: the pooled
  // distribution), by the second-order expansions of the distances for small changes:
  // JSD (bits) = D / (8 ln 2), so D = 8 ln 2 js^2; PSI = D; Hellinger^2 = D / 8, so D = 8 h^2.
  double effect_tolerance() const {
    const double t = effect_threshold();
    switch (measure) {
      case Measure::kPsi:
        return t;
      case Measure::kHellinger:
        return 8 * t * t;
      default:
        return 8 * 0.6931471805599453 * t * t;
    }
  }
  // The "watch" level of a distance by its name: psi_warn, hellinger_warn; NaN for the JS
  // distance (no watch level) and any other name.
  double warn_threshold(std::string_view distance) const {
    if (distance == "psi") return psi_warn;
    if (distance == "hellinger") return hellinger_warn;
    return std::numeric_limits<double>::quiet_NaN();
  }
  // The effect threshold of a distance by its name ("js_distance", "psi", "hellinger");
  // NaN for any other name.
  double distance_threshold(std::string_view distance) const {
    if (distance == "js_distance") return js_distance;
    if (distance == "psi") return psi;
    if (distance == "hellinger") return hellinger;
    return std::numeric_limits<double>::quiet_NaN();
  }
};

// One distance of a distribution finding judged on its own threshold with the finding's
// evidence: flagged = tested && p_value <= alpha && score >= threshold. The evaluator fills
// these, so every reader (metrics, gRPC, CLI, replay) shows the verdicts it decided with.
// watch = the same evidence, not flagged, and score >= the distance's watch level
// (psi_warn, hellinger_warn; the JS distance has none): a significant change that is not yet
// large enough to call drift. It never raises an alert.
struct DistanceVerdict {
  std::string_view measure;  // "js_distance", "psi", "hellinger"; empty: not computed
  double score = std::numeric_limits<double>::quiet_NaN();
  double threshold = std::numeric_limits<double>::quiet_NaN();
  double warn_threshold = std::numeric_limits<double>::quiet_NaN();  // NaN: no watch level
  bool flagged = false;
  bool watch = false;
};

// Thresholds for a class ("" = stream-wide measures): global, overridden per stream and
// per class by the caller's configuration.
using ThresholdResolver = std::function<const DriftThresholds&(std::string_view class_name)>;

struct DriftFinding {
  AlertKind kind = AlertKind::kClassDistribution;
  std::string subject_a;  // class, or the first class of a pair (a < b); "" stream-wide
  std::string subject_b;  // second class of a pair, else ""
  std::string measure;    // "js_distance", "psi", "hellinger", "binomial", ...
  double score = std::numeric_limits<double>::quiet_NaN();
  double threshold = std::numeric_limits<double>::quiet_NaN();
  // Corrected p-value of the test behind the finding; NaN when no test applies. With
  // DriftThresholds::minimum_effect its null is "the change is within the threshold".
  double p_value = std::numeric_limits<double>::quiet_NaN();
  // The same test's corrected p-value of "no change at all" (the watch verdicts' evidence);
  // equal to p_value without minimum_effect.
  double p_change = std::numeric_limits<double>::quiet_NaN();
  bool tested = false;   // the evidence test ran (enough support)
  bool flagged = false;  // evidence and effect both say "drift"
  AlertCounts counts;
  double expected = std::numeric_limits<double>::quiet_NaN();  // rate kinds: n * p0
  // Other distances of a distribution measure, for export (NaN when not computed).
  double psi = std::numeric_limits<double>::quiet_NaN();
  double hellinger = std::numeric_limits<double>::quiet_NaN();
  double js = std::numeric_limits<double>::quiet_NaN();
  // The same three distances (js_distance, psi, hellinger order) with their verdicts; the
  // deciding one (`measure`) agrees with `score`, `threshold` and `flagged`.
  std::array<DistanceVerdict, 3> distances{};
  // Where the change is largest, for exemplars: the bin whose share grew most, i.e. a
  // heatmap cell (spatial), a count bucket (objects_per_image), an area bin (box_size) or a
  // confidence bin (confidence); -1 when not applicable.
  int32_t hotspot = -1;
  // Dependence between frames (docs/DRIFT.md, "Correlated frames"): the window's
  // dispersion phi the test used (>= 1; counts were worth 1 / phi independent observations)
  // and the degrees of freedom of its estimate (+inf when the floor was used: 1, or the
  // Kish design effect for measures over objects). NaN when the window had no parts to
  // measure it from (frames taken as independent), when no test ran, or for a rate test
  // whose p-value is >= 1/4 already with independent frames (any dispersion would only
  // raise it; its p_value is then that of phi = 1).
  double dispersion = std::numeric_limits<double>::quiet_NaN();
  double dispersion_df = std::numeric_limits<double>::quiet_NaN();
  std::string note;  // why it was not tested ("min support: 12 < 30 images", ...)

  // The subject as the alert tracker names it: class, pair_subject(a, b), or "".
  std::string subject() const {
    return subject_b.empty() ? subject_a : pair_subject(subject_a, subject_b);
  }
  // subject() == s, without building subject().
  bool has_subject(std::string_view s) const {
    if (subject_b.empty()) return s == subject_a;
    const std::string_view a = std::min<std::string_view>(subject_a, subject_b);
    const std::string_view b = std::max<std::string_view>(subject_a, subject_b);
    return s.size() == a.size() + 1 + b.size() && s.starts_with(a) && s[a.size()] == '|' &&
           s.ends_with(b);
  }
};

struct DriftReport {
  std::string stream;
  std::string window;
  // The window compared with the stream's baseline, or with its learned reference (then
  // baseline_frames are the reference's frames). A stream's evaluation holds up to one
  // report of each per window.
  Against against = Against::kBaseline;
  int64_t evaluated_at_ms = 0;
  // Where the window stood when it was judged (StreamMonitor::window_position); NaN when not
  // recorded (then the monitor's current position stands for it). A report kept across
  // evaluations (drift.judgments_per_window) keeps the position it was judged at, so alert
  // confirmation counts only renewal that was actually judged.
  double window_position = std::numeric_limits<double>::quiet_NaN();
  uint64_t window_frames = 0;
  uint64_t baseline_frames = 0;
  std::vector<DriftFinding> findings;  // every measure evaluated, flagged or not
};

}  // namespace predwatch::core
