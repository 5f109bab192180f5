#include "core/stream_monitor.h"

#include <algorithm>
#include <limits>

namespace predwatch::core {
namespace {

size_t longest_count_window(const std::vector<WindowSpec>& specs) {
  size_t n = 0;
  for (const auto& s : specs)
    if (s.type == WindowSpec::Type::kCount) n = std::max(n, s.frames);
  return n;
}

// The exemplar index's horizon: the reach of the stream's windows (core/exemplars.h).
ExemplarConfig with_window_horizon(ExemplarConfig config, const std::vector<WindowSpec>& specs) {
  config.horizon_ms = 0;
  config.horizon_frames = 0;
  for (const auto& s : specs) {
    if (s.type == WindowSpec::Type::kCount) {
      config.horizon_frames = std::max<uint64_t>(config.horizon_frames, s.frames);
    } else {
      config.horizon_ms = std::max(config.horizon_ms, s.length_ms + s.pane_ms);
    }
  }
  return config;
}

}  // namespace

StreamMonitor::StreamMonitor(std::string stream, StreamMonitorOptions options,
                             std::span<const std::string> seed_classes)
    : stream_(std::move(stream)),
      options_(std::move(options)),
      registry_(options_.max_classes, seed_classes),
      exemplars_(options_.layout, with_window_horizon(options_.exemplars, options_.windows)),
      builder_(options_.naming, registry_),
      times_(longest_count_window(options_.windows), 0),
      last_event_ms_(std::numeric_limits<int64_t>::min()),
      first_event_ms_(std::numeric_limits<int64_t>::min()),
      now_ms_(std::numeric_limits<int64_t>::min()) {
  if (options_.reference) reference_.emplace(*options_.reference, options_.layout);
  for (const WindowSpec& s : options_.windows) {
    if (s.type == WindowSpec::Type::kTime) {
      windows_.push_back(std::make_unique<TimeWindow>(s.length_ms, s.pane_ms, s.allowed_lateness_ms,
                                                      options_.layout));
    } else {
      windows_.push_back(std::make_unique<CountWindow>(s.frames, options_.layout));
    }
  }
}

ApplyResult StreamMonitor::apply(const Event& event) {
  ApplyResult r;
  const Event* in = &event;
  if (const float floor = options_.min_confidence; floor > 0) {
    auto low = [floor](const NamedDetection& d) {
      return d.confidence != kNoConfidence && d.confidence < floor;
    };
    if (std::any_of(event.detections.begin(), event.detections.end(), low)) {
      capped_ = event;
      r.low_confidence_objects = uint32_t(std::erase_if(capped_.detections, low));
      low_confidence_objects_ += r.low_confidence_objects;
      in = &capped_;
    }
  }
  if (const size_t cap = options_.max_detections_per_event; in->detections.size() > cap) {
    if (in != &capped_) capped_ = event;
    std::stable_sort(capped_.detections.begin(), capped_.detections.end(),
                     [](const NamedDetection& a, const NamedDetection& b) {
                       return a.confidence > b.confidence;
                     });
    r.capped_objects = uint32_t(capped_.detections.size() - cap);
    capped_.detections.resize(cap);
    capped_objects_ += r.capped_objects;
    in = &capped_;
  }
  r.dropped_objects = builder_.build(*in, frame_);
  dropped_objects_ += r.dropped_objects;
  digester_.digest(frame_, options_.layout, digest_);
  for (auto& w : windows_)
    if (w->add_digest(frame_.time_ms, digest_) == AddResult::kLate) ++r.late_windows;
  if (reference_ && !reference_->complete())
    r.reference_completed = reference_->add(frame_.time_ms, digest_, registry_.names());
  if (r.late_windows < windows_.size()) exemplars_.add(frame_);
  if (!times_.empty()) times_[applied_ % times_.size()] = event.time_ms;
  ++applied_;
  if (first_event_ms_ == std::numeric_limits<int64_t>::min()) first_event_ms_ = event.time_ms;
  last_event_ms_ = std::max(last_event_ms_, event.time_ms);
  return r;
}

size_t StreamMonitor::bytes() const {
  size_t total = sizeof(*this) + exemplars_.bytes();
  for (const auto& w : windows_) total += w->bytes();
  if (reference_) total += reference_->stats().bytes();
  return total;
}

void StreamMonitor::advance(int64_t now_ms) {
  now_ms_ = std::max(now_ms_, now_ms);
  for (auto& w : windows_) w->advance(now_ms);
}

int StreamMonitor::find_window(std::string_view name) const {
  for (size_t i = 0; i < options_.windows.size(); ++i)
    if (options_.windows[i].name == name) return int(i);
  return -1;
}

int64_t StreamMonitor::window_start_ms(size_t i) const {
  if (auto* tw = dynamic_cast<const TimeWindow*>(windows_[i].get())) return tw->window_start_ms();
  const uint64_t in_window = std::min<uint64_t>(applied_, options_.windows[i].frames);
  if (in_window == 0) return 0;
  return times_[(applied_ - in_window) % times_.size()];
}

int64_t StreamMonitor::window_end_ms(size_t i) const {
  if (auto* tw = dynamic_cast<const TimeWindow*>(windows_[i].get())) return tw->window_end_ms();
  return applied_ ? last_event_ms_ + 1 : 0;
}

double StreamMonitor::window_position(size_t i) const {
  return options_.windows[i].type == WindowSpec::Type::kCount ? double(applied_)
                                                              : double(window_end_ms(i));
}

double StreamMonitor::window_length(size_t i) const {
  const WindowSpec& s = options_.windows[i];
  return s.type == WindowSpec::Type::kCount ? double(s.frames) : double(s.length_ms);
}

double StreamMonitor::fill_ratio(size_t i) const {
  const WindowSpec& s = options_.windows[i];
  if (s.type == WindowSpec::Type::kCount) {
    return double(windows_[i]->frames_in_window()) / double(std::max<size_t>(s.frames, 1));
  }
  if (applied_ == 0) return 0.0;
  // Covered share of the window: from the first event (or the window start, if later)
  // to the window's end.
  const int64_t start = window_start_ms(i), end = window_end_ms(i);
  const int64_t covered = end - std::max(start, first_event_ms_);
  return std::clamp(double(covered) / double(s.length_ms), 0.0, 1.0);
}

}  // namespace predwatch::core
