#include "core/sliding_window.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace predwatch::core {

namespace {

// `dense`, packed into a new shared part.
SharedPart pack_new(const PartData& dense) {
  auto p = std::make_shared<PackedPart>();
  p->pack(dense);
  p->shrink_to_fit();
  return p;
}

}  // namespace

// ---- Window -------------------------------------------------------------------------------

void Window::parts(std::vector<const PackedPart*>& out) const {
  shared_parts(held_);
  out.clear();
  for (const SharedPart& p : held_) out.push_back(p.get());
}

size_t Window::held_bytes() const {
  size_t n = held_.capacity() * sizeof(SharedPart);
  // A part only parts()'s list holds is a dense pane or block packed for it.
  for (const SharedPart& p : held_)
    if (p.use_count() == 1) n += sizeof(PackedPart) + p->bytes();
  return n;
}

SharedPart Window::empty_part(const StatsLayout& layout) {
  auto p = std::make_shared<PackedPart>();
  p->clear(layout);
  p->shrink_to_fit();
  return p;
}

// ---- TimeWindow ---------------------------------------------------------------------------

TimeWindow::TimeWindow(int64_t length_ms, int64_t pane_ms, int64_t allowed_lateness_ms,
                       const StatsLayout& layout)
    : length_ms_(length_ms),
      pane_ms_(pane_ms),
      lateness_ms_(allowed_lateness_ms),
      empty_(empty_part(layout)),
      sum_(layout),
      watermark_(std::numeric_limits<int64_t>::min()) {
  assert(pane_ms > 0 && length_ms > 0 && length_ms % pane_ms == 0 && allowed_lateness_ms >= 0);
  slots_.resize(size_t(length_ms / pane_ms));
  for (Slot& s : slots_) s.packed = empty_;
  // The head pane is always dense (before the first frame, head_ = 0).
  slots_[0].dense = std::make_unique<Pane>();
  slots_[0].dense->layout = layout;
  slots_[0].dense->init();
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
  digester_.digest(frame, sum_.layout(), digest_);
  return add_accepted(frame.time_ms, digest_);
}

AddResult TimeWindow::add_digest(int64_t time_ms, const FrameDigest& digest) {
  if (late(time_ms)) {
    ++late_;
    return AddResult::kLate;
  }
  return add_accepted(time_ms, digest);
}

TimeWindow::Pane& TimeWindow::dense_old(int64_t index) {
  Slot& s = slot_at(index);
  if (!s.dense) {
    s.dense = std::make_unique<Pane>();
    s.packed->unpack(*s.dense);
    s.packed = empty_;  // a reader may still hold the packed pane: it stays as it was
    dense_old_.push_back(index);
  }
  return *s.dense;
}

void TimeWindow::pack_unreachable() {
  if (dense_old_.empty()) return;
  // The oldest pane a frame can still be added to (see late()).
  int64_t reachable = head_ - panes() + 1;
  if (watermark_ != std::numeric_limits<int64_t>::min())
    reachable = std::max(reachable, pane_of(watermark_ - lateness_ms_));
  for (size_t i = 0; i < dense_old_.size();) {
    if (dense_old_[i] >= reachable) {
      ++i;
      continue;
    }
    Slot& s = slot_at(dense_old_[i]);
    s.packed = pack_new(*s.dense);
    s.dense.reset();
    dense_old_[i] = dense_old_.back();
    dense_old_.pop_back();
  }
}

AddResult TimeWindow::add_accepted(int64_t t, const FrameDigest& digest) {
  const int64_t p = pane_of(t);
  if (!started_) {
    started_ = true;
    std::unique_ptr<Pane> head = std::move(slot_at(head_).dense);
    head_ = p;
    slot_at(head_).dense = std::move(head);
  } else if (p > head_) {
    move_head(p);
  }
  watermark_ = std::max(watermark_, t);
  if (p == head_) {
    apply_digest(*slot_at(head_).dense, digest, +1, true);
  } else {
    // A late frame into an older pane: that pane stays dense while frames can reach it.
    apply_digest(dense_old(p), digest, +1, true);
  }
  sum_.apply(digest, +1, false);
  pack_unreachable();
  dirty_ = true;
  return AddResult::kAccepted;
}

void TimeWindow::advance(int64_t now_ms) {
  const int64_t p = pane_of(now_ms);
  if (!started_) {
    started_ = true;
    std::unique_ptr<Pane> head = std::move(slot_at(head_).dense);
    head_ = p;
    slot_at(head_).dense = std::move(head);
    dirty_ = true;
  } else if (p > head_) {
    move_head(p);
  }
}

