// Alert lifecycle of the drift engine: turns a stream of per-evaluation verdicts ("this key
// is over its threshold now") into alerts with Prometheus-like states.
//
// An alert is identified by its AlertKey (kind, stream, subject) and by the key's
// fingerprint, a stable 64-bit hash (see alert_fingerprint). A stream's windows are not part
// of the key: the caller merges the windows' verdicts on one key into one observation (see
// core/drift_observation.h, stream_observations), and the windows are details of the alert
// (AlertObservation::windows). Per key:
//
//   inactive --over--> pending --over x (for_evaluations - 1) more, and confirmed--> firing
//   pending  --not over--> inactive ("dropped": it never fired)
//   firing   --calm x resolve_evaluations consecutive, and settled--> resolved (then inactive)
//   pending, firing --forget_stream()--> inactive ("dropped", with a note: the stream left)
//
// "over" is the caller's verdict (AlertObservation::over_threshold: some window is over).
// "confirmed" (docs/DRIFT.md, "Repeated looks"): some window detail that is over either has
// strong evidence (p_value <= immediate_p) or has been over in every evaluation since its
// position was at most position - confirm_share x length: a quarter of the window (by
// default) was replaced by new frames and the finding held. A detail without a position or
// length (NaN) is confirmed when over; so is every detail with confirm_share = 0, and an
// observation without window details. Streaks are per (window, comparison); a detail that is
// not over, or absent, starts afresh.
// "settled", the same rule for calm (so that a subject seen in a few held scenes does not
// resolve between them and fire again): every window detail has been calm in every
// evaluation while confirm_share x its length renewed (NaN position or length, or
// confirm_share = 0: settled at once). A pass that does not report the key is settled (the
// subject left every window).
// "calm" means not over AND, for the observation's own score and for every window detail,
// score < threshold * resolve_ratio (hysteresis: a score hovering just under the threshold in
// any window keeps a firing alert firing, and resets its calm streak). A NaN score counts as
// calm when not over. With for_evaluations = 1 the first over evaluation emits both the
// pending and the firing transition.
//
// Folded pairs (fold_pairs): one scene type that becomes frequent raises several pairs at
// once (frames of fruit bowls: banana+orange, apple+banana, banana+bowl...). A pair_rate or
// novel_pair observation that is over, has no alert yet, and shares a class with a pending
// or firing alert of the same kind and stream (or with one that this pass starts, earlier
// in `observations`) starts no alert: its subject joins that alert's related_subjects for
// the rest of the alert's episode. Once that alert is gone, a pair still over starts its own.
//
// Scores must grow with the anomaly and be on the threshold's scale: distances as they are
// (js_distance vs 0.1), p-value tests as -log10(p) vs -log10(alpha).
//
// Evaluations are per scope, the stream: evaluate() receives every key evaluated for that
// stream in this pass (all its windows merged). A tracked alert of the stream that is missing
// from the pass (the pair lost its minimum support in every window, the class left the
// stream) counts as one calm evaluation; its payload is kept from its last report, with
// over_threshold = false. Alerts of other streams are untouched. Only pending and firing
// alerts are stored: memory is O(active).
//
// Time is passed in (milliseconds since the Unix epoch); nothing reads a clock.
// Not thread-safe: one owner (the drift engine's evaluation loop) calls it.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace predwatch::core {

enum class AlertKind : uint8_t {
  kClassDistribution,
  kPairRate,
  kNovelPair,
  kObjectsPerImage,
  kSpatial,
  kConfidence,
  kBoxSize,
  kClassAppeared,
  kClassVanished,
  kObjectsPerFrame,
};
inline constexpr size_t kAlertKindCount = 10;

// "class_distribution", "pair_rate", "novel_pair", "objects_per_image", "spatial",
// "confidence", "box_size", "class_appeared", "class_vanished", "objects_per_frame".
std::string_view alert_kind_name(AlertKind kind);
// Inverse of alert_kind_name; nullopt for any other string (exact, case-sensitive match).
std::optional<AlertKind> alert_kind_from_name(std::string_view name);

struct AlertKey {
  AlertKind kind = AlertKind::kClassDistribution;
  std::string stream;
  std::string subject;  // class name; pair_subject(a, b) for pairs; "" for stream-wide kinds

  bool operator==(const AlertKey&) const = default;
};

// "a|b" with the two class names in byte order, so (a, b) and (b, a) name the same pair.
std::string pair_subject(std::string_view class_a, std::string_view class_b);

// The fingerprint's input: kind name, stream, subject joined by the byte 0x1F (ASCII unit
// separator), e.g. "pair_rate\x1f" "cam-1\x1f" "chair|horse". (Until alerts were merged over
// windows the window's name was a fourth field, so every fingerprint changed once then.)
std::string canonical_alert_string(const AlertKey& key);

