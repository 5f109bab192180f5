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
//   Implementation: ring of panes plus `sum`, the int64 sum of every pane of the window (the
//   head's too), kept up to date by every change. The head pane is dense (uint32 counters, a
//   PartData); the closed panes are packed (core/packed_part.h: only the classes and bins
//   present). add() touches the frame's pane and `sum`: O(objects + pairs) twice. A late
//   frame into a packed pane unpacks it, and it stays dense while frames can still reach it
//   (pane >= pane_of(watermark - allowed_lateness)); it is packed again when the watermark or
//   the head moves past that. A pane rotation packs the head, subtracts the evicted (packed)
//   pane from `sum` and reuses the head's dense buffer for the new head: O(dense pane state).
//   totals() is `sum` itself; only its box-size min/max (which cannot be subtracted) are
//   recomputed from the panes when something changed since the last call: O(classes x
//   panes).
//   Memory: the dense head pane (plus any older pane a late frame reached, while frames can
//   still reach it), the packed panes, and one int64 copy of the tables (`sum`). At C = 80
//   (default layout) a dense pane is 134 KB and the int64 copy 264 KB, whereas a packed 10 s
//   pane of a real 10 fps stream is ~21 KB and a 1 min one ~42 KB (docs/BENCHMARKS.md
//   "Memory per stream (packed parts)"). The dense head and the int64 copy scale as C^2
//   (pair table); the packed panes as what the frames touched.
//
// CountWindow: exactly the last N frames. Keeps each frame's digest (see below) to subtract
// it when it drops out: add() is O(objects + pairs) twice. totals() recomputes the
// box-size min/max from the N stored digests when changed since the last call.
//   It also keeps `blocks` (default 16) block sub-totals: ring slot s belongs to block
//   s * blocks / N, so a block holds consecutive frames (the block the write position is in
//   holds the newest frames of the ring and the oldest ones: two runs of consecutive
//   frames). add() updates the frame's block too (O(objects + pairs) twice more). The block
//   being written is dense, the others packed: entering a block packs the one left and
//   unpacks the one entered, O(dense block state) every N / blocks frames.
//   The frames' digests are kept compactly: a ring of fixed-size entries (the frame-level
//   bins and how many objects and classes the frame has) and two FIFOs holding the objects
//   and the classes of the ring's frames in order, each one growing circular buffer (no
//   per-frame vectors: the oldest frame's objects are the first ones, popped into a scratch
//   digest to subtract it).
//   Memory: the digests (~300 bytes per frame of a COCO-like stream with ~7 objects: 28 per
//   object, 16 per class present, 24 per frame), one dense block, the packed blocks and the
//   int64 totals.
//
// Parts (both kinds): parts() lists the window's panes or blocks in time order, oldest
// first, as PackedParts; their counts sum to totals()'s. The dense head pane (or current
// block) is packed on the fly into a new PackedPart: one part type for the evaluator (a
// view type reading either form would put a branch in every read of the evaluator's inner
// loops), and an evaluation packs at most one or two dense parts per window, O(dense part
// state) each, far below the evaluation itself. Packed parts are immutable and shared
// (SharedPart): a pane that takes a late frame is unpacked into a new dense pane, and a
// pane or block that closes is packed into a new part, never into the one a reader may
// hold. So shared_parts() hands them out without copying, and a reader keeps them as long
// as it likes (the engine evaluates outside its lock, daemon/engine/monitor_engine.cc).
// The drift evaluator measures the dependence between frames from how much the parts
// differ (core/dispersion.h, docs/DRIFT.md "Correlated frames").
//
// Thread-compatible: one thread drives a window; totals() and parts() are const but fill a cache,
// so they must not run concurrently with anything else on the same window. The reference totals()
// returns stays valid (and changes) until the window is destroyed.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/frame.h"
#include "core/packed_part.h"
#include "core/stats.h"
#include "core/stats_layout.h"

namespace predwatch::core {

enum class AddResult { kAccepted, kLate };

// A packed part as a window holds it: immutable, shared with readers.
using SharedPart = std::shared_ptr<const PackedPart>;

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
  // replaced. Parts may be empty. The caller shares them: they stay as they are whatever
  // the window does next.
  virtual void shared_parts(std::vector<SharedPart>& out) const = 0;
  // The same as pointers, valid until the next parts() call or the window's destruction
  // (the window holds the parts meanwhile).
  void parts(std::vector<const PackedPart*>& out) const;
  virtual int64_t frames_in_window() const = 0;
  virtual uint64_t late_frames() const = 0;
  // Bytes of state held (sizeof the window plus vector capacities: dense and packed parts,
  // sums, caches, scratch).
  virtual size_t bytes() const = 0;

 protected:
  // Bytes of parts()'s list and of the parts in it the window does not hold (the dense
  // ones, packed).
  size_t held_bytes() const;
  // An empty part of `layout`, for panes and blocks that hold nothing.
  static SharedPart empty_part(const StatsLayout& layout);

