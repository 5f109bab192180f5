#include "core/alert_tracker.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace predwatch::core {
namespace {

TEST(AlertKind, NamesRoundTrip) {
  const std::vector<std::string> names{"class_distribution", "pair_rate",      "novel_pair",
                                       "objects_per_image",  "spatial",        "confidence",
                                       "box_size",           "class_appeared", "class_vanished",
                                       "objects_per_frame"};
  ASSERT_EQ(names.size(), kAlertKindCount);
  for (size_t i = 0; i < kAlertKindCount; ++i) {
    const auto kind = static_cast<AlertKind>(i);
    EXPECT_EQ(alert_kind_name(kind), names[i]);
    EXPECT_EQ(alert_kind_from_name(names[i]), kind);
  }
  EXPECT_EQ(alert_kind_name(AlertKind::kPairRate), "pair_rate");
  EXPECT_EQ(alert_kind_name(AlertKind::kObjectsPerFrame), "objects_per_frame");
  EXPECT_FALSE(alert_kind_from_name("Pair_Rate").has_value());
  EXPECT_FALSE(alert_kind_from_name("").has_value());
  EXPECT_EQ(alert_state_name(AlertState::kFiring), "firing");
}

// Expected fingerprints from a Python one-liner of 64-bit FNV-1a (/usr/bin/python3):
//   def fnv(s):
//       h = 0xcbf29ce484222325
//       for c in s.encode(): h = ((h ^ c) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
//       return h
//   f"{fnv('a'):016x}"                                              -> af63dc4c8601ec8c
//   f"{fnv('pair_rate\x1fcam-1\x1fchair|horse'):016x}"              -> 4f4565ad19eeb48d
//   f"{fnv('class_distribution\x1fcam-1\x1f'):016x}"                -> 85f9c7dd87ffd845
//   f"{fnv('class_vanished\x1ffactory/line 2\x1ftraffic light'):016x}"
//                                                                   -> 5579967424b47ec2
// ('a' -> af63dc4c8601ec8c is also the published FNV-1a 64 test vector.)
TEST(AlertFingerprint, StableLiteralValues) {
  const AlertKey pair{AlertKind::kPairRate, "cam-1", pair_subject("horse", "chair")};
  EXPECT_EQ(pair.subject, "chair|horse");
  // No window: one alert per (kind, stream, subject), whatever number of windows agree.
  EXPECT_EQ(canonical_alert_string(pair), std::string("pair_rate\x1f"
                                                      "cam-1\x1f"
                                                      "chair|horse"));
  EXPECT_EQ(alert_fingerprint(pair), 0x4f4565ad19eeb48dull);
  EXPECT_EQ(fingerprint_hex(alert_fingerprint(pair)), "4f4565ad19eeb48d");

  const AlertKey stream_wide{AlertKind::kClassDistribution, "cam-1", ""};
  EXPECT_EQ(fingerprint_hex(alert_fingerprint(stream_wide)), "85f9c7dd87ffd845");
  const AlertKey vanished{AlertKind::kClassVanished, "factory/line 2", "traffic light"};
  EXPECT_EQ(fingerprint_hex(alert_fingerprint(vanished)), "5579967424b47ec2");

  // Hex is zero-padded to 16 digits.
  EXPECT_EQ(fingerprint_hex(0x1f), "000000000000001f");
  EXPECT_EQ(fingerprint_hex(0), "0000000000000000");
  // Pair order does not matter; every field matters.
  EXPECT_EQ(pair_subject("chair", "horse"), pair_subject("horse", "chair"));
  AlertKey other = pair;
  other.kind = AlertKind::kNovelPair;
  EXPECT_NE(alert_fingerprint(other), alert_fingerprint(pair));
  other = pair;
  other.stream = "cam-2";
  EXPECT_NE(alert_fingerprint(other), alert_fingerprint(pair));
  other = pair;
  other.subject = "chair|dog";
  EXPECT_NE(alert_fingerprint(other), alert_fingerprint(pair));
}

AlertObservation obs(std::string subject, double score, double threshold = 0.1) {
  AlertObservation o;
  o.key = {AlertKind::kClassDistribution, "cam", std::move(subject)};
  o.window = "5m";
  o.score = score;
  o.threshold = threshold;
  o.over_threshold = score >= threshold;
  return o;
}

std::vector<AlertState> targets(const std::vector<AlertTransition>& ts) {
  std::vector<AlertState> states;
  for (const auto& t : ts) states.push_back(t.to);
  return states;
}

using S = AlertState;

TEST(AlertTracker, PendingFiringResolvedWithHysteresis) {
  AlertTracker tracker({.for_evaluations = 3, .resolve_evaluations = 2, .resolve_ratio = 0.8});
  const uint64_t fp = alert_fingerprint(obs("car", 0).key);
  auto step = [&](double score, int64_t t) {
    const std::vector<AlertObservation> pass{obs("car", score)};
    return tracker.evaluate("cam", pass, t);
  };
  // Under threshold: nothing tracked.
  EXPECT_TRUE(step(0.05, 1000).empty());
  EXPECT_EQ(tracker.active_count(), 0u);
  // First over: pending.
  auto ts = step(0.15, 2000);
  ASSERT_EQ(targets(ts), (std::vector<S>{S::kPending}));
  EXPECT_EQ(ts[0].from, S::kInactive);
  EXPECT_EQ(ts[0].time_ms, 2000);
  EXPECT_EQ(ts[0].alert.fingerprint, fp);
  EXPECT_EQ(ts[0].alert.active_since_ms, 2000);
  EXPECT_EQ(ts[0].alert.last.score, 0.15);
  // Second over: still pending, no transition.
  EXPECT_TRUE(step(0.20, 3000).empty());
  ASSERT_NE(tracker.find(fp), nullptr);
  EXPECT_EQ(tracker.find(fp)->state, S::kPending);
  EXPECT_EQ(tracker.find(fp)->over_streak, 2u);
  // Third consecutive over: firing, since 4000, active since 2000.
  ts = step(0.12, 4000);
  ASSERT_EQ(targets(ts), (std::vector<S>{S::kFiring}));
  EXPECT_EQ(ts[0].from, S::kPending);
  EXPECT_EQ(ts[0].alert.firing_since_ms, 4000);
  EXPECT_EQ(ts[0].alert.active_since_ms, 2000);
  EXPECT_EQ(ts[0].alert.peak_score, 0.20);
  // Under the threshold but above 0.8 * 0.1 = 0.08: hysteresis band, stays firing.
  EXPECT_TRUE(step(0.09, 5000).empty());
  EXPECT_TRUE(step(0.085, 6000).empty());
  EXPECT_EQ(tracker.find(fp)->state, S::kFiring);
  EXPECT_EQ(tracker.find(fp)->calm_streak, 0u);
  // One calm evaluation, then back into the band: the calm streak restarts.
  EXPECT_TRUE(step(0.05, 7000).empty());
  EXPECT_EQ(tracker.find(fp)->calm_streak, 1u);
  EXPECT_TRUE(step(0.09, 8000).empty());
  EXPECT_EQ(tracker.find(fp)->calm_streak, 0u);
  // Two consecutive calm evaluations: resolved, and no longer listed.
  EXPECT_TRUE(step(0.07, 9000).empty());
  ts = step(0.01, 10000);
  ASSERT_EQ(targets(ts), (std::vector<S>{S::kResolved}));
  EXPECT_EQ(ts[0].from, S::kFiring);
  EXPECT_EQ(ts[0].time_ms, 10000);
  EXPECT_EQ(ts[0].alert.firing_since_ms, 4000);
  EXPECT_EQ(ts[0].alert.last.score, 0.01);
  EXPECT_EQ(tracker.active_count(), 0u);
  EXPECT_EQ(tracker.find(fp), nullptr);
  // A new episode starts from pending with a new since.
  ts = step(0.3, 11000);
  ASSERT_EQ(targets(ts), (std::vector<S>{S::kPending}));
  EXPECT_EQ(ts[0].alert.active_since_ms, 11000);
  EXPECT_EQ(ts[0].alert.firing_since_ms, 0);
}

TEST(AlertTracker, PendingDropsBackWhenItGoesUnder) {
  AlertTracker tracker({.for_evaluations = 3, .resolve_evaluations = 2, .resolve_ratio = 0.8});
  auto step = [&](double score, int64_t t) {
    const std::vector<AlertObservation> pass{obs("dog", score)};
    return tracker.evaluate("cam", pass, t);
  };
  EXPECT_EQ(targets(step(0.2, 1)), (std::vector<S>{S::kPending}));
  EXPECT_EQ(targets(step(0.2, 2)), (std::vector<S>{}));
  // Under the threshold (even inside the hysteresis band) before firing: dropped.
  const auto ts = step(0.095, 3);
  ASSERT_EQ(targets(ts), (std::vector<S>{S::kInactive}));
  EXPECT_EQ(ts[0].from, S::kPending);
  EXPECT_EQ(tracker.active_count(), 0u);
  // The over streak starts again: two more overs are not enough.
  EXPECT_EQ(targets(step(0.2, 4)), (std::vector<S>{S::kPending}));
  EXPECT_EQ(targets(step(0.2, 5)), (std::vector<S>{}));
  EXPECT_EQ(targets(step(0.2, 6)), (std::vector<S>{S::kFiring}));
}

// tracks_stream, and the premise of leaving streams out (MonitorEngine::evaluate): a stream
// none of whose alerts is pending or firing gets nothing from the same pass again.
TEST(AlertTracker, TracksAStreamWhileOneOfItsAlertsIsPendingOrFiring) {
  AlertTracker tracker({.for_evaluations = 2, .resolve_evaluations = 1, .resolve_ratio = 0.8});
  const std::vector<AlertObservation> calm{obs("dog", 0.05), obs("cat", 0.01)};
  EXPECT_TRUE(tracker.evaluate("cam", calm, 1).empty());
  EXPECT_FALSE(tracker.tracks_stream("cam"));
  EXPECT_TRUE(tracker.evaluate("cam", calm, 2).empty());  // the same pass: nothing
  const std::vector<AlertObservation> over{obs("dog", 0.3), obs("cat", 0.01)};
  EXPECT_EQ(targets(tracker.evaluate("cam", over, 3)), (std::vector<S>{S::kPending}));
  EXPECT_TRUE(tracker.tracks_stream("cam"));
  EXPECT_FALSE(tracker.tracks_stream("cam-2"));
  EXPECT_FALSE(tracker.tracks_stream("ca"));
  EXPECT_EQ(targets(tracker.evaluate("cam", over, 4)), (std::vector<S>{S::kFiring}));
  EXPECT_TRUE(tracker.tracks_stream("cam"));
  EXPECT_EQ(targets(tracker.evaluate("cam", calm, 5)), (std::vector<S>{S::kResolved}));
  EXPECT_FALSE(tracker.tracks_stream("cam"));
  EXPECT_TRUE(tracker.evaluate("cam", calm, 6).empty());
}

// One observation of subject "car" with window details: each (name, over, p, position) of a
// window of length 300'000 (a 5-minute time window, positions in event-time ms).
struct Detail {
  std::string window;
  bool over;
  double p_value;
  double position;
};
AlertObservation detailed(std::vector<Detail> details, double length = 300'000) {
  AlertObservation o = obs("car", 0);
  o.over_threshold = false;
  for (const Detail& d : details) {
    AlertWindow w;
    w.window = d.window;
    w.over = d.over;
    w.score = d.over ? 0.5 : 0.01;
    w.threshold = 0.1;
    w.p_value = d.p_value;
    w.position = d.position;
    w.length = length;
    o.over_threshold |= d.over;
    o.windows.push_back(w);
  }
  o.score = o.over_threshold ? 0.5 : 0.01;
  return o;
}

// Fires after 3 over evaluations, confirmed by a quarter of the window or p <= 1e-5.
constexpr AlertTrackerOptions kConfirming{.for_evaluations = 3,
                                          .resolve_evaluations = 2,
                                          .resolve_ratio = 0.8,
                                          .confirm_share = 0.25,
                                          .immediate_p = 1e-5};

// One pass of stream "cam" with one detailed observation at time t.
std::vector<AlertTransition> evaluate_at(AlertTracker& tracker, std::vector<Detail> details,
                                         int64_t t) {
  const std::vector<AlertObservation> pass{detailed(std::move(details))};
  return tracker.evaluate("cam", pass, t);
}

TEST(AlertTracker, WeakEvidenceFiresOnlyAfterAShareOfTheWindowConfirmedIt) {
  // confirm_share 0.25 of a 300 s window: the weak finding (p = 0.01 > immediate_p) must
  // stay over while the window's end moves 75 s; evaluations every 10 s.
  AlertTracker tracker(kConfirming);
  auto step = [&](std::vector<Detail> d, int64_t t) { return evaluate_at(tracker, d, t); };
  // Over from position 0 s: pending; three evaluations are not enough (20 s < 75 s).
  EXPECT_EQ(targets(step({{"5m", true, 0.01, 0}}, 0)), (std::vector<S>{S::kPending}));
  for (int64_t s = 10; s < 75; s += 10) {
    EXPECT_TRUE(step({{"5m", true, 0.01, double(s * 1000)}}, s * 1000).empty()) << s;
  }
  // 80 s - 0 s >= 75 s: confirmed, fires.
  EXPECT_EQ(targets(step({{"5m", true, 0.01, 80'000}}, 80'000)), (std::vector<S>{S::kFiring}));
}

TEST(AlertTracker, ConfirmationRestartsWhenTheWindowLetsGoAndStrongEvidenceSkipsIt) {
  AlertTracker tracker(kConfirming);
  auto step = [&](std::vector<Detail> d, int64_t t) { return evaluate_at(tracker, d, t); };
  // "5m" over from 0 s; at 50 s it lets go while "1h" is over (the key stays pending).
  EXPECT_EQ(targets(step({{"5m", true, 0.01, 0}, {"1h", false, 0.5, 0}}, 0)),
            (std::vector<S>{S::kPending}));
  EXPECT_TRUE(step({{"5m", true, 0.01, 40'000}, {"1h", false, 0.5, 40'000}}, 40'000).empty());
  EXPECT_TRUE(step({{"5m", false, 0.5, 50'000}, {"1h", true, 0.01, 50'000}}, 50'000).empty());
  // "5m" over again from 60 s: its streak restarted, so 100 s (40 s of it) is not enough,
  // and "1h" (over since 50 s) has 50 s < 75 s.
  EXPECT_TRUE(step({{"5m", true, 0.01, 60'000}, {"1h", true, 0.01, 60'000}}, 60'000).empty());
  EXPECT_TRUE(step({{"5m", true, 0.01, 100'000}, {"1h", true, 0.01, 100'000}}, 100'000).empty());
  // 1h: 125 s - 50 s = 75 s: confirmed.
  EXPECT_EQ(targets(step({{"5m", true, 0.01, 125'000}, {"1h", true, 0.01, 125'000}}, 125'000)),
            (std::vector<S>{S::kFiring}));

  // Strong evidence (p <= 1e-5) needs only for_evaluations.
  AlertTracker strong(kConfirming);
  EXPECT_EQ(targets(evaluate_at(strong, {{"5m", true, 1e-5, 0}}, 0)),
            (std::vector<S>{S::kPending}));
  EXPECT_TRUE(evaluate_at(strong, {{"5m", true, 1e-7, 10'000}}, 10'000).empty());
  EXPECT_EQ(targets(evaluate_at(strong, {{"5m", true, 1e-6, 20'000}}, 20'000)),
            (std::vector<S>{S::kFiring}));
  // confirm_share = 0, or a detail without a position: no confirmation.
  for (const double position : {0.0, std::numeric_limits<double>::quiet_NaN()}) {
    AlertTracker off({.for_evaluations = 1,
                      .resolve_evaluations = 2,
                      .resolve_ratio = 0.8,
                      .confirm_share = std::isnan(position) ? 0.25 : 0.0,
                      .immediate_p = 1e-5});
    EXPECT_EQ(targets(evaluate_at(off, {{"5m", true, 0.04, position}}, 0)),
              (std::vector<S>{S::kPending, S::kFiring}));
  }
}

TEST(AlertTracker, FiringResolvesOnlyOnceAShareOfTheWindowStayedCalm) {
  // Fires at once on strong evidence; then calm from 100 s: 3 calm evaluations are not
  // enough until the window's end moved 75 s (a quarter of 300 s) while calm.
  AlertTracker tracker(kConfirming);
  auto step = [&](std::vector<Detail> d, int64_t t) { return evaluate_at(tracker, d, t); };
  step({{"5m", true, 1e-9, 0}}, 0);
  step({{"5m", true, 1e-9, 10'000}}, 10'000);
  EXPECT_EQ(targets(step({{"5m", true, 1e-9, 20'000}}, 20'000)), (std::vector<S>{S::kFiring}));
  for (int64_t s = 100; s < 175; s += 10) {
    EXPECT_TRUE(step({{"5m", false, 0.5, double(s * 1000)}}, s * 1000).empty()) << s;
  }
  // Back over at 175 s: the calm streak restarts, so 250 s - 180 s is not enough either.
  EXPECT_TRUE(step({{"5m", true, 0.01, 175'000}}, 175'000).empty());
  for (int64_t s = 180; s < 255; s += 10) {
    EXPECT_TRUE(step({{"5m", false, 0.5, double(s * 1000)}}, s * 1000).empty()) << s;
  }
  EXPECT_EQ(targets(step({{"5m", false, 0.5, 255'000}}, 255'000)), (std::vector<S>{S::kResolved}));
  // A key absent from its stream's passes resolves after resolve_evaluations (its subject
  // left every window).
  AlertTracker gone(kConfirming);
  for (int64_t t : {0, 10'000, 20'000}) evaluate_at(gone, {{"5m", true, 1e-9, double(t)}}, t);
  const std::vector<AlertObservation> nothing;
  EXPECT_TRUE(gone.evaluate("cam", nothing, 30'000).empty());
  EXPECT_EQ(targets(gone.evaluate("cam", nothing, 40'000)), (std::vector<S>{S::kResolved}));
}

// A tracker restored from a saved firing alert (a restart) continues the episode: the same
// drift makes no transition (no second page), and it resolves only after a quarter of the
// window stayed calm again (its calm streak starts at the restart, as in the test above).
TEST(AlertTracker, RestoredFiringAlertContinuesWithoutANewPage) {
  AlertTracker before(kConfirming);
  for (int64_t t : {0, 10'000, 20'000}) evaluate_at(before, {{"5m", true, 1e-9, double(t)}}, t);
  // Calm since 100 s in the first run: 3 calm evaluations, not settled yet.
  for (int64_t t : {100'000, 110'000, 120'000}) {
    EXPECT_TRUE(evaluate_at(before, {{"5m", false, 0.5, double(t)}}, t).empty());
  }
  const std::vector<Alert> saved = before.active();
  ASSERT_EQ(saved.size(), 1u);
  ASSERT_EQ(saved[0].state, S::kFiring);

  AlertTracker after(kConfirming);
  Alert tampered = saved[0];
  tampered.fingerprint = 42;  // recomputed from the key
  Alert resolved = saved[0];
  resolved.state = S::kResolved;
  resolved.last.key.subject = "other";
  const std::vector<Alert> restored{tampered, saved[0], resolved};
  EXPECT_EQ(after.restore(restored), 1u);  // the duplicate key and the resolved one left out
  ASSERT_EQ(after.active().size(), 1u);
  EXPECT_EQ(after.active()[0].fingerprint, saved[0].fingerprint);
  EXPECT_EQ(after.active()[0].firing_since_ms, 20'000);
  EXPECT_EQ(after.active()[0].calm_streak, 3u);
  // Still drifting after the restart: nothing to say.
  EXPECT_TRUE(evaluate_at(after, {{"5m", true, 1e-9, 200'000}}, 200'000).empty());
  // Calm from 210 s: the calm period of the first run does not count; settled at 285 s.
  for (int64_t s = 210; s < 285; s += 10) {
    EXPECT_TRUE(evaluate_at(after, {{"5m", false, 0.5, double(s * 1000)}}, s * 1000).empty()) << s;
  }
  const auto ts = evaluate_at(after, {{"5m", false, 0.5, 285'000}}, 285'000);
  ASSERT_EQ(targets(ts), (std::vector<S>{S::kResolved}));
  EXPECT_EQ(ts[0].from, S::kFiring);
  EXPECT_EQ(ts[0].alert.firing_since_ms, 20'000);
}

// A restored pending alert keeps its over streak but needs its confirmation again; restored
// pair alerts keep folding pairs that share a class.
TEST(AlertTracker, RestoredPendingAlertIsConfirmedAfreshAndPairsKeepFolding) {
  AlertTracker before(kConfirming);
  evaluate_at(before, {{"5m", true, 0.01, 0}}, 0);
  evaluate_at(before, {{"5m", true, 0.01, 60'000}}, 60'000);  // 60 s < 75 s: pending
  AlertTracker after(kConfirming);
  ASSERT_EQ(after.restore(before.active()), 1u);
  EXPECT_EQ(after.active()[0].state, S::kPending);
  EXPECT_EQ(after.active()[0].over_streak, 2u);
  // Over from 70 s: 70..140 s is 70 s < 75 s although the first run saw it from 0 s.
  for (int64_t s = 70; s < 145; s += 10) {
    EXPECT_TRUE(evaluate_at(after, {{"5m", true, 0.01, double(s * 1000)}}, s * 1000).empty()) << s;
  }
  EXPECT_EQ(targets(evaluate_at(after, {{"5m", true, 0.01, 145'000}}, 145'000)),
            (std::vector<S>{S::kFiring}));

  Alert pair;
  pair.state = S::kFiring;
  pair.last.key = {AlertKind::kPairRate, "cam", pair_subject("apple", "banana")};
  pair.last.pair_classes = {"apple", "banana"};
  pair.last.related_subjects = {pair_subject("banana", "orange")};
  AlertTracker folding({.for_evaluations = 1, .resolve_evaluations = 2, .resolve_ratio = 0.8});
  const std::vector<Alert> one{pair};
  ASSERT_EQ(folding.restore(one), 1u);
  AlertObservation bowl;
  bowl.key = {AlertKind::kPairRate, "cam", pair_subject("banana", "bowl")};
  bowl.pair_classes = {"banana", "bowl"};
  bowl.score = bowl.threshold = 1;
  bowl.over_threshold = true;
  AlertObservation same = bowl;
  same.key = pair.last.key;
  same.pair_classes = pair.last.pair_classes;
  const std::vector<AlertObservation> pass{same, bowl};
  EXPECT_TRUE(folding.evaluate("cam", pass, 1000).empty());  // folded: no alert of its own
  ASSERT_EQ(folding.active().size(), 1u);
  EXPECT_EQ(folding.active()[0].last.related_subjects,
            (std::vector<std::string>{"banana|bowl", "banana|orange"}));
}

TEST(AlertTracker, ForOneFiresImmediatelyWithBothTransitions) {
  AlertTracker tracker({.for_evaluations = 1, .resolve_evaluations = 1, .resolve_ratio = 1.0});
  std::vector<AlertObservation> pass{obs("cat", 0.5)};
  pass[0].p_value = 1e-6;
  pass[0].counts = {12, 2000, 0, 5000};
  pass[0].exemplar_ids = {"frame-17", "frame-42"};
  auto ts = tracker.evaluate("cam", pass, 100);
  ASSERT_EQ(targets(ts), (std::vector<S>{S::kPending, S::kFiring}));
  EXPECT_EQ(ts[1].alert.firing_since_ms, 100);
  EXPECT_EQ(ts[1].alert.last.p_value, 1e-6);
  EXPECT_EQ(ts[1].alert.last.counts.window_count, 12u);
  EXPECT_EQ(ts[1].alert.last.exemplar_ids, (std::vector<std::string>{"frame-17", "frame-42"}));
  pass = {obs("cat", 0.099)};  // ratio 1.0: anything under the threshold is calm
  EXPECT_EQ(targets(tracker.evaluate("cam", pass, 200)), (std::vector<S>{S::kResolved}));
}

TEST(AlertTracker, AbsentKeysCountAsCalmOnlyInTheirStream) {
  AlertTracker tracker({.for_evaluations = 1, .resolve_evaluations = 2, .resolve_ratio = 0.8});
  std::vector<AlertObservation> pass{obs("a", 0.5), obs("b", 0.5)};
  tracker.evaluate("cam", pass, 1);
  // Another stream: same subjects, stream "other".
  std::vector<AlertObservation> other{obs("a", 0.5)};
  other[0].key.stream = "other";
  tracker.evaluate("other", other, 1);
  EXPECT_EQ(tracker.active_count(), 3u);
  // "b" disappears from cam; "a" stays over. Evaluating other streams does not count.
  pass = {obs("a", 0.5)};
  const std::vector<AlertObservation> nothing;
  EXPECT_TRUE(tracker.evaluate("third", nothing, 2).empty());
  EXPECT_TRUE(tracker.evaluate("cam", pass, 2).empty());
  const Alert* b = tracker.find(alert_fingerprint(obs("b", 0).key));
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->calm_streak, 1u);
  EXPECT_FALSE(b->last.over_threshold);
  EXPECT_EQ(b->last.score, 0.5);  // payload kept from its last report
  const auto ts = tracker.evaluate("cam", pass, 3);
  ASSERT_EQ(targets(ts), (std::vector<S>{S::kResolved}));
  EXPECT_EQ(ts[0].alert.last.key.subject, "b");
  // "a" on stream "other" was never re-evaluated and still fires.
  const auto active = tracker.active();
  ASSERT_EQ(active.size(), 2u);
  EXPECT_LT(active[0].fingerprint, active[1].fingerprint);
  for (const Alert& a : active) EXPECT_EQ(a.state, S::kFiring);
}

TEST(AlertTracker, AbsentPendingIsDroppedAndNaNIsCalm) {
  AlertTracker tracker({.for_evaluations = 2, .resolve_evaluations = 1, .resolve_ratio = 0.8});
  std::vector<AlertObservation> pass{obs("x", 0.5), obs("y", 0.5)};
  EXPECT_EQ(targets(tracker.evaluate("cam", pass, 1)), (std::vector<S>{S::kPending, S::kPending}));
  pass = {obs("y", 0.5)};
  // y fires; x (absent) is dropped, after the transitions of the reported keys.
  const auto ts = tracker.evaluate("cam", pass, 2);
  ASSERT_EQ(targets(ts), (std::vector<S>{S::kFiring, S::kInactive}));
  EXPECT_EQ(ts[1].alert.last.key.subject, "x");
  // A NaN score (measure undefined, e.g. empty window) that is not over resolves.
  pass = {obs("y", std::numeric_limits<double>::quiet_NaN())};
  EXPECT_FALSE(pass[0].over_threshold);
  EXPECT_EQ(targets(tracker.evaluate("cam", pass, 3)), (std::vector<S>{S::kResolved}));
  EXPECT_TRUE(tracker.active().empty());
}

TEST(AlertTracker, ActiveListsPendingAndFiring) {
  AlertTracker tracker({.for_evaluations = 2, .resolve_evaluations = 1, .resolve_ratio = 0.8});
  std::vector<AlertObservation> pass{obs("p", 0.5), obs("f", 0.5), obs("quiet", 0.0)};
  tracker.evaluate("cam", pass, 1);
  pass = {obs("p", 0.5), obs("f", 0.5), obs("quiet", 0.0)};
  tracker.evaluate("cam", pass, 2);  // p and f firing
  pass = {obs("f", 0.5), obs("new", 0.5), obs("p", 0.2)};
  tracker.evaluate("cam", pass, 3);
  const auto active = tracker.active();
  ASSERT_EQ(active.size(), 3u);
  int firing = 0, pending = 0;
  for (const Alert& a : active) {
    firing += a.state == S::kFiring;
    pending += a.state == S::kPending;
    EXPECT_NE(a.last.key.subject, "quiet");
  }
  EXPECT_EQ(firing, 2);
  EXPECT_EQ(pending, 1);
  EXPECT_EQ(tracker.find(alert_fingerprint(obs("p", 0).key))->last.score, 0.2);
}

TEST(AlertTracker, RepeatedKeyInOnePassIsIgnored) {
  AlertTracker tracker({.for_evaluations = 2, .resolve_evaluations = 1, .resolve_ratio = 0.8});
  const std::vector<AlertObservation> pass{obs("z", 0.5), obs("z", 0.5)};
  EXPECT_EQ(targets(tracker.evaluate("cam", pass, 1)), (std::vector<S>{S::kPending}));
  EXPECT_EQ(tracker.find(alert_fingerprint(obs("z", 0).key))->over_streak, 1u);
}

// An observation merged over windows: its own payload is the deciding window's, every window
// is a detail.
AlertObservation merged(std::vector<AlertWindow> windows, size_t deciding) {
  AlertObservation o;
  o.key = {AlertKind::kSpatial, "cam", "person"};
  o.window = windows[deciding].window;
  o.score = windows[deciding].score;
  o.threshold = windows[deciding].threshold;
  for (const AlertWindow& w : windows) o.over_threshold |= w.over;
  o.windows = std::move(windows);
  return o;
}

AlertWindow win(std::string name, double score, double threshold = 0.1) {
  AlertWindow w;
  w.window = std::move(name);
  w.score = score;
  w.threshold = threshold;
  w.over = score >= threshold;
  return w;
}

// One subject flagged in three windows is one alert, whose details list the three windows.
TEST(AlertTracker, OneAlertForAKeyOverInSeveralWindows) {
  AlertTracker tracker({.for_evaluations = 1, .resolve_evaluations = 1, .resolve_ratio = 0.8});
  const std::vector<AlertObservation> pass{
      merged({win("5m", 0.4), win("1h", 0.2), win("last10k", 0.3)}, 0)};
  const auto ts = tracker.evaluate("cam", pass, 1);
  ASSERT_EQ(targets(ts), (std::vector<S>{S::kPending, S::kFiring}));
  ASSERT_EQ(tracker.active_count(), 1u);
  const Alert& a = ts[1].alert;
  EXPECT_EQ(a.last.window, "5m");
  ASSERT_EQ(a.last.windows.size(), 3u);
  EXPECT_EQ(a.last.windows[1].window, "1h");
  EXPECT_TRUE(a.last.windows[2].over);
}

// Firing resolves only when every window is calm: a window over, or a window inside the
// hysteresis band, keeps it firing, even when the deciding window is calm.
TEST(AlertTracker, CalmOnlyWhenEveryWindowIsCalm) {
  AlertTracker tracker({.for_evaluations = 1, .resolve_evaluations = 1, .resolve_ratio = 0.8});
  auto step = [&](std::vector<AlertWindow> windows, size_t deciding, int64_t t) {
    const std::vector<AlertObservation> pass{merged(std::move(windows), deciding)};
    return targets(tracker.evaluate("cam", pass, t));
  };
  EXPECT_EQ(step({win("5m", 0.4), win("1h", 0.3)}, 0, 1),
            (std::vector<S>{S::kPending, S::kFiring}));
  // 5m calm, 1h still over.
  EXPECT_TRUE(step({win("5m", 0.01), win("1h", 0.3)}, 1, 2).empty());
  // No window over, 1h in the hysteresis band (0.09 >= 0.08); the payload's window (5m) is
  // calm: still firing.
  EXPECT_TRUE(step({win("5m", 0.01), win("1h", 0.09)}, 0, 3).empty());
  ASSERT_EQ(tracker.active_count(), 1u);
  EXPECT_EQ(tracker.active()[0].state, S::kFiring);
  EXPECT_EQ(tracker.active()[0].calm_streak, 0u);
  // Every window calm: resolved.
  EXPECT_EQ(step({win("5m", 0.01), win("1h", 0.05)}, 1, 4), (std::vector<S>{S::kResolved}));
}

// A pair observation as the engine makes it: key, classes, over or calm (score vs 0.1).
AlertObservation pair_obs(AlertKind kind, const std::string& a, const std::string& b,
                          double score) {
  AlertObservation o;
  o.key = {kind, "cam", pair_subject(a, b)};
  o.pair_classes = {a, b};
  o.score = score;
  o.threshold = 0.1;
  o.over_threshold = score >= 0.1;
  return o;
}

// Pairs that start drifting next to an active pair alert of the same kind and a shared class
// fold into it (one scene type raises several pairs); others keep alerts of their own.
TEST(AlertTracker, PairsSharingAClassWithAnActivePairAlertFoldIntoIt) {
  AlertTracker tracker({.for_evaluations = 1, .resolve_evaluations = 1, .resolve_ratio = 0.8});
  const auto K = AlertKind::kPairRate;
  // Pass 1: banana+orange starts; apple+banana, later in the same pass, folds into it.
  std::vector<AlertObservation> pass{pair_obs(K, "banana", "orange", 0.3),
                                     pair_obs(K, "apple", "banana", 0.2),
                                     pair_obs(K, "dog", "frisbee", 0.05)};
  auto ts = tracker.evaluate("cam", pass, 1);
  ASSERT_EQ(targets(ts), (std::vector<S>{S::kPending, S::kFiring}));
  EXPECT_EQ(ts[1].alert.last.key.subject, "banana|orange");
  EXPECT_EQ(ts[1].alert.last.related_subjects, (std::vector<std::string>{"apple|banana"}));
  // Pass 2: apple+orange (shares orange) and banana+bowl (shares banana) fold too; a
  // novel_pair with banana is another kind, and dog+frisbee shares nothing: both alert.
  pass = {pair_obs(K, "banana", "orange", 0.3),
          pair_obs(K, "apple", "banana", 0.2),
          pair_obs(K, "apple", "orange", 0.25),
          pair_obs(K, "banana", "bowl", 0.15),
          pair_obs(AlertKind::kNovelPair, "banana", "giraffe", 0.5),
          pair_obs(K, "dog", "frisbee", 0.4)};
  ts = tracker.evaluate("cam", pass, 2);
  ASSERT_EQ(targets(ts), (std::vector<S>{S::kPending, S::kFiring, S::kPending, S::kFiring}));
  EXPECT_EQ(ts[0].alert.last.key.kind, AlertKind::kNovelPair);
  EXPECT_EQ(ts[2].alert.last.key.subject, "dog|frisbee");
  EXPECT_TRUE(ts[2].alert.last.related_subjects.empty());
  ASSERT_EQ(tracker.active_count(), 3u);
  const Alert* fruit = tracker.find(alert_fingerprint({K, "cam", "banana|orange"}));
  ASSERT_NE(fruit, nullptr);
  EXPECT_EQ(fruit->last.related_subjects,
            (std::vector<std::string>{"apple|banana", "apple|orange", "banana|bowl"}));
  // Pass 3: the anchor resolves (calm); in the same pass apple+banana is still over: it has
  // no alert of its own yet and its anchor is active this pass, so it stays folded.
  pass = {pair_obs(K, "banana", "orange", 0.01), pair_obs(K, "apple", "banana", 0.2)};
  ts = tracker.evaluate("cam", pass, 3);
  ASSERT_EQ(targets(ts), (std::vector<S>{S::kResolved, S::kResolved, S::kResolved}));
  // Pass 4: the anchor is gone: apple+banana, still over, starts its own alert.
  pass = {pair_obs(K, "apple", "banana", 0.2)};
  ts = tracker.evaluate("cam", pass, 4);
  ASSERT_EQ(targets(ts), (std::vector<S>{S::kPending, S::kFiring}));
  EXPECT_EQ(ts[1].alert.last.key.subject, "apple|banana");

  // fold_pairs = false: every pair its own alert.
  AlertTracker separate(
      {.for_evaluations = 1, .resolve_evaluations = 1, .resolve_ratio = 0.8, .fold_pairs = false});
  pass = {pair_obs(K, "banana", "orange", 0.3), pair_obs(K, "apple", "banana", 0.2)};
  EXPECT_EQ(separate.evaluate("cam", pass, 1).size(), 4u);
  EXPECT_EQ(separate.active_count(), 2u);
}

// A key absent from a pass keeps its window details, none of them over.
TEST(AlertTracker, AbsentKeyKeepsItsWindowsNotOver) {
  AlertTracker tracker({.for_evaluations = 1, .resolve_evaluations = 2, .resolve_ratio = 0.8});
  const std::vector<AlertObservation> pass{merged({win("5m", 0.4), win("1h", 0.3)}, 0)};
  tracker.evaluate("cam", pass, 1);
  EXPECT_TRUE(tracker.evaluate("cam", {}, 2).empty());
  const auto active = tracker.active();
  ASSERT_EQ(active.size(), 1u);
  ASSERT_EQ(active[0].last.windows.size(), 2u);
  EXPECT_FALSE(active[0].last.over_threshold);
  for (const AlertWindow& w : active[0].last.windows) EXPECT_FALSE(w.over);
  EXPECT_EQ(targets(tracker.evaluate("cam", {}, 3)), (std::vector<S>{S::kResolved}));
}

TEST(AlertTracker, ForgetStreamDropsItsPendingAndFiringAlertsWithANote) {
  AlertTracker tracker({.for_evaluations = 2, .resolve_evaluations = 1, .resolve_ratio = 0.8});
  std::vector<AlertObservation> pass{obs("f", 0.5)};
  tracker.evaluate("cam", pass, 1);
  pass = {obs("f", 0.5), obs("p", 0.5)};
  tracker.evaluate("cam", pass, 2);  // f fires, p pending
  std::vector<AlertObservation> other{obs("f", 0.5)};
  other[0].key.stream = "other";
  tracker.evaluate("other", other, 2);
  ASSERT_EQ(tracker.active_count(), 3u);

  const auto ts = tracker.forget_stream("cam", 5, "stream moved to another replica");
  ASSERT_EQ(ts.size(), 2u);
  EXPECT_LT(ts[0].alert.fingerprint, ts[1].alert.fingerprint);
  for (const AlertTransition& t : ts) {
    EXPECT_EQ(t.to, S::kInactive);
    EXPECT_EQ(t.alert.state, S::kInactive);
    EXPECT_EQ(t.time_ms, 5);
    EXPECT_EQ(t.note, "stream moved to another replica");
    EXPECT_EQ(t.from, t.alert.last.key.subject == "f" ? S::kFiring : S::kPending);
  }
  const auto active = tracker.active();
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].last.key.stream, "other");
  EXPECT_TRUE(tracker.forget_stream("cam", 6, "again").empty());
  // The key starts over: the next over evaluation makes it pending again.
  pass = {obs("f", 0.5)};
  EXPECT_EQ(targets(tracker.evaluate("cam", pass, 7)), (std::vector<S>{S::kPending}));
}

}  // namespace
}  // namespace predwatch::core
