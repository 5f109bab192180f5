// EventTimeEvaluator: drives MonitorEngine::evaluate() from the events' own time instead of
// a wall clock. It is the one evaluation schedule of `predwatch replay`, and predwatchd's
// when drift.evaluation_clock is `event`, so a backtest and the daemon judge a recorded
// stream at the same instants and page alike.
//
// Ticks are the multiples of `interval_ms` in event time. Before an event whose time is at
// or past the next tick is applied, the engine is evaluated at that tick (and at every
// further tick the event passes), so an evaluation sees exactly the events before it. The
// first event sets the first tick: the multiple of the interval just after it. finish()
// evaluates once more at the next tick (the end of a recording).
//
// A jump of more than `max_catchup_ticks` ticks (a recording gap, or a timestamp in the
// wrong unit) evaluates only the last max_catchup_ticks of them: enough for every window to
// empty and every alert to settle, without hours of empty evaluations. Events older than
// the last tick are applied as they come (the windows decide whether they are late). An
// event the engine rejects for clock skew (MonitorEngine::accepts_time) moves no tick.
//
// `on_evaluated(tick_ms, summary, took)` (optional) runs after each evaluation, on the
// applying thread, with what evaluate() returned and how long it took.
//
// Thread-safety: apply() and finish() from one thread at a time (the consumer thread, or
// replay's); the engine itself is thread-safe for its other readers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>

#include "daemon/engine/monitor_engine.h"
#include "daemon/ingest/event_sink.h"

namespace predwatch::daemon {

class EventTimeEvaluator final : public EventSink {
 public:
  static constexpr uint64_t kDefaultMaxCatchupTicks = 10'000;

  // REQUIRES: interval_ms > 0, max_catchup_ticks >= 1.
  using EvaluatedCallback = std::function<void(int64_t tick_ms, const EvaluationSummary& summary,
                                               std::chrono::steady_clock::duration took)>;

  EventTimeEvaluator(MonitorEngine& engine, int64_t interval_ms,
                     EvaluatedCallback on_evaluated = {},
                     uint64_t max_catchup_ticks = kDefaultMaxCatchupTicks);

  SinkResult apply(const core::Event& event, const EventOrigin& origin) override;
  SinkResult apply(const core::Event& event);
  void on_partitions_assigned(std::span<const TopicPartition> partitions) override;
  void on_partitions_revoked(std::span<const TopicPartition> partitions) override;
  void on_partition_rebuilt(const TopicPartition& partition) override;

  // Evaluates at the next tick if any event was applied since the last evaluation, or if
  // none ever was evaluated; no-op before the first event.
  void finish();

  // The next tick (ms); INT64_MIN before the first event.
  int64_t next_tick_ms() const { return next_tick_ms_; }
  uint64_t evaluations() const { return evaluations_; }
  // Ticks skipped by the catch-up bound.
  uint64_t skipped_ticks() const { return skipped_ticks_; }

 private:
  void evaluate_until(int64_t time_ms);
  void evaluate_at(int64_t tick_ms);

  MonitorEngine& engine_;
  const int64_t interval_ms_;
  const EvaluatedCallback on_evaluated_;
  const uint64_t max_catchup_ticks_;
  int64_t next_tick_ms_ = std::numeric_limits<int64_t>::min();
  uint64_t evaluations_ = 0;
  uint64_t skipped_ticks_ = 0;
  bool applied_since_evaluation_ = false;
};

}  // namespace predwatch::daemon