 private:
  mutable std::vector<SharedPart> held_;  // parts(): what the pointers point to
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
  void shared_parts(std::vector<SharedPart>& out) const override;
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
  // A pane: packed, or dense while `dense` is set (then `packed` is empty_).
  struct Slot {
    SharedPart packed;
    std::unique_ptr<Pane> dense;
  };
  int64_t panes() const { return int64_t(slots_.size()); }
  int64_t pane_of(int64_t t) const;
  size_t slot_index(int64_t index) const { return size_t(((index % panes()) + panes()) % panes()); }
  Slot& slot_at(int64_t index) { return slots_[slot_index(index)]; }
  const Slot& slot_at(int64_t index) const { return slots_[slot_index(index)]; }
  const Pane& head_pane() const { return *slot_at(head_).dense; }
  // Pane `index` (inside the window, not the head) made dense: unpacked if packed.
  Pane& dense_old(int64_t index);
  // Packs the dense panes other than the head that no frame can reach any more.
  void pack_unreachable();
  void move_head(int64_t pane_index);
  bool late(int64_t t) const;
  AddResult add_accepted(int64_t t, const FrameDigest& digest);

  int64_t length_ms_, pane_ms_, lateness_ms_;
  std::vector<Slot> slots_;
  std::vector<int64_t> dense_old_;  // indices of the dense panes other than the head
  SharedPart empty_;                // what a pane that holds nothing points to
  // Every pane of the window summed; mutable for its box-size min/max only, which totals()
  // recomputes (see the file comment).
  mutable Stats sum_;
  bool started_ = false;
  int64_t head_ = 0;
  int64_t watermark_;
  uint64_t late_ = 0;
  uint64_t rotations_ = 0;
  FrameDigester digester_;
  FrameDigest digest_;
  mutable bool dirty_ = true;  // the min/max of `sum_` need recomputing
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
  void shared_parts(std::vector<SharedPart>& out) const override;
  int64_t frames_in_window() const override { return int64_t(count_); }
  uint64_t late_frames() const override { return 0; }
  size_t bytes() const override;
  size_t capacity() const { return ring_.size(); }
  // The part of bytes() that holds the frames' digests (ring entries and the FIFOs).
  size_t ring_bytes() const;

 private:
  size_t block_of(size_t slot) const { return slot * blocks_.size() / ring_.size(); }

  // A FIFO in one growing circular buffer (grows by 1.25x, never shrinks).
  template <class T>
  class Fifo {
   public:
    void push(std::span<const T> v);
    // out = the n oldest elements, removed. REQUIRES: n <= size().
    void pop(size_t n, std::vector<T>& out);
    template <class F>
    void for_each(F f) const {
      for (size_t k = 0, i = head_; k < size_; ++k, i = i + 1 == buf_.size() ? 0 : i + 1)
        f(buf_[i]);
    }
    // The k-th oldest element. REQUIRES: k < size().
    const T& at(size_t k) const {
      const size_t i = head_ + k;
      return buf_[i < buf_.size() ? i : i - buf_.size()];
    }
    size_t size() const { return size_; }
    size_t bytes() const { return buf_.capacity() * sizeof(T); }

   private:
    std::vector<T> buf_;
    size_t head_ = 0, size_ = 0;
  };
  // A frame of the ring: its digest less the objects and classes, which are in the FIFOs
  // (the ring's frames in order, oldest first).
  struct Entry {
    uint32_t objects = 0, classes = 0;
    uint32_t objects_bucket = 0, classes_bucket = 0, covered_bin = 0, class_limit = 0;
  };
  // An object of the ring: FrameDigest::Object less what is recomputed exactly. Its class
  // comes from the classes FIFO: a frame's objects are stored grouped by class, in the order
  // of its classes, `count` objects each. Its area is width * height, the float product
  // FrameDigester computes it as (Box::area). 20 bytes instead of 28.
  struct StoredObject {
    uint16_t cell;
    uint8_t confidence_bin, width_bin, height_bin, area_bin;
    float confidence, width, height;
  };
  static_assert(sizeof(StoredObject) == 20);
  static FrameDigest::Object restore(const StoredObject& s, ClassId c);
  // Appends the digest's objects to objects_, grouped by class.
  void push_objects(const FrameDigest& digest);
  // Every object of the ring, oldest first, restored: f(const FrameDigest::Object&).
  template <class F>
  void for_each_object(F f) const;

  std::vector<Entry> ring_;
  Fifo<StoredObject> objects_;
  Fifo<FrameDigest::Class> classes_;
  std::vector<StoredObject> stored_;  // scratch: a frame's objects on their way in or out
  std::vector<uint32_t> next_slot_;   // scratch: push_objects' position per class
  FrameDigest leaving_;               // scratch: the frame that drops out
  std::vector<SharedPart> blocks_;    // blocks_[current_block_] is empty_: current_ holds it
  PartData current_;                  // the block the write position is in, dense
  size_t current_block_ = 0;
  SharedPart empty_;  // what a block that holds nothing points to
  size_t next_ = 0, count_ = 0;
  FrameDigester digester_;
  FrameDigest digest_;  // scratch for add(frame)
  mutable Stats totals_;
  mutable bool dirty_ = true;
};

}  // namespace predwatch::core
