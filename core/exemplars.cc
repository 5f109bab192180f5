#include "core/exemplars.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace predwatch::core {

ExemplarIndex::ExemplarIndex(const StatsLayout& layout, const ExemplarConfig& config)
    : layout_(layout), config_(config) {
  assert(config.per_key >= 1 && config.recent_frames >= 1 && layout.check().empty());
  // Largest D with D*(D-1)/2 <= dense_pair_limit.
  uint32_t d = uint32_t(std::sqrt(2.0 * config.dense_pair_limit)) + 2;
  while (d > 0 && uint64_t(d) * (d - 1) / 2 > config.dense_pair_limit) --d;
  dense_classes_ = d;
  newest_ms_ = std::numeric_limits<int64_t>::min();
  seq_ = config.first_sequence;
}

void ExemplarIndex::restart() {
  for (auto* v : {&class_slots_, &cell_slots_, &bucket_slots_, &histogram_slots_,
                  &dense_pair_slots_, &hashed_pair_slots_}) {
    std::fill(v->begin(), v->end(), Seq(0));
  }
  recent_head_ = recent_count_ = 0;  // nothing held: held() finds no frame
  text_head_ = text_used_ = 0;
  seq_ = 0;
}

void ExemplarIndex::grow(uint32_t classes) {
  if (classes <= num_classes_) return;
  const size_t k = config_.per_key, c = classes;
  class_slots_.resize(c * k, 0);
  cell_slots_.resize(c * layout_.heatmap_cells() * k, 0);
  bucket_slots_.resize(c * layout_.max_objects_bucket * k, 0);
  histogram_slots_.resize(c * (3 * layout_.size_bins + layout_.confidence_bins) * k, 0);
  const size_t dc = std::min<size_t>(c, dense_classes_);
  dense_pair_slots_.resize(dc * (dc - 1) / 2 * k, 0);
  num_classes_ = classes;
}

// Overwrites the oldest of the key's K slots, unless this frame is already in it.
void ExemplarIndex::touch(std::vector<Seq>& slots, size_t key, Seq seq) {
  Seq* s = slots.data() + key * config_.per_key;
  size_t oldest = 0;
  for (size_t i = 0; i < config_.per_key; ++i) {
    if (s[i] == seq) return;
    if (s[i] < s[oldest]) oldest = i;
  }
  s[oldest] = seq;
}

bool ExemplarIndex::store_text(std::string_view id, std::string_view uri, uint32_t& text_at) {
  const size_t need = id.size() + uri.size();
  if (text_used_ == 0) text_head_ = 0;
  const size_t cap = text_.size();
  size_t tail = text_head_ + text_used_;
  if (tail >= cap) tail -= cap;
  text_at = uint32_t(tail);
  if (need == 0) return true;  // nothing to store (free_oldest_text skips 0 bytes)
  size_t at = tail, skip = 0;
  const bool wrapped = text_used_ > 0 && tail <= text_head_;  // free space: [tail, head)
  if (wrapped ? need <= text_head_ - tail : need <= cap - tail) {
    // fits at the tail
  } else if (!wrapped && need <= text_head_) {
    skip = cap - tail;  // the end is too short: start again at 0
    at = 0;
  } else {
    // Grow by a quarter (or to what is needed), the held texts moved to the front in order;
    // offsets are 32-bit, so never past 4 GiB.
    constexpr size_t kMaxText = std::numeric_limits<uint32_t>::max();
    if (text_used_ + need > kMaxText) return false;
    std::vector<char> grown(
        std::min(kMaxText, std::max({text_used_ + need, cap + cap / 4, size_t(256)})));
    size_t k = 0;
    for (size_t i = 0; i < recent_count_; ++i) {
      Recent& r = recent_[(recent_head_ + i) % recent_.size()];
      std::copy_n(text_.data() + r.text_at, r.text_bytes, grown.data() + k);
      r.text_at = uint32_t(k);
      k += r.text_bytes;
    }
    text_.swap(grown);
    text_head_ = 0;
    text_used_ = k;
    at = k;
  }
  std::copy(id.begin(), id.end(), text_.data() + at);
  std::copy(uri.begin(), uri.end(), text_.data() + at + id.size());
  text_used_ += skip + need;
  text_at = uint32_t(at);
  return true;
}

void ExemplarIndex::free_oldest_text() {
  const Recent& r = recent_[recent_head_];
  const size_t cap = text_.size();
  if (cap == 0) return;
  // The bytes from the head to the end of the oldest text: a skipped end, then its text.
  const size_t skip = r.text_at >= text_head_ ? r.text_at - text_head_ : cap - text_head_;
  assert(skip + r.text_bytes <= text_used_);
  text_used_ -= std::min(text_used_, skip + r.text_bytes);
  text_head_ = r.text_at + r.text_bytes;
  if (text_head_ >= cap) text_head_ -= cap;
}

