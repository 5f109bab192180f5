// ExemplarIndex: for each statistics cell, the most recent frames that contributed to it,
// so that a table cell can link to "the images behind it" (domain.md §2).
//
// Keys: a class; a co-occurring pair of classes; a (class, heatmap cell); a (class, objects
// count bucket) for buckets >= 1 (bucket 0, "frames without the class", has no exemplars);
// a (class, bin) of each per-object histogram: box width, height and area (size bins) and
// confidence (confidence bins; detections without a confidence touch none), binned exactly
// as the statistics bin them (StatsLayout).
// For every key the index keeps the sequence numbers of the last K frames that touched it
// (K = per_key). Frame ids live once, in a FIFO of the latest frames; an exemplar whose
// frame has left it is gone. Queries also skip frames older than the window start they are
// given. The FIFO holds at most `recent_frames` frames, and with a horizon (the stream's
// windows: horizon_ms, horizon_frames) it lets a frame go as soon as no window can hold it
// any more: when the frame is more than horizon_ms older than the newest frame added and
// more than horizon_frames frames back (a bound of 0 keeps no frame, unless both are 0: no
// horizon). So exemplars of
// a rare key survive as long as some window can show them, up to `recent_frames` frames.
// The FIFO's buffer grows as frames stay (by a quarter, up to recent_frames entries) and is
// not shrunk: a stream at 10 fps with a 1 h window holds ~36,000 entries, one at 1 fps with
// a 10,000-frame window 10,000, a new stream a few.
//
// Memory (bounded by the configuration): the frames held (at most recent_frames) * (24 bytes
// + the bytes of the id and image URI, kept one after the other in one buffer of at most
// 4 GiB (a frame whose text does not fit is held with an empty id and URI); up to 1.25x
// that while the buffers grow) + 4 * K * (C + C * heatmap_cells + C *
// max_objects_bucket + C * (3 * size_bins + confidence_bins) + tracked pairs). Pairs among classes
// with id < dense_pair_classes() (1024 by default) are indexed directly, allocated as classes
// arrive (10 MB at C = 1000, K = 5); other pairs go through a hash map holding at most
// max_hashed_pairs keys (further new pairs are not tracked and are counted in
// untracked_pair_updates()). Frames are numbered by a 32-bit sequence; when it would wrap
// (after 4.29e9 frames: 4.5 years at 30 fps) the index starts over, empty.
//
// Cost per frame: O(objects log objects + pairs of distinct classes); no allocation in
// steady state except when a new key is first tracked. Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/frame.h"
#include "core/stats_layout.h"

namespace predwatch::core {

struct ExemplarConfig {
  uint32_t per_key = 5;            // K
  uint32_t recent_frames = 65536;  // most frames whose ids are kept
  // The windows' reach (see above); both 0: no horizon, every frame stays for
  // recent_frames frames.
  int64_t horizon_ms = 0;              // the longest time window's length plus a pane
  uint64_t horizon_frames = 0;         // the largest count window's frames
  uint32_t dense_pair_limit = 524288;  // pairs indexed directly: all pairs of 1024 classes
  uint32_t max_hashed_pairs = 65536;   // further pairs, through a hash map
  uint32_t first_sequence = 0;         // the first frame's number - 1 (tests reach the wrap)
};

// The per-object histograms whose bins have exemplars.
enum class ObjectHistogram : uint8_t { kWidth, kHeight, kArea, kConfidence };

struct Exemplar {
  std::string frame_id;
  int64_t time_ms = 0;
  std::string image_uri;  // the frame's, empty when it had none
  bool operator==(const Exemplar&) const = default;
};

class ExemplarIndex {
 public:
  // REQUIRES: per_key >= 1, recent_frames >= 1, layout.check() is empty.
  explicit ExemplarIndex(const StatsLayout& layout = {}, const ExemplarConfig& config = {});

  // Records `frame` as the newest exemplar of every key it touches. Call it for the frames
  // a window accepted.
  void add(const Frame& frame);

