#include "core/sliding_window.h"

#include <cassert>
#include <limits>

namespace predwatch::core {

// ---- TimeWindow ---------------------------------------------------------------------------

TimeWindow::TimeWindow(int64_t length_ms, int64_t pane_ms, int64_t allowed_lateness_ms,
                       const StatsLayout& layout)
    : length_ms_(length_ms),
      pane_ms_(pane_ms),
      lateness_ms_(allowed_lateness_ms),
      closed_(layout),
      watermark_(std::numeric_limits<int64_t>::min()),
      view_(layout) {
  assert(pane_ms > 0 && length_ms > 0 && length_ms % pane_ms == 0 && allowed_lateness_ms >= 0);
  panes_.resize(size_t(length_ms / pane_ms));
  for (Pane& p : panes_) {
    p.layout = layout;
    p.init();
  }
}

int64_t TimeWindow::pane_of(int64_t t) const {
  int64_t q = t / pane_ms_;
  if (t % pane_ms_ != 0 && t < 0) --q;  // floor division
  return q;
}

bool TimeWindow::late(int64_t t) const {
  if (!started_) return false;
  const bool too_old =
      watermark_ != std::numeric_limits<int64_t>::min() && t < watermark_ - lateness_ms_;
  return too_old || pane_of(t) < head_ - panes() + 1;
}

AddResult TimeWindow::add(const Frame& frame) {
  if (late(frame.time_ms)) {
    ++late_;
    return AddResult::kLate;
  }
  digester_.digest(frame, closed_.layout(), digest_);
  return add_accepted(frame.time_ms, digest_);
}

AddResult TimeWindow::add_digest(int64_t time_ms, const FrameDigest& digest) {
  if (late(time_ms)) {
    ++late_;
    return AddResult::kLate;
  }
  return add_accepted(time_ms, digest);
}

AddResult TimeWindow::add_accepted(int64_t t, const FrameDigest& digest) {
  const int64_t p = pane_of(t);
  if (!started_) {
    started_ = true;
    head_ = p;
  } else if (p > head_) {
    move_head(p);
  }
  watermark_ = std::max(watermark_, t);
  apply_digest(pane_at(p), digest, +1, true);
  if (p != head_) closed_.apply(digest, +1, false);
  dirty_ = true;
  return AddResult::kAccepted;
}

void TimeWindow::advance(int64_t now_ms) {
  const int64_t p = pane_of(now_ms);
  if (!started_) {
    started_ = true;
    head_ = p;
    dirty_ = true;
  } else if (p > head_) {
    move_head(p);
  }
}

void TimeWindow::move_head(int64_t p) {
  dirty_ = true;
  if (p - head_ >= panes()) {
    // Nothing of the old window stays.
    for (Pane& pane : panes_) pane.zero();
    closed_.clear();
    rotations_ += uint64_t(std::min<int64_t>(p - head_, panes()));
    head_ = p;
    return;
  }
  while (head_ < p) {
    closed_.merge(pane_at(head_), +1);
    ++head_;
    Pane& leaving = pane_at(head_);  // holds pane head_ - n
    closed_.merge(leaving, -1);
    leaving.zero();
    ++rotations_;
  }
}

const Stats& TimeWindow::totals() const {
  if (dirty_) {
    StatsData& v = view_.d_;
    v = closed_.d_;
    const Pane& head = panes_[size_t(((head_ % panes()) + panes()) % panes())];
    merge_data(v, head, +1);
    v.reset_min_max();
    for (const Pane& pane : panes_) v.combine_min_max(pane);
    dirty_ = false;
  }
  return view_;
}

void TimeWindow::parts(std::vector<const PartData*>& out) const {
  out.clear();
  if (!started_) return;
  const int64_t n = panes();
  for (int64_t i = head_ - n + 1; i <= head_; ++i)
    out.push_back(&panes_[size_t(((i % n) + n) % n)]);
}

int64_t TimeWindow::frames_in_window() const {
  const Pane& head = panes_[size_t(((head_ % panes()) + panes()) % panes())];
  return closed_.frames() + int64_t(head.frames);
}

size_t TimeWindow::bytes() const {
  size_t n = sizeof(*this) + closed_.bytes() + view_.bytes();
  for (const Pane& p : panes_) n += p.bytes() + sizeof(Pane);
  return n;
}

// ---- CountWindow --------------------------------------------------------------------------

CountWindow::CountWindow(size_t capacity, const StatsLayout& layout, size_t blocks)
    : ring_(capacity), blocks_(std::min(blocks, capacity)), totals_(layout) {
  assert(capacity >= 1);
  for (PartData& b : blocks_) {
    b.layout = layout;
    b.init();
  }
}

AddResult CountWindow::add(const Frame& frame) {
  digester_.digest(frame, totals_.layout(), digest_);
  return add_digest(frame.time_ms, digest_);
}

AddResult CountWindow::add_digest(int64_t, const FrameDigest& digest) {
  FrameDigest& slot = ring_[next_];
  PartData* block = blocks_.empty() ? nullptr : &blocks_[block_of(next_)];
  if (count_ == ring_.size()) {
    totals_.apply(slot, -1, false);
    if (block) apply_digest(*block, slot, -1, false);
  }
  slot = digest;
  totals_.apply(slot, +1, false);
  if (block) apply_digest(*block, slot, +1, false);
  next_ = next_ + 1 == ring_.size() ? 0 : next_ + 1;
  if (count_ < ring_.size()) ++count_;
  dirty_ = true;
  return AddResult::kAccepted;
}

const Stats& CountWindow::totals() const {
  if (dirty_) {
    StatsData& d = totals_.d_;
    d.reset_min_max();
    for (size_t i = 0; i < count_; ++i) {
      for (const FrameDigest::Object& o : ring_[i].objects) {
        const size_t c = o.class_id;
        d.width_min[c] = std::min(d.width_min[c], o.width);
        d.width_max[c] = std::max(d.width_max[c], o.width);
        d.height_min[c] = std::min(d.height_min[c], o.height);
        d.height_max[c] = std::max(d.height_max[c], o.height);
        d.box_area_min[c] = std::min(d.box_area_min[c], o.area);
        d.box_area_max[c] = std::max(d.box_area_max[c], o.area);
      }
    }
    dirty_ = false;
  }
  return totals_;
}

void CountWindow::parts(std::vector<const PartData*>& out) const {
  out.clear();
  if (blocks_.empty()) return;
  // Before the ring is full, slot 0 holds the oldest frame; after, slot next_ does (and its
  // block also holds the newest frames, written just before it).
  const size_t first = count_ == ring_.size() ? block_of(next_) : 0;
  for (size_t i = 0; i < blocks_.size(); ++i) out.push_back(&blocks_[(first + i) % blocks_.size()]);
}

size_t CountWindow::bytes() const {
  size_t n = sizeof(*this) + totals_.bytes() + ring_.capacity() * sizeof(FrameDigest);
  for (const PartData& b : blocks_) n += b.bytes() + sizeof(PartData);
  for (const FrameDigest& g : ring_) {
    n += g.objects.capacity() * sizeof(FrameDigest::Object) +
         g.classes.capacity() * sizeof(FrameDigest::Class);
  }
  return n;
}

}  // namespace predwatch::core