// 64-bit FNV-1a (offset basis 0xcbf29ce484222325, prime 0x100000001b3) over the bytes of
// canonical_alert_string(key). Stable across runs, builds and platforms.
uint64_t alert_fingerprint(const AlertKey& key);

// 16 lowercase hex digits, zero-padded.
std::string fingerprint_hex(uint64_t fingerprint);

// What a finding compared the window with: the stream's baseline (training annotations, a
// dataset's predictions or a snapshot; the default) or the stream's learned reference
// (core/reference_learner.h, docs/DRIFT.md "Learned reference").
enum class Against : uint8_t { kBaseline, kReference };
// "baseline", "reference".
std::string_view against_name(Against against);
// Inverse of against_name; nullopt for any other string.
std::optional<Against> against_from_name(std::string_view name);

// Counts behind a verdict. Meaning per kind: rate kinds (pair_rate, novel_pair,
// class_appeared, class_vanished): frames with the event / frames, in window and baseline;
// distribution kinds: window_count/baseline_count = mass of the subject's histogram,
// *_total = all the side's mass. Unused fields stay 0.
struct AlertCounts {
  uint64_t window_count = 0;
  uint64_t window_total = 0;
  uint64_t baseline_count = 0;
  uint64_t baseline_total = 0;
};

// One window's verdict on a key, as a detail of the alert (the window's finding).
struct AlertWindow {
  std::string window;  // the window's configured name, e.g. "5m"
  bool over = false;   // the window's finding is flagged
  double score = std::numeric_limits<double>::quiet_NaN();
  double threshold = std::numeric_limits<double>::quiet_NaN();
  double p_value = std::numeric_limits<double>::quiet_NaN();  // NaN for non-test measures
  AlertCounts counts;
  Against against = Against::kBaseline;  // which comparison of the window this is
  // Where the window stands and how long it is, in a unit of its own that only grows: event
  // time (ms) for a time window, frames added for a count window. NaN: unknown (the detail
  // needs no confirmation).
  double position = std::numeric_limits<double>::quiet_NaN();
  double length = std::numeric_limits<double>::quiet_NaN();
};

// One key's result in one evaluation: the verdict and the payload an alert carries. The
// payload (score, threshold, p_value, counts, exemplars) is the deciding window's: the over
// window with the largest score / threshold, or, when no window is over, the window with the
// largest score / threshold.
struct AlertObservation {
  AlertKey key;
  bool over_threshold = false;  // some window is over
  double score = 0;
  double threshold = 0;
  double p_value = std::numeric_limits<double>::quiet_NaN();  // NaN for non-test measures
  AlertCounts counts;
  std::vector<std::string> exemplar_ids;  // recent frames behind the finding
  std::string window;                     // the deciding window's name
  Against against = Against::kBaseline;   // the deciding window's comparison
  // Every (window, comparison) that judged the key: in window order, each window's
  // comparison with the baseline before its comparison with the learned reference.
  std::vector<AlertWindow> windows;
  // class_appeared: the partner classes of the class's novel pairs and pair rates, which
  // raise no alert of their own (folded into this one); sorted, distinct.
  // pair_rate, novel_pair (set by the tracker, see fold_pairs): the pair subjects folded into
  // this alert in its episode; sorted, distinct. Else empty.
  std::vector<std::string> related_subjects;
  // Pair kinds: the pair's two classes (what fold_pairs compares). Else empty.
  std::vector<std::string> pair_classes;
};

enum class AlertState { kInactive, kPending, kFiring, kResolved };
// "inactive", "pending", "firing", "resolved".
std::string_view alert_state_name(AlertState state);

struct Alert {
  uint64_t fingerprint = 0;
  AlertState state = AlertState::kInactive;
  int64_t active_since_ms = 0;  // the evaluation that made it pending
  int64_t firing_since_ms = 0;  // the evaluation that made it firing; 0 if it never fired
  int64_t last_evaluated_ms = 0;
  uint32_t over_streak = 0;  // consecutive over evaluations (pending), reset when firing
  uint32_t calm_streak = 0;  // consecutive calm evaluations (firing)
  double peak_score = 0;     // largest finite score seen in this episode
  AlertObservation last;     // payload of the latest evaluation
};

struct AlertTransition {
  AlertState from = AlertState::kInactive;
  // kPending, kFiring, kResolved, or kInactive when a pending alert is dropped.
  AlertState to = AlertState::kInactive;
  int64_t time_ms = 0;  // the evaluation's time
  Alert alert;          // snapshot after the transition (state == to)
  // Why, when no evaluation decided it (forget_stream: "stream moved to another replica");
  // empty otherwise.
  std::string note;
};

