// Sliding windows over frames, each keeping the Stats of exactly the frames inside it.
//
// TimeWindow: event-time window of `length_ms`, made of length_ms / pane_ms panes. Pane k
// holds frames with time in [k*pane_ms, (k+1)*pane_ms). The head pane is the one holding
// max(watermark, latest advance() time); the window is the n panes ending at the head, so it
// covers [window_start_ms(), window_end_ms()), between length - pane and length of time
// behind the head. The watermark is the largest event time accepted so far.
//   A frame is Late (counted, not added) when its time is older than
//   watermark - allowed_lateness_ms, or before window_start_ms(). Otherwise it is added to
//   its pane, and a frame newer than the head moves the head (evicting panes).
//   advance(now_ms) moves the head to now_ms's pane (never backwards); now is an argument,
//   the window never reads a clock.
//   Implementation: ring of dense panes (uint32 counters) plus `closed`, the int64 sum of
//   the window's panes other than the head. add() touches only the frame's pane (and
//   `closed` for a late-but-accepted frame in an older pane): O(objects + pairs). A pane
//   rotation folds the head into `closed`, subtracts the evicted pane and zeroes it:
//   O(pane state). totals() materialises closed + head (and the panes' box-size min/max)
//   into a cached Stats when something changed since the last call: O(state).
//   Memory: n panes at 4-byte counters plus two int64 copies (closed, cached view); at the
//   default layout about 3.5 MB per pane at C = 1000 (the C(C+1)/2 pair table is 2 MB of
//   it): 217 MB for 60 panes, measured (docs/BENCHMARKS.md). It scales as n * C^2.
//
// CountWindow: exactly the last N frames. Keeps each frame's FrameDigest in a ring to
// subtract it when it drops out: add() is O(objects + pairs) twice. totals() recomputes the
// box-size min/max from the N stored digests when changed since the last call.
//   It also keeps `blocks` (default 16) block sub-totals: ring slot s belongs to block
//   s * blocks / N, so a block holds consecutive frames (the block the write position is in
//   holds the newest frames of the ring and the oldest ones: two runs of consecutive
//   frames). add() updates the frame's block too (O(objects + pairs) twice more).
//   Memory: blocks x pane state (uint32 counters), e.g. 16 x 3.5 MB at C = 1000.
//
// Parts (both kinds): parts() lists the window's panes or blocks in time order, oldest
// first; their counts sum to totals()'s. The drift evaluator measures the dependence
// between frames from how much the parts differ (core/dispersion.h, docs/DRIFT.md
// "Correlated frames").
//
// Thread-compatible: one thread drives a window; totals() is const but fills a cache, so
// it must not run concurrently with anything else on the same window. The returned
// reference stays valid (and changes) until the window is destroyed.
#pragma once

#include <cstdint>
#include <vector>

#include "core/frame.h"
#include "core/stats.h"
#include "core/stats_layout.h"

namespace predwatch::core {

enum class AddResult { kAccepted, kLate };

// What callers need from any window.
class Window {
 public:
  virtual ~Window() = default;
  virtual AddResult add(const Frame& frame) = 0;
  // The same with the frame already digested (FrameDigester with this window's layout):
  // the stream digests each frame once for all its windows and its learned reference.
  virtual AddResult add_digest(int64_t time_ms, const FrameDigest& digest) = 0;
  // Moves an event-time window forward to now_ms; no-op for count windows.
  virtual void advance(int64_t now_ms) = 0;
  virtual const Stats& totals() const = 0;
  // The window's parts in time order, oldest first (see the file comment); `out` is
  // replaced. The pointers stay valid until the next non-const call. Parts may be empty.
  virtual void parts(std::vector<const PartData*>& out) const = 0;
  virtual int64_t frames_in_window() const = 0;
  virtual uint64_t late_frames() const = 0;
  // Bytes of state held (vector capacities).
  virtual size_t bytes() const = 0;
};

class TimeWindow final : public Window {
 public:
  // REQUIRES: pane_ms > 0, length_ms > 0, length_ms % pane_ms == 0,
  //           allowed_lateness_ms >= 0, layout.check() is empty.
  TimeWindow(int64_t length_ms, int64_t pane_ms, int64_t allowed_lateness_ms,
             const StatsLayout& layout = {});

  AddResult add(const Frame& frame) override;
  AddResult add_digest(int64_t time_ms, const FrameDigest& digest) override;
  void advance(int64_t now_ms) override;
  const Stats& totals() const override;
  void parts(std::vector<const PartData*>& out) const override;
  int64_t frames_in_window() const override;
  uint64_t late_frames() const override { return late_; }
  size_t bytes() const override;

  // Before the first add/advance both are 0.
  int64_t window_start_ms() const { return started_ ? (head_ - panes() + 1) * pane_ms_ : 0; }
  int64_t window_end_ms() const { return started_ ? (head_ + 1) * pane_ms_ : 0; }
  // Largest accepted event time; INT64_MIN before the first accepted frame.
  int64_t watermark_ms() const { return watermark_; }
  int64_t length_ms() const { return length_ms_; }
  int64_t pane_ms() const { return pane_ms_; }
  int64_t allowed_lateness_ms() const { return lateness_ms_; }
  // Pane rotations so far (each costs O(pane state)).
  uint64_t rotations() const { return rotations_; }

 private:
  using Pane = BasicStatsData<uint32_t>;
  int64_t panes() const { return int64_t(panes_.size()); }
  int64_t pane_of(int64_t t) const;
  Pane& pane_at(int64_t index) { return panes_[size_t(((index % panes()) + panes()) % panes())]; }
  void move_head(int64_t pane_index);
  bool late(int64_t t) const;
  AddResult add_accepted(int64_t t, const FrameDigest& digest);

  int64_t length_ms_, pane_ms_, lateness_ms_;
  std::vector<Pane> panes_;
  Stats closed_;
  bool started_ = false;
  int64_t head_ = 0;
  int64_t watermark_;
  uint64_t late_ = 0;
  uint64_t rotations_ = 0;
  FrameDigester digester_;
  FrameDigest digest_;
  mutable Stats view_;
  mutable bool dirty_ = true;
};

class CountWindow final : public Window {
 public:
  // REQUIRES: capacity >= 1, layout.check() is empty. `blocks` is capped at capacity;
  // 0 keeps no blocks (parts() then lists nothing).
  explicit CountWindow(size_t capacity, const StatsLayout& layout = {}, size_t blocks = 16);

  // Always kAccepted.
  AddResult add(const Frame& frame) override;
  AddResult add_digest(int64_t time_ms, const FrameDigest& digest) override;
  void advance(int64_t) override {}
  const Stats& totals() const override;
  void parts(std::vector<const PartData*>& out) const override;
  int64_t frames_in_window() const override { return int64_t(count_); }
  uint64_t late_frames() const override { return 0; }
  size_t bytes() const override;
  size_t capacity() const { return ring_.size(); }

 private:
  size_t block_of(size_t slot) const { return slot * blocks_.size() / ring_.size(); }

  std::vector<FrameDigest> ring_;
  std::vector<PartData> blocks_;
  size_t next_ = 0, count_ = 0;
  FrameDigester digester_;
  FrameDigest digest_;  // scratch for add(frame)
  mutable Stats totals_;
  mutable bool dirty_ = true;
};

}  // namespace predwatch::core
