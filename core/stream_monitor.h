// StreamMonitor: everything predwatch keeps for one stream — its class registry, its
// windows and its exemplars — and the one entry point that applies a decoded event to
// them. The daemon holds one per stream; `predwatch replay` and the tests drive it directly.
//
// apply(event):
//   0. leaves out detections scored below min_confidence (counted), then keeps at most
//      max_detections_per_event detections (the most confident),
//   1-2. builds a Frame through the stream's class naming (core/frame_builder.h),
//   3. digests the frame once (core/stats.h) and offers the digest to every window (each
//      decides on its own whether it is late) and, while it learns, to the stream's learned
//      reference (core/reference_learner.h; every applied frame, late or not),
//   4. records the frame as an exemplar of what it contains.
// advance(now) moves every time window forward (time is an argument, never read here).
//
// Not thread-safe: the owner serialises apply(), advance() and every read.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "core/class_registry.h"
#include "core/event.h"
#include "core/exemplars.h"
#include "core/frame_builder.h"
#include "core/reference_learner.h"
#include "core/sliding_window.h"

namespace predwatch::core {

struct WindowSpec {
  std::string name;
  enum class Type { kTime, kCount };
  Type type = Type::kTime;
  int64_t length_ms = 300'000;  // kTime
  int64_t pane_ms = 10'000;     // kTime
  int64_t allowed_lateness_ms = 30'000;
  size_t frames = 10'000;  // kCount
};

struct StreamMonitorOptions {
  StatsLayout layout;
  size_t max_classes = 1000;
  // Detections of one event that enter the statistics: an event with more keeps its
  // highest-confidence ones (ties: the earlier one; detections without a confidence last).
  size_t max_detections_per_event = std::numeric_limits<size_t>::max();
  // Detections with a confidence below this are left out (ApplyResult::low_confidence_objects);
  // those without a confidence (kNoConfidence) are kept. 0: all kept.
  float min_confidence = 0;
  std::vector<WindowSpec> windows;  // REQUIRES non-empty, unique names
  // The exemplar index; its horizon is set from `windows` (frames no window can hold are let
  // go, core/exemplars.h), whatever is given here.
  ExemplarConfig exemplars;
  ClassNaming naming;  // class map and index names (core/frame_builder.h)
  // The learned reference's completion rule; nullopt: the stream learns no reference.
  std::optional<ReferenceOptions> reference;
};

struct ApplyResult {
  uint32_t late_windows = 0;            // how many windows rejected the frame as late
  uint32_t dropped_objects = 0;         // detections dropped by the class map
  uint32_t capped_objects = 0;          // detections beyond max_detections_per_event, left out
  uint32_t low_confidence_objects = 0;  // detections below min_confidence, left out
  bool reference_completed = false;     // this frame completed the learned reference
};

class StreamMonitor {
 public:
  // `seed_classes` fixes the first class ids (e.g. the baseline's class list).
  StreamMonitor(std::string stream, StreamMonitorOptions options,
                std::span<const std::string> seed_classes = {});

  ApplyResult apply(const Event& event);
  void advance(int64_t now_ms);

  const std::string& stream() const { return stream_; }
  size_t window_count() const { return windows_.size(); }
  const WindowSpec& spec(size_t i) const { return options_.windows[i]; }
  const Window& window(size_t i) const { return *windows_[i]; }
  // Index of the window called `name`, or -1.
  int find_window(std::string_view name) const;
  // Start of window i in event time (ms): for count windows, the oldest frame's time.
  int64_t window_start_ms(size_t i) const;
  int64_t window_end_ms(size_t i) const;
  // Covered fraction of the window's length (time) or capacity (count), in [0, 1].
  double fill_ratio(size_t i) const;
  // Where window i stands, in a unit of its own that only grows: its end in event time (ms)
  // for a time window, the frames applied so far for a count window (every applied frame
  // enters it). window_length(i) is the window's length in the same unit.
  double window_position(size_t i) const;
  double window_length(size_t i) const;

  // The learned reference; nullptr when options().reference is nullopt. The mutable one
  // is for pin() / restore() / reset() by the owner.
  const ReferenceLearner* reference() const { return reference_ ? &*reference_ : nullptr; }
  ReferenceLearner* reference() { return reference_ ? &*reference_ : nullptr; }

  const ClassRegistry& classes() const { return registry_; }
  const ExemplarIndex& exemplars() const { return exemplars_; }
  // Bytes of state held: the windows, the exemplar index and the learned reference's tables
  // (what grows with classes and frames; small fixed members are left out). O(windows).
  size_t bytes() const;
  const StreamMonitorOptions& options() const { return options_; }

  uint64_t applied_events() const { return applied_; }
  uint64_t dropped_objects() const { return dropped_objects_; }
  uint64_t capped_objects() const { return capped_objects_; }
  uint64_t low_confidence_objects() const { return low_confidence_objects_; }
  // Event time of the newest applied event; INT64_MIN before the first.
  int64_t last_event_ms() const { return last_event_ms_; }
  int64_t first_event_ms() const { return first_event_ms_; }

 private:
  std::string stream_;
  StreamMonitorOptions options_;
  ClassRegistry registry_;
  std::vector<std::unique_ptr<Window>> windows_;
  ExemplarIndex exemplars_;
  FrameBuilder builder_;
  std::optional<ReferenceLearner> reference_;
  Frame frame_;  // scratch, reused
  FrameDigester digester_;
  FrameDigest digest_;          // scratch: frame_'s digest, for every window and the reference
  std::vector<int64_t> times_;  // ring of the last frames' times, for count windows
  uint64_t applied_ = 0;
  uint64_t dropped_objects_ = 0;
  uint64_t capped_objects_ = 0;
  uint64_t low_confidence_objects_ = 0;
  Event capped_;  // scratch: an event cut down to max_detections_per_event
  int64_t last_event_ms_;
  int64_t first_event_ms_;
  int64_t now_ms_;
};

}  // namespace predwatch::core
