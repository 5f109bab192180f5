// KafkaSource: the high-level Kafka consumer that feeds decoded prediction events to an
// EventSink (event_sink.h), at least once.
//
// Behaviour:
//  - Joins `group_id`, subscribes to `topics`, cooperative-sticky assignment by default
//    (any librdkafka property can be passed through `properties`, applied last).
//  - At-least-once: enable.auto.offset.store=false and enable.auto.commit=false; the offset
//    of a message (+1) is stored only after the sink has returned for it (or after a bad
//    event was counted and dead-lettered); stored offsets are committed every
//    `commit_interval`, on every revoke and on shutdown.
//  - Window rebuild: each newly assigned partition starts at offsetsForTimes(now -
//    rebuild_horizon_ms) (no such offset -> the end), after the sink was told to reset the
//    streams of those partitions. Progress per partition: the target is the high watermark
//    at assignment; the partition is caught up once the consumer has passed it (or hit the
//    partition end). rebuild_progress().complete is what health reports wait for.
//    rebuild_horizon_ms == 0 disables the replay: partitions resume from committed offsets.
//  - Bad events (decode errors, see decode_result.h; payloads over `max_message_bytes`,
//    which are not decoded at all; events over `max_detections_per_event`) are counted by
//    reason, logged at most
//    once per `bad_event_log_interval` per reason (with the number suppressed), and, when
//    `dead_letter_topic` is set, produced there unchanged (same key and payload) with
//    headers predwatch-reason, predwatch-error and predwatch-source ("topic/partition@offset").
//    Events the sink rejects are copied too (predwatch-reason: the sink's reason). A rebuild
//    does not copy again what lies below the group's committed offset at assignment.
//    A bad event's offset (and every later offset of its partition) is stored only once
//    the broker acknowledged its copy: a copy whose delivery failed is produced again (each
//    failure counted in dead_letter_errors and logged), so a dead-letter topic that refuses
//    copies holds the partition's committed offset back (its lag grows) instead of losing
//    the bad event. At shutdown unacknowledged copies are given 5 s; after that their
//    events are read again by the next owner. A copy too large for the producer or broker
//    goes without its payload (header predwatch-payload-omitted: the size).
//  - Unknown fields: a JSON event's fields that are not part of a PredictionEvent are
//    ignored, counted per (topic, field) and logged once per (topic, field) with the usual
//    meaning of the name when it has one ("detections[].score: did you mean
//    detections[].confidence?"): a `score` ignored turns predictions into ground truth.
//  - "Stream moved": counts events whose stream was last seen on another partition (the
//    producers do not key by stream, or the partition count changed).
//  - Lag per assigned partition from librdkafka statistics (statistics.interval.ms).
//  - Kerberos (SASL GSSAPI) with librdkafka < 2.11 on a broker without JoinGroup v0, i.e.
//    Kafka 4.0.0 (never authenticates, librdkafka #4948; daemon/ingest/broker_compat.h):
//    detected by an ApiVersions probe of the bootstrap servers (SASL_PLAINTEXT only);
//    reported once as an error naming broker, librdkafka version and fix; run() then
//    returns and fatal_error() holds the message. Other configurations need no JoinGroup v0.
//
// Threads: run() consumes on the calling thread (or start() runs it on an owned thread);
// every EventSink call happens on that thread. request_stop(), stop() and the snapshot
// accessors (counters, rebuild_progress, lag, fatal_error) are thread-safe.
// Shutdown: stop() finishes the message in hand, commits stored offsets, closes the
// consumer (revoking its partitions through the sink) and flushes the dead-letter producer.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/ingest/decode_result.h"
#include "daemon/ingest/event_mapping.h"
#include "daemon/ingest/event_sink.h"

namespace predwatch::daemon {

struct KafkaSourceOptions {
  std::string bootstrap_servers;    // required (unless properties set test.mock.num.brokers)
  std::string group_id;             // required
  std::vector<std::string> topics;  // required, literal names
  // librdkafka configuration passed through verbatim, applied after predwatch's defaults.
  // enable.auto.offset.store must not be set to true (it would break at-least-once).
  std::map<std::string, std::string> properties;

  Encoding default_encoding = Encoding::kJson;  // messages without a content-type header
  std::map<std::string, Encoding, std::less<>> topic_encodings;  // per-topic default
  std::vector<EventMapping> mappings;  // JSON of these topics is decoded by their mapping

  // Longest window + allowed lateness. 0: no replay on assignment.
  int64_t rebuild_horizon_ms = 0;

  std::string dead_letter_topic;  // empty: bad events are only counted and logged
  // The dead-letter producer's own librdkafka settings, applied after the connection settings
  // it takes from `properties` (security.*, sasl.*, ssl.*, client.id) and its linger.ms 5:
  // e.g. queue.buffering.max.messages (a full queue makes the source wait, never drop).
  std::map<std::string, std::string> dead_letter_properties;