  // Newest first, at most per_key, only frames with time_ms >= window_start_ms that are still
  // in the recent-frames ring.
  std::vector<Exemplar> for_class(ClassId c, int64_t window_start_ms) const;
  std::vector<Exemplar> for_pair(ClassId a, ClassId b, int64_t window_start_ms) const;
  std::vector<Exemplar> for_cell(ClassId c, uint32_t cell, int64_t window_start_ms) const;
  // REQUIRES: bucket >= 1 (see above).
  std::vector<Exemplar> for_count_bucket(ClassId c, uint32_t bucket, int64_t window_start_ms) const;
  // `bin` of the class's histogram `h`; none for a bin outside it.
  std::vector<Exemplar> for_histogram_bin(ClassId c, ObjectHistogram h, uint32_t bin,
                                          int64_t window_start_ms) const;
  // Bins of histogram `h` (the layout's size_bins or confidence_bins).
  uint32_t histogram_bins(ObjectHistogram h) const;

  uint32_t dense_pair_classes() const { return dense_classes_; }
  uint64_t untracked_pair_updates() const { return untracked_pairs_; }
  size_t bytes() const;

 private:
  using Seq = uint32_t;  // frame number; 0 = an empty slot
  // A held frame. Its frame id, then its image URI, are text_bytes bytes of text_ from
  // text_at (contiguous, never across the buffer's end).
  struct Recent {
    int64_t time_ms = 0;
    Seq seq = 0;
    uint32_t text_at = 0, text_bytes = 0;
    uint32_t id_bytes = 0;  // length of the frame id
  };
  void grow(uint32_t classes);
  void restart();
  // Drops the frames no window can hold once frame `seq` at time_ms is added (see above).
  void drop_stale(Seq seq, int64_t time_ms);
  // The held frame numbered `s`, or null.
  const Recent* held(Seq s) const;
  // Copies id + uri into text_ after the newest frame's text, growing text_ when it does
  // not fit, and sets text_at to its offset. False (nothing stored) when the held texts
  // would pass 4 GiB: the frame is then held with an empty id and URI.
  bool store_text(std::string_view id, std::string_view uri, uint32_t& text_at);
  // Frees the oldest held frame's text (call before dropping it from recent_).
  void free_oldest_text();
  void touch(std::vector<Seq>& slots, size_t key, Seq seq);
  std::vector<Exemplar> collect(const Seq* slots, int64_t window_start_ms) const;
  // Key of (class, histogram, bin) in histogram_slots_: per class, the width, height and
  // area bins, then the confidence bins.
  size_t histogram_key(ClassId c, ObjectHistogram h, uint32_t bin) const;

  StatsLayout layout_;
  ExemplarConfig config_;
  uint32_t dense_classes_;
  uint32_t num_classes_ = 0;
  Seq seq_ = 0;
  // The held frames, oldest first, in a circular buffer: recent_count_ entries from
  // recent_head_, numbered seq_ - recent_count_ + 1 ... seq_.
  std::vector<Recent> recent_;
  size_t recent_head_ = 0, recent_count_ = 0;
  int64_t newest_ms_;
  // The held frames' texts, oldest first, in a circular buffer: text_used_ bytes from
  // text_head_ (with the unused end a text skipped to start again at 0).
  std::vector<char> text_;
  size_t text_head_ = 0, text_used_ = 0;
  // Per-key rings of K sequence numbers (0 = empty), key-major.
  std::vector<Seq> class_slots_, cell_slots_, bucket_slots_, histogram_slots_, dense_pair_slots_;
  std::vector<Seq> hashed_pair_slots_;
  absl::flat_hash_map<uint64_t, uint32_t> hashed_pairs_;  // (a << 32 | b) -> key index
  uint64_t untracked_pairs_ = 0;
  std::vector<std::pair<ClassId, uint32_t>> scratch_;  // (class, cell) of the frame
};

}  // namespace predwatch::core