void TimeWindow::move_head(int64_t p) {
  dirty_ = true;
  if (p - head_ >= panes()) {
    // Nothing of the old window stays.
    std::unique_ptr<Pane> head = std::move(slot_at(head_).dense);
    for (Slot& s : slots_) {
      s.dense.reset();
      s.packed = empty_;
    }
    dense_old_.clear();
    head->zero();
    sum_.clear();
    rotations_ += uint64_t(std::min<int64_t>(p - head_, panes()));
    head_ = p;
    slot_at(head_).dense = std::move(head);
    return;
  }
  while (head_ < p) {
    // The head closes: packed (it is in `sum` already); its dense buffer becomes the new head.
    Slot& closing = slot_at(head_);
    closing.packed = pack_new(*closing.dense);
    std::unique_ptr<Pane> head = std::move(closing.dense);
    ++head_;
    Slot& leaving = slot_at(head_);  // holds pane head_ - n
    if (leaving.dense) {
      sum_.merge(*leaving.dense, -1);
      leaving.dense.reset();
      std::erase(dense_old_, head_ - panes());
    } else {
      leaving.packed->add_to(sum_.d_, -1);
    }
    leaving.packed = empty_;
    head->zero();
    leaving.dense = std::move(head);
    ++rotations_;
  }
  pack_unreachable();
}

const Stats& TimeWindow::totals() const {
  if (dirty_) {
    StatsData& v = sum_.d_;
    v.reset_min_max();
    for (const Slot& s : slots_) {
      if (s.dense) {
        v.combine_min_max(*s.dense);
      } else {
        s.packed->combine_min_max_into(v);
      }
    }
    dirty_ = false;
  }
  return sum_;
}

void TimeWindow::shared_parts(std::vector<SharedPart>& out) const {
  out.clear();
  if (!started_) return;
  for (int64_t i = head_ - panes() + 1; i <= head_; ++i) {
    const Slot& s = slot_at(i);
    out.push_back(s.dense ? pack_new(*s.dense) : s.packed);
  }
}

int64_t TimeWindow::frames_in_window() const { return sum_.frames(); }

size_t TimeWindow::bytes() const {
  size_t n = sizeof(*this) + sum_.bytes() + slots_.capacity() * sizeof(Slot) +
             dense_old_.capacity() * sizeof(int64_t) + empty_->bytes() + held_bytes();
  for (const Slot& s : slots_) {
    if (s.packed != empty_) n += sizeof(PackedPart) + s.packed->bytes();
    if (s.dense) n += sizeof(Pane) + s.dense->bytes();
  }
  return n;
}

// ---- CountWindow --------------------------------------------------------------------------

CountWindow::CountWindow(size_t capacity, const StatsLayout& layout, size_t blocks)
    : ring_(capacity),
      blocks_(std::min(blocks, capacity)),
      empty_(empty_part(layout)),
      totals_(layout) {
  assert(capacity >= 1);
  for (SharedPart& b : blocks_) b = empty_;
  current_.layout = layout;
  current_.init();
}

AddResult CountWindow::add(const Frame& frame) {
  digester_.digest(frame, totals_.layout(), digest_);
  return add_digest(frame.time_ms, digest_);
}

template <class T>
void CountWindow::Fifo<T>::push(std::span<const T> v) {
  if (size_ + v.size() > buf_.size()) {
    // Grow and straighten: the elements move to the front, oldest first.
    std::vector<T> b(std::max({size_ + v.size(), buf_.size() + buf_.size() / 4, size_t(64)}));
    size_t k = 0;
    for_each([&](const T& x) { b[k++] = x; });
    buf_.swap(b);
    head_ = 0;
  }
  size_t tail = head_ + size_;
  if (tail >= buf_.size()) tail -= buf_.size();
  for (const T& x : v) {
    buf_[tail] = x;
    tail = tail + 1 == buf_.size() ? 0 : tail + 1;
  }
  size_ += v.size();
}

template <class T>
void CountWindow::Fifo<T>::pop(size_t n, std::vector<T>& out) {
  assert(n <= size_);
  out.clear();
  for (size_t k = 0; k < n; ++k) {
    out.push_back(buf_[head_]);
    head_ = head_ + 1 == buf_.size() ? 0 : head_ + 1;
  }
  size_ -= n;
}

FrameDigest::Object CountWindow::restore(const StoredObject& s, ClassId c) {
  return {.class_id = c,
          .cell = s.cell,
          .confidence_bin = s.confidence_bin,
          .width_bin = s.width_bin,
          .height_bin = s.height_bin,
          .area_bin = s.area_bin,
          .confidence = s.confidence,
          .width = s.width,
          .height = s.height,
          .area = s.width * s.height};
}