  // Payloads larger than this are bad events (message_too_large) without being decoded;
  // events with more detections than max_detections_per_event are bad events
  // (too_many_detections). 0: no limit.
  size_t max_message_bytes = 0;
  size_t max_detections_per_event = 0;

  std::chrono::milliseconds commit_interval{5000};
  std::chrono::milliseconds statistics_interval{5000};  // 0: no statistics, lag() stays empty
  std::chrono::milliseconds poll_timeout{100};
  std::chrono::milliseconds bad_event_log_interval{10000};
  std::chrono::milliseconds broker_timeout{10000};  // offsetsForTimes and watermark queries
  bool check_broker_compatibility = true;

  // Wall clock (ms since the epoch) for the rebuild horizon; default std::chrono::system_clock.
  std::function<int64_t()> now_ms;
};

// Tries of the offsets-for-times lookup of a rebuild before a partition gives it up.
inline constexpr int kRebuildLookupAttempts = 3;

struct KafkaSourceCounters {
  uint64_t messages = 0;  // messages consumed (good and bad)
  uint64_t applied = 0;
  uint64_t rejected = 0;  // by the sink
  std::map<std::string, uint64_t, std::less<>> rejected_by_reason;
  std::array<uint64_t, kDecodeErrorCount> bad_events{};  // index: DecodeError
  uint64_t dead_lettered = 0;
  uint64_t dead_letter_errors = 0;
  uint64_t stream_moved = 0;
  uint64_t consumer_errors = 0;  // errors reported by librdkafka (broker down, ...)
  uint64_t commits = 0;
  uint64_t commit_errors = 0;
  // Partitions whose rebuild could not look up the horizon's offset (offsets-for-times
  // failed kRebuildLookupAttempts times): they resumed from the committed offset, so their
  // windows start incomplete.
  uint64_t rebuild_lookup_errors = 0;
  // Messages a rebuild skipped: between a partition's committed offset and the horizon's
  // offset, when the consumer was further behind than the horizon (never applied; their
  // events are older than any time window reaches).
  uint64_t rebuild_skipped_messages = 0;
  uint64_t partitions_assigned = 0;
  uint64_t partitions_revoked = 0;
  // JSON events carrying fields that are not part of a PredictionEvent (ignored): per
  // (topic, field path as EventDecoder::unknown_fields lists it), the events that had it.
  // At most kMaxUnknownFieldKeys keys; further ones are counted under ("*", "*").
  std::map<std::pair<std::string, std::string>, uint64_t> unknown_fields;
  static constexpr size_t kMaxUnknownFieldKeys = 64;
};

struct PartitionRebuild {
  TopicPartition partition;
  int64_t start_offset = -1;   // where the replay started (-1: committed offset / unknown)
  int64_t target_offset = -1;  // high watermark at assignment (-1: unknown, wait for the end)
  int64_t next_offset = -1;    // offset after the last message handled
  bool caught_up = false;
};

struct RebuildProgress {
  bool assigned = false;  // the group has assigned partitions (possibly none) at least once
  bool complete = false;  // assigned and every assigned partition caught up
  std::vector<PartitionRebuild> partitions;
};

struct PartitionLag {
  TopicPartition partition;
  int64_t high_watermark = -1;
  int64_t stored_offset = -1;
  int64_t committed_offset = -1;
  int64_t lag = -1;            // high watermark - stored offset (librdkafka consumer_lag_stored)
  int64_t committed_lag = -1;  // high watermark - committed offset (consumer_lag)
};

struct LagSnapshot {
  int64_t updated_ms = 0;   // wall time of the statistics, 0 before the first
  std::string group_state;  // librdkafka cgrp state ("up" once joined)
  std::vector<PartitionLag> partitions;
};

class KafkaSource {
 public:
  // Validates the options and creates the consumer (and the dead-letter producer); nullptr
  // with `error` set on failure. `sink` must outlive the source.
  static std::unique_ptr<KafkaSource> Create(KafkaSourceOptions options, EventSink& sink,
                                             std::string& error);
  ~KafkaSource();  // stop()
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  // Consumes until request_stop() (or a fatal error), then commits and closes. Once only.
  void run();
  void start();  // run() on an owned thread
  void request_stop();
  void stop();  // request_stop() and wait for the owned thread (no-op when not started)

  KafkaSourceCounters counters() const;
  RebuildProgress rebuild_progress() const;
  LagSnapshot lag() const;
  std::optional<std::string> fatal_error() const;

  // librdkafka's version string, e.g. "2.0.2".
  static std::string librdkafka_version();

 private:
  struct Impl;
  explicit KafkaSource(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace predwatch::daemon