void ExemplarIndex::drop_stale(Seq seq, int64_t time_ms) {
  newest_ms_ = std::max(newest_ms_, time_ms);
  const bool horizon = config_.horizon_ms > 0 || config_.horizon_frames > 0;
  while (recent_count_ > 0) {
    const Recent& oldest = recent_[recent_head_];
    bool drop = recent_count_ >= config_.recent_frames;
    if (!drop && horizon) {
      // newest_ms_ - oldest.time_ms <= horizon_ms, without overflow.
      const bool in_time =
          config_.horizon_ms > 0 &&
          (oldest.time_ms >= newest_ms_ ||
           uint64_t(newest_ms_) - uint64_t(oldest.time_ms) <= uint64_t(config_.horizon_ms));
      const bool in_count = seq - oldest.seq < config_.horizon_frames;
      drop = !in_time && !in_count;
    }
    if (!drop) return;
    free_oldest_text();
    recent_head_ = recent_head_ + 1 == recent_.size() ? 0 : recent_head_ + 1;
    --recent_count_;
  }
}

const ExemplarIndex::Recent* ExemplarIndex::held(Seq s) const {
  if (s == 0 || s > seq_ || seq_ - s >= recent_count_) return nullptr;
  const size_t i = (recent_head_ + recent_count_ - 1 - (seq_ - s)) % recent_.size();
  return recent_[i].seq == s ? &recent_[i] : nullptr;
}

void ExemplarIndex::add(const Frame& frame) {
  if (seq_ == std::numeric_limits<Seq>::max()) restart();
  const Seq seq = ++seq_;
  drop_stale(seq, frame.time_ms);
  if (recent_count_ == recent_.size()) {
    // Full: a quarter more room (at most recent_frames; a doubling would overshoot what a
    // window holds by up to 2x), the held frames moved to the front in order.
    const size_t room = std::min<size_t>(config_.recent_frames,
                                         std::max<size_t>(16, recent_.size() + recent_.size() / 4));
    std::vector<Recent> grown(room);
    for (size_t k = 0; k < recent_count_; ++k) {
      grown[k] = std::move(recent_[(recent_head_ + k) % recent_.size()]);
    }
    recent_.swap(grown);
    recent_head_ = 0;
  }
  uint32_t text_at = 0;
  const bool stored = store_text(frame.frame_id, frame.image_uri, text_at);
  Recent& r = recent_[(recent_head_ + recent_count_) % recent_.size()];
  ++recent_count_;
  r.seq = seq;
  r.time_ms = frame.time_ms;
  r.text_at = text_at;
  r.text_bytes = stored ? uint32_t(frame.frame_id.size() + frame.image_uri.size()) : 0;
  r.id_bytes = stored ? uint32_t(frame.frame_id.size()) : 0;

  scratch_.clear();
  uint32_t limit = 0;
  for (const Detection& d : frame.detections) {
    scratch_.emplace_back(d.class_id, layout_.heatmap_cell(d.box));
    limit = std::max(limit, d.class_id + 1);
  }
  grow(limit);
  for (const Detection& d : frame.detections) {
    // The bins FrameDigester::digest gives the object (core/stats.cc).
    const ClassId c = d.class_id;
    touch(histogram_slots_,
          histogram_key(c, ObjectHistogram::kWidth, layout_.size_bin(d.box.width())), seq);
    touch(histogram_slots_,
          histogram_key(c, ObjectHistogram::kHeight, layout_.size_bin(d.box.height())), seq);
    touch(histogram_slots_,
          histogram_key(c, ObjectHistogram::kArea, layout_.size_bin(d.box.area())), seq);
    if (d.has_confidence()) {
      touch(histogram_slots_,
            histogram_key(c, ObjectHistogram::kConfidence, layout_.confidence_bin(d.confidence)),
            seq);
    }
  }
  std::sort(scratch_.begin(), scratch_.end());
  const size_t cells = layout_.heatmap_cells();
  // Per (class, cell); then per class, its count bucket; classes are compacted in place to
  // the front of scratch_ for the pair loop.
  size_t m = 0;
  for (size_t i = 0; i < scratch_.size();) {
    const ClassId c = scratch_[i].first;
    size_t j = i;
    while (j < scratch_.size() && scratch_[j].first == c) {
      touch(cell_slots_, size_t(c) * cells + scratch_[j].second, seq);
      ++j;
    }
    touch(class_slots_, c, seq);
    const uint32_t bucket = StatsLayout::count_bucket(j - i, layout_.max_objects_bucket);
    touch(bucket_slots_, size_t(c) * layout_.max_objects_bucket + (bucket - 1), seq);
    scratch_[m++].first = c;
    i = j;
  }
  for (size_t j = 1; j < m; ++j) {
    const ClassId a = scratch_[j].first;
    for (size_t i = 0; i < j; ++i) {
      const ClassId b = scratch_[i].first;  // b < a
      if (a < dense_classes_) {
        touch(dense_pair_slots_, size_t(a) * (a - 1) / 2 + b, seq);
        continue;
      }
      const uint64_t key = uint64_t(a) << 32 | b;
      auto it = hashed_pairs_.find(key);
      if (it == hashed_pairs_.end()) {
        if (hashed_pairs_.size() >= config_.max_hashed_pairs) {
          ++untracked_pairs_;
          continue;
        }
        it = hashed_pairs_.emplace(key, uint32_t(hashed_pairs_.size())).first;
        hashed_pair_slots_.resize(hashed_pairs_.size() * config_.per_key, 0);
      }
      touch(hashed_pair_slots_, it->second, seq);
    }
  }
}

