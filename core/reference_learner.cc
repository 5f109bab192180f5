#include "core/reference_learner.h"

#include <algorithm>

namespace predwatch::core {

std::string_view reference_state_name(ReferenceState state) {
  switch (state) {
    case ReferenceState::kComplete:
      return "complete";
    case ReferenceState::kPinned:
      return "pinned";
    default:
      return "learning";
  }
}

ReferenceLearner::ReferenceLearner(const ReferenceOptions& options, const StatsLayout& layout)
    : options_(options), learning_(layout) {}

bool ReferenceLearner::done() const {
  const uint64_t n = uint64_t(learning_.frames());
  if (n < std::max<uint64_t>(options_.min_frames, 1)) return false;
  if (options_.frames == 0 && options_.duration_ms <= 0) return true;
  if (options_.frames > 0 && n >= options_.frames) return true;
  return options_.duration_ms > 0 && end_ms_ - start_ms_ >= options_.duration_ms;
}

bool ReferenceLearner::add(int64_t time_ms, const FrameDigest& digest,
                           std::span<const std::string> class_names) {
  if (complete()) return false;
  learning_.apply(digest, +1, true);
  if (start_ms_ == std::numeric_limits<int64_t>::min()) {
    start_ms_ = end_ms_ = time_ms;
  } else {
    start_ms_ = std::min(start_ms_, time_ms);
    end_ms_ = std::max(end_ms_, time_ms);
  }
  if (!done()) return false;
  const size_t c = learning_.num_classes();
  std::vector<std::string> names(class_names.begin(),
                                 class_names.begin() + std::min(c, class_names.size()));
  for (size_t i = names.size(); i < c; ++i) names.push_back("#" + std::to_string(i));
  const StatsLayout layout = learning_.layout();
  frozen_ = std::make_shared<const BaselineStats>(
      BaselineStats{std::move(learning_), std::move(names), BaselineKind::kProductionWindow});
  learning_ = Stats(layout);
  state_ = ReferenceState::kComplete;
  return true;
}

void ReferenceLearner::pin(const Stats& stats, std::vector<std::string> class_names,
                           int64_t start_ms, int64_t end_ms) {
  const size_t c = stats.num_classes();
  class_names.resize(std::min(c, class_names.size()));
  for (size_t i = class_names.size(); i < c; ++i) class_names.push_back("#" + std::to_string(i));
  restore(BaselineStats{stats, std::move(class_names), BaselineKind::kProductionWindow}, start_ms,
          end_ms, ReferenceState::kPinned);
}

void ReferenceLearner::restore(BaselineStats reference, int64_t start_ms, int64_t end_ms,
                               ReferenceState state) {
  reference.kind = BaselineKind::kProductionWindow;
  learning_ = Stats(reference.stats.layout());
  frozen_ = std::make_shared<const BaselineStats>(std::move(reference));
  start_ms_ = start_ms;
  end_ms_ = end_ms;
  state_ = state == ReferenceState::kPinned ? ReferenceState::kPinned : ReferenceState::kComplete;
}

void ReferenceLearner::reset() {
  learning_ = Stats(learning_.layout());
  frozen_.reset();
  start_ms_ = end_ms_ = std::numeric_limits<int64_t>::min();
  state_ = ReferenceState::kLearning;
}

double ReferenceLearner::progress() const {
  if (complete()) return 1.0;
  const double n = double(learning_.frames());
  double p = 0;
  if (options_.frames > 0) p = std::max(p, n / double(options_.frames));
  if (options_.duration_ms > 0 && start_ms_ != std::numeric_limits<int64_t>::min())
    p = std::max(p, double(end_ms_ - start_ms_) / double(options_.duration_ms));
  if (options_.frames == 0 && options_.duration_ms <= 0) p = 1.0;
  if (options_.min_frames > 0) p = std::min(p, n / double(options_.min_frames));
  return std::clamp(p, 0.0, 1.0);
}

}  // namespace predwatch::core