void CountWindow::push_objects(const FrameDigest& digest) {
  const std::vector<FrameDigest::Class>& classes = digest.classes;  // ascending class ids
  next_slot_.resize(classes.size());
  uint32_t start = 0;
  for (size_t k = 0; k < classes.size(); ++k) {
    next_slot_[k] = start;
    start += classes[k].count;
  }
  stored_.resize(digest.objects.size());
  for (const FrameDigest::Object& o : digest.objects) {
    const auto it =
        std::lower_bound(classes.begin(), classes.end(), o.class_id,
                         [](const FrameDigest::Class& cl, ClassId id) { return cl.class_id < id; });
    stored_[next_slot_[size_t(it - classes.begin())]++] = {
        o.cell,     o.confidence_bin, o.width_bin, o.height_bin,
        o.area_bin, o.confidence,     o.width,     o.height};
  }
  objects_.push(stored_);
}

template <class F>
void CountWindow::for_each_object(F f) const {
  size_t k = 0;
  classes_.for_each([&](const FrameDigest::Class& cl) {
    for (uint32_t j = 0; j < cl.count; ++j) f(restore(objects_.at(k++), cl.class_id));
  });
}

AddResult CountWindow::add_digest(int64_t, const FrameDigest& digest) {
  Entry& slot = ring_[next_];
  PartData* block = nullptr;
  if (!blocks_.empty()) {
    const size_t b = block_of(next_);
    if (b != current_block_) {
      // The write position enters block b: the block it leaves is packed, b unpacked.
      blocks_[current_block_] = pack_new(current_);
      blocks_[b]->unpack(current_);
      blocks_[b] = empty_;  // a reader may still hold the packed block
      current_block_ = b;
    }
    block = &current_;
  }
  if (count_ == ring_.size()) {
    // Slot next_ holds the oldest frame: its objects and classes are the FIFOs' first.
    objects_.pop(slot.objects, stored_);
    classes_.pop(slot.classes, leaving_.classes);
    leaving_.objects.clear();
    size_t k = 0;
    for (const FrameDigest::Class& cl : leaving_.classes)
      for (uint32_t j = 0; j < cl.count; ++j)
        leaving_.objects.push_back(restore(stored_[k++], cl.class_id));
    leaving_.objects_bucket = slot.objects_bucket;
    leaving_.classes_bucket = slot.classes_bucket;
    leaving_.covered_bin = slot.covered_bin;
    leaving_.class_limit = slot.class_limit;
    totals_.apply(leaving_, -1, false);
    if (block) apply_digest(*block, leaving_, -1, false);
  }
  push_objects(digest);
  classes_.push(digest.classes);
  slot.objects = uint32_t(digest.objects.size());
  slot.classes = uint32_t(digest.classes.size());
  slot.objects_bucket = digest.objects_bucket;
  slot.classes_bucket = digest.classes_bucket;
  slot.covered_bin = digest.covered_bin;
  slot.class_limit = digest.class_limit;
  totals_.apply(digest, +1, false);
  if (block) apply_digest(*block, digest, +1, false);
  next_ = next_ + 1 == ring_.size() ? 0 : next_ + 1;
  if (count_ < ring_.size()) ++count_;
  dirty_ = true;
  return AddResult::kAccepted;
}

const Stats& CountWindow::totals() const {
  if (dirty_) {
    StatsData& d = totals_.d_;
    d.reset_min_max();
    for_each_object([&d](const FrameDigest::Object& o) { fold_min_max(d, o); });
    dirty_ = false;
  }
  return totals_;
}

void CountWindow::shared_parts(std::vector<SharedPart>& out) const {
  out.clear();
  if (blocks_.empty()) return;
  // Before the ring is full, slot 0 holds the oldest frame; after, slot next_ does (and its
  // block also holds the newest frames, written just before it).
  const size_t first = count_ == ring_.size() ? block_of(next_) : 0;
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const size_t b = (first + i) % blocks_.size();
    out.push_back(b == current_block_ ? pack_new(current_) : blocks_[b]);
  }
}

size_t CountWindow::ring_bytes() const {
  return ring_.capacity() * sizeof(Entry) + objects_.bytes() + classes_.bytes() +
         stored_.capacity() * sizeof(StoredObject) + next_slot_.capacity() * sizeof(uint32_t) +
         leaving_.objects.capacity() * sizeof(FrameDigest::Object) +
         leaving_.classes.capacity() * sizeof(FrameDigest::Class);
}

size_t CountWindow::bytes() const {
  size_t n = sizeof(*this) + totals_.bytes() + ring_bytes() + current_.bytes() +
             blocks_.capacity() * sizeof(SharedPart) + empty_->bytes() + held_bytes();
  for (const SharedPart& b : blocks_)
    if (b != empty_) n += sizeof(PackedPart) + b->bytes();
  return n;
}

}  // namespace predwatch::core