std::vector<Exemplar> ExemplarIndex::collect(const Seq* slots, int64_t window_start_ms) const {
  std::vector<Seq> seqs(slots, slots + config_.per_key);
  std::sort(seqs.rbegin(), seqs.rend());
  std::vector<Exemplar> out;
  for (Seq s : seqs) {
    if (s == 0) break;
    const Recent* r = held(s);
    if (!r || r->time_ms < window_start_ms) continue;
    const std::string_view text = r->text_bytes > 0
                                      ? std::string_view(text_.data() + r->text_at, r->text_bytes)
                                      : std::string_view();
    out.push_back({std::string(text.substr(0, r->id_bytes)), r->time_ms,
                   std::string(text.substr(r->id_bytes))});
  }
  return out;
}

std::vector<Exemplar> ExemplarIndex::for_class(ClassId c, int64_t window_start_ms) const {
  if (c >= num_classes_) return {};
  return collect(class_slots_.data() + size_t(c) * config_.per_key, window_start_ms);
}

std::vector<Exemplar> ExemplarIndex::for_pair(ClassId a, ClassId b, int64_t window_start_ms) const {
  if (a < b) std::swap(a, b);
  if (a == b || a >= num_classes_) return {};
  if (a < dense_classes_) {
    return collect(dense_pair_slots_.data() + (size_t(a) * (a - 1) / 2 + b) * config_.per_key,
                   window_start_ms);
  }
  auto it = hashed_pairs_.find(uint64_t(a) << 32 | b);
  if (it == hashed_pairs_.end()) return {};
  return collect(hashed_pair_slots_.data() + size_t(it->second) * config_.per_key, window_start_ms);
}

std::vector<Exemplar> ExemplarIndex::for_cell(ClassId c, uint32_t cell,
                                              int64_t window_start_ms) const {
  if (c >= num_classes_ || cell >= layout_.heatmap_cells()) return {};
  return collect(
      cell_slots_.data() + (size_t(c) * layout_.heatmap_cells() + cell) * config_.per_key,
      window_start_ms);
}

std::vector<Exemplar> ExemplarIndex::for_count_bucket(ClassId c, uint32_t bucket,
                                                      int64_t window_start_ms) const {
  assert(bucket >= 1);
  if (c >= num_classes_ || bucket < 1 || bucket > layout_.max_objects_bucket) return {};
  return collect(bucket_slots_.data() +
                     (size_t(c) * layout_.max_objects_bucket + bucket - 1) * config_.per_key,
                 window_start_ms);
}

uint32_t ExemplarIndex::histogram_bins(ObjectHistogram h) const {
  return h == ObjectHistogram::kConfidence ? layout_.confidence_bins : layout_.size_bins;
}

size_t ExemplarIndex::histogram_key(ClassId c, ObjectHistogram h, uint32_t bin) const {
  const size_t per_class = 3 * size_t(layout_.size_bins) + layout_.confidence_bins;
  return size_t(c) * per_class + size_t(h) * layout_.size_bins + bin;
}

std::vector<Exemplar> ExemplarIndex::for_histogram_bin(ClassId c, ObjectHistogram h, uint32_t bin,
                                                       int64_t window_start_ms) const {
  if (c >= num_classes_ || bin >= histogram_bins(h)) return {};
  return collect(histogram_slots_.data() + histogram_key(c, h, bin) * config_.per_key,
                 window_start_ms);
}

size_t ExemplarIndex::bytes() const {
  size_t n = sizeof(*this) + recent_.capacity() * sizeof(Recent) + text_.capacity();
  for (const auto* v : {&class_slots_, &cell_slots_, &bucket_slots_, &histogram_slots_,
                        &dense_pair_slots_, &hashed_pair_slots_}) {
    n += v->capacity() * sizeof(Seq);
  }
  n += hashed_pairs_.capacity() * (sizeof(uint64_t) + sizeof(uint32_t) + 1);
  return n;
}

}  // namespace predwatch::core
