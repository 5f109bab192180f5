// Where a source delivers decoded events: the seam between Kafka ingestion and the
// per-stream windows. The source calls every method from its one consumer thread, in
// order; a sink need not be thread-safe against the source (but must guard what it shares
// with other threads, such as scrapes).
//
// Delivery contract (KafkaSource):
//  - on_partitions_assigned(parts) comes before any event of those partitions. The source
//    then replays each of them from (now - rebuild horizon), so the sink must drop any
//    state it holds for streams of those partitions: the replay rebuilds it from scratch.
//  - apply() is called once per message, in offset order within a partition. Its return
//    value is final: applied or rejected, the offset is stored afterwards (at-least-once:
//    after a crash the sink sees some events again, which the rebuild-from-scratch makes
//    harmless).
//  - on_partitions_revoked(parts) after the last event of those partitions; the sink drops
//    the streams that live on them (another consumer now owns them).
//  - on_partition_rebuilt(part) once per assignment, when the partition has caught up with
//    its rebuild target (the high watermark at assignment; at once when there is nothing to
//    replay): its streams' windows now hold everything of the horizon. Events before it
//    carry EventOrigin::rebuilding.
#pragma once

#include <compare>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/event.h"

namespace predwatch::daemon {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;

  friend bool operator==(const TopicPartition&, const TopicPartition&) = default;
  friend auto operator<=>(const TopicPartition&, const TopicPartition&) = default;
};

// Where an event came from. Views are valid for the duration of the apply() call.
struct EventOrigin {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  // What the event time's skew is bounded against: the Kafka message timestamp, or the wall
  // clock at consumption when that is earlier or the message has none; -1: neither (replay).
  int64_t message_time_ms = -1;
  bool rebuilding = false;  // the partition has not yet caught up with its rebuild target
};

// The sink's verdict on one event. `reason` is a short static label ("late",
// "unknown_class", ...) usable as a metric label; it must outlive the source.
struct SinkResult {
  bool applied = true;
  std::string_view reason;

  static SinkResult Applied() { return {}; }
  static SinkResult Rejected(std::string_view reason) { return {false, reason}; }
};

class EventSink {
 public:
  virtual ~EventSink() = default;

  // `event` (and its string views) is valid only during the call.
  virtual SinkResult apply(const core::Event& event, const EventOrigin& origin) = 0;

  virtual void on_partitions_assigned(std::span<const TopicPartition> partitions) = 0;
  virtual void on_partitions_revoked(std::span<const TopicPartition> partitions) = 0;
  virtual void on_partition_rebuilt(const TopicPartition& /*partition*/) {}
};

}  // namespace predwatch::daemon
