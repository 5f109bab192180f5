#include "daemon/engine/event_time_evaluator.h"

#include <cassert>

namespace predwatch::daemon {
namespace {

// Largest multiple of `step` that is <= t (t may be negative).
int64_t floor_to(int64_t t, int64_t step) {
  const int64_t q = t / step;
  return (t % step < 0 ? q - 1 : q) * step;
}

}  // namespace

EventTimeEvaluator::EventTimeEvaluator(MonitorEngine& engine, int64_t interval_ms,
                                       EvaluatedCallback on_evaluated, uint64_t max_catchup_ticks)
    : engine_(engine),
      interval_ms_(interval_ms),
      on_evaluated_(std::move(on_evaluated)),
      max_catchup_ticks_(max_catchup_ticks) {
  assert(interval_ms > 0 && max_catchup_ticks >= 1);
}

void EventTimeEvaluator::evaluate_at(int64_t tick_ms) {
  const auto t0 = std::chrono::steady_clock::now();
  const EvaluationSummary summary = engine_.evaluate(tick_ms);
  ++evaluations_;
  applied_since_evaluation_ = false;
  if (on_evaluated_) on_evaluated_(tick_ms, summary, std::chrono::steady_clock::now() - t0);
}

void EventTimeEvaluator::evaluate_until(int64_t time_ms) {
  if (next_tick_ms_ == std::numeric_limits<int64_t>::min()) {
    next_tick_ms_ = floor_to(time_ms, interval_ms_) + interval_ms_;
    return;
  }
  if (time_ms < next_tick_ms_) return;
  // Ticks next_tick_ms_ .. last, all <= time_ms; unsigned arithmetic: the gap can be huge.
  const int64_t last = floor_to(time_ms, interval_ms_);
  const uint64_t ticks = (uint64_t(last) - uint64_t(next_tick_ms_)) / uint64_t(interval_ms_) + 1;
  if (ticks > max_catchup_ticks_) {
    skipped_ticks_ += ticks - max_catchup_ticks_;
    next_tick_ms_ = last - int64_t(max_catchup_ticks_ - 1) * interval_ms_;
  }
  for (; next_tick_ms_ <= last; next_tick_ms_ += interval_ms_) evaluate_at(next_tick_ms_);
}

SinkResult EventTimeEvaluator::apply(const core::Event& event, const EventOrigin& origin) {
  if (!engine_.accepts_time(event, origin.message_time_ms)) return engine_.apply(event, origin);
  evaluate_until(event.time_ms);
  applied_since_evaluation_ = true;
  return engine_.apply(event, origin);
}

SinkResult EventTimeEvaluator::apply(const core::Event& event) {
  if (!engine_.accepts_time(event, -1)) return engine_.apply(event);
  evaluate_until(event.time_ms);
  applied_since_evaluation_ = true;
  return engine_.apply(event);
}

void EventTimeEvaluator::on_partitions_assigned(std::span<const TopicPartition> partitions) {
  engine_.on_partitions_assigned(partitions);
}

void EventTimeEvaluator::on_partitions_revoked(std::span<const TopicPartition> partitions) {
  engine_.on_partitions_revoked(partitions);
}

void EventTimeEvaluator::on_partition_rebuilt(const TopicPartition& partition) {
  engine_.on_partition_rebuilt(partition);
}

void EventTimeEvaluator::finish() {
  if (next_tick_ms_ == std::numeric_limits<int64_t>::min()) return;
  if (!applied_since_evaluation_ && evaluations_ > 0) return;
  evaluate_at(next_tick_ms_);
  next_tick_ms_ += interval_ms_;
}

}  // namespace predwatch::daemon
