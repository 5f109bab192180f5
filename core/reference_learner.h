// ReferenceLearner: a stream's learned reference — the statistics of its own first frames
// (or of a pinned known-good period), frozen once complete, so that later windows can be
// compared with what this camera and this detector normally produce (docs/DRIFT.md
// "Learned reference"). A training baseline carries no confidences and other
// detector-specific counts and sizes; the reference has them.
//
// Contract:
//   - Learning. add(time_ms, digest) accumulates every frame offered while learning, in
//     arrival order, into one Stats (the stream's StatsLayout; the digest is the one the
//     stream's windows get, core/stats.h). Frames are not judged late: a frame older than
//     those already learned is accumulated like any other (the reference is "the first
//     frames that arrived"), and only widens the event-time span.
//   - Completion. After each add, the reference is complete when it holds at least
//     `min_frames` frames AND (it holds `frames` frames, or its event-time span
//     max(time) - min(time) is >= `duration_ms`), whichever of the two comes first; 0 turns
//     either off. With both off it completes at `min_frames` (0 counts as 1). The frame that
//     completes it is part of it.
//   - Frozen. Once complete, add() ignores frames (and returns false); reference() returns
//     a shared, immutable BaselineStats of kind kProductionWindow whose class_names are the
//     stream's names at completion, cut to the stats' class count (ClassIds are the
//     stream's). A reader may keep it (e.g. to evaluate outside a lock) while the learner is
//     reset or pinned: those install a new object.
//   - pin(stats, names): a known-good period (e.g. a window's current totals) replaces the
//     reference; it is complete at once, whatever its size (state kPinned).
//   - restore(reference, start, end, state): installs a previously saved reference
//     (persistence lives in the daemon); complete at once.
//   - reset(): discards everything; learning starts again with the next frame.
//
// Pure computation: no I/O, no clock (time is the frames' event time). Memory: one Stats
// while learning and once complete (O(C^2) for the pair table), nothing per frame.
// Not thread-safe: the stream's owner serialises every call.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/drift_report.h"
#include "core/stats.h"

namespace predwatch::core {

struct ReferenceOptions {
  uint64_t frames = 36'000;         // complete after this many frames; 0 = unused
  int64_t duration_ms = 3'600'000;  // complete when the event-time span reaches it; 0 = unused
  uint64_t min_frames = 2'000;      // never complete with fewer (pin() excepted)
};

enum class ReferenceState : uint8_t { kLearning, kComplete, kPinned };

// "learning", "complete", "pinned".
std::string_view reference_state_name(ReferenceState state);

class ReferenceLearner {
 public:
  // REQUIRES: layout.check() is empty.
  ReferenceLearner(const ReferenceOptions& options, const StatsLayout& layout);

  // Offers one frame (event time and digest). `class_names` are the stream's class names
  // (index = ClassId), read only when this frame completes the reference. Returns true when
  // this frame completed it.
  bool add(int64_t time_ms, const FrameDigest& digest, std::span<const std::string> class_names);

  // Replaces the reference with `stats` (class_names[i] names ClassId i; extra names are
  // cut, missing ones are named "#i"); state kPinned. start/end: the period's event times
  // (informational).
  void pin(const Stats& stats, std::vector<std::string> class_names, int64_t start_ms,
           int64_t end_ms);
  // Installs a saved reference; `state` must be kComplete or kPinned (else kComplete).
  void restore(BaselineStats reference, int64_t start_ms, int64_t end_ms, ReferenceState state);
  // Forgets the reference; learning starts again from the next frame.
  void reset();

  ReferenceState state() const { return state_; }
  bool complete() const { return frozen_ != nullptr; }
  // The frozen reference, shared with readers that evaluate it (immutable once frozen);
  // null while learning.
  const std::shared_ptr<const BaselineStats>& reference() const { return frozen_; }
  // The statistics so far (learning) or the frozen ones.
  const Stats& stats() const { return complete() ? frozen_->stats : learning_; }
  uint64_t frames() const { return uint64_t(stats().frames()); }
  // Smallest and largest event time learned (or pinned); both INT64_MIN before the first
  // frame.
  int64_t start_ms() const { return start_ms_; }
  int64_t end_ms() const { return end_ms_; }
  // Progress towards completion in [0, 1]: the largest of frames / frames-target and
  // span / duration, capped by frames / min_frames; 1 when complete.
  double progress() const;
  const ReferenceOptions& options() const { return options_; }

 private:
  bool done() const;

  ReferenceOptions options_;
  ReferenceState state_ = ReferenceState::kLearning;
  Stats learning_;
  std::shared_ptr<const BaselineStats> frozen_;
  int64_t start_ms_ = std::numeric_limits<int64_t>::min();
  int64_t end_ms_ = std::numeric_limits<int64_t>::min();
};

}  // namespace predwatch::core