struct AlertTrackerOptions {
  uint32_t for_evaluations = 3;      // REQUIRES >= 1
  uint32_t resolve_evaluations = 3;  // REQUIRES >= 1
  double resolve_ratio = 0.8;        // REQUIRES in (0, 1]
  // Confirmation (see the top of this file): the share of a window that must be replaced
  // while its finding stays over, unless p_value <= immediate_p. REQUIRES confirm_share in
  // [0, 1], immediate_p in [0, 1].
  double confirm_share = 0.25;
  double immediate_p = 1e-5;
  // Pair alerts that share a class with an active alert of the same kind and stream fold
  // into it (see the top of this file).
  bool fold_pairs = true;
};

class AlertTracker {
 public:
  explicit AlertTracker(AlertTrackerOptions options = {});

  // Applies one evaluation pass of a stream at time now_ms and returns the transitions it
  // caused: first in the order of `observations`, then those of absent keys in ascending
  // fingerprint order.
  // REQUIRES: every observation's key has this stream; keys are distinct (a repeated key is
  // ignored after its first occurrence).
  std::vector<AlertTransition> evaluate(std::string_view stream,
                                        std::span<const AlertObservation> observations,
                                        int64_t now_ms);

  // Stops tracking every alert of `stream` (the stream's state was dropped): each pending or
  // firing alert goes to inactive, and the transitions (ascending fingerprint, time_ms =
  // now_ms, `note` as given) say so. The stream's keys start from inactive afterwards.
  std::vector<AlertTransition> forget_stream(std::string_view stream, int64_t now_ms,
                                             std::string_view note);

  // Tracks again the pending and firing alerts of an earlier run (saved by the daemon's
  // state store), as they were: no transition is made, since nothing changed. Their streaks
  // start afresh: a restored pending alert fires only after a new confirmation, a restored
  // firing alert resolves only after it settled again (a restart may re-judge, never re-page
  // and never resolve early). A pair alert's folded subjects are its last.related_subjects.
  // The fingerprint is recomputed from last.key. Ignored: alerts neither pending nor firing
  // and keys already tracked. Returns how many were taken.
  size_t restore(std::span<const Alert> alerts);

  // Pending and firing alerts, ascending by fingerprint.
  std::vector<Alert> active() const;
  size_t active_count() const { return alerts_.size(); }
  // The alert with this fingerprint if it is pending or firing.
  const Alert* find(uint64_t fingerprint) const;
  // Whether some alert of `stream` is pending or firing. O(active alerts). Without one, a
  // pass that repeats the stream's previous observations changes nothing (they started no
  // alert), so the caller may leave it out.
  bool tracks_stream(std::string_view stream) const;
  // The keys of `stream`'s pending and firing alerts. O(active alerts). An observation of
  // any other key that is not over threshold changes nothing (evaluate() starts no alert
  // from it), so the caller may leave it out (stream_observations' `tracked`).
  std::vector<AlertKey> tracked_keys(std::string_view stream) const;

  const AlertTrackerOptions& options() const { return options_; }
  // Replaces the options (configuration reload); tracked alerts and their streaks are kept
  // and judged by the new options from the next evaluate() on. REQUIRES: as the constructor.
  void set_options(AlertTrackerOptions options) { options_ = options; }

 private:
  // A window detail that has been over (pending alerts) or calm (firing alerts) in every
  // evaluation since position `since`.
  struct Streak {
    std::string window;
    Against against = Against::kBaseline;
    double since = 0;
  };
  struct Entry {
    Alert alert;
    uint64_t last_pass = 0;           // evaluate() call that last reported the key
    std::vector<Streak> streaks;      // over streaks while pending, calm streaks while firing
    std::vector<std::string> folded;  // pair subjects folded into this alert, sorted
  };
  // fold_pairs: for each observation of the pass, the fingerprint of the alert it folds into
  // (0: none).
  std::vector<uint64_t> pair_folds(std::string_view stream,
                                   std::span<const AlertObservation> observations) const;
  // "calm" for one observation (see the top of this file).
  bool calm(const AlertObservation& obs) const;
  // Updates the entry's streaks with `obs` (nullptr: the key is absent from the pass) and
  // says whether some over detail is confirmed.
  bool confirm(Entry& entry, const AlertObservation* obs) const;
  // Updates the entry's calm streaks with the calm observation `obs` (nullptr: the key is
  // absent from the pass) and says whether every detail is settled.
  bool settle(Entry& entry, const AlertObservation* obs) const;
  // Where detail w's streak started: its entry in `streaks`, else w's position (now).
  static double streak_start(const std::vector<Streak>& streaks, const AlertWindow& w);
  // Has confirm_share of w's window renewed since position `since`? (True without a
  // position or length, or with confirm_share = 0.)
  bool renewed(const AlertWindow& w, double since) const;
  // Applies one evaluation to a tracked entry; returns false if the entry must be erased.
  bool step(Entry& entry, bool over, bool confirmed, bool calm, bool settled, int64_t now_ms,
            std::vector<AlertTransition>& out);

  AlertTrackerOptions options_;
  uint64_t pass_ = 0;
  absl::flat_hash_map<uint64_t, Entry> alerts_;
};

}  // namespace predwatch::core
