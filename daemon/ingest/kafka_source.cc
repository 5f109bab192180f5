#include "daemon/ingest/kafka_source.h"

#include <absl/container/flat_hash_map.h>
#include <fmt/ranges.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>
#include <strings.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "daemon/ingest/broker_compat.h"
#include "daemon/ingest/event_decoders.h"
#include "daemon/ingest/kafka_headers.h"

namespace predwatch::daemon {

namespace {

using SteadyClock = std::chrono::steady_clock;

int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> split_servers(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    const size_t b = item.find_first_not_of(" \t");
    const size_t e = item.find_last_not_of(" \t");
    if (b == std::string::npos) continue;
    item = item.substr(b, e - b + 1);
    if (const size_t scheme = item.find("://"); scheme != std::string::npos) {
      item = item.substr(scheme + 3);
    }
    out.push_back(item);
  }
  return out;
}

// Frees the TopicPartition pointers of a librdkafka C++ partition vector.
struct PartitionVector {
  std::vector<RdKafka::TopicPartition*> v;
  ~PartitionVector() { RdKafka::TopicPartition::destroy(v); }
};

}  // namespace

struct KafkaSource::Impl final : public RdKafka::RebalanceCb,
                                 public RdKafka::EventCb,
                                 public RdKafka::DeliveryReportCb {
  Impl(KafkaSourceOptions o, EventSink& s)
      : options(std::move(o)),
        sink(s),
        decoders(options.default_encoding, options.topic_encodings, options.mappings) {
    if (!options.now_ms) options.now_ms = system_now_ms;
  }

  // The consumer's destructor would close it and call back into members declared after it;
  // close it while they still exist.
  ~Impl() override {
    if (consumer && !closed) consumer->close();
    consumer.reset();
    dead_letter_producer.reset();
  }

  // --- configuration -------------------------------------------------------------------
  bool configure(std::string& error);

  // --- consumer thread -----------------------------------------------------------------
  void run();
  void handle_message(RdKafka::Message& msg);
  // Counts the last decode's unknown fields; logs each (topic, field) the first time.
  void count_unknown_fields(std::string_view topic);
  // `copied`: the event's dead-letter copy was acknowledged before (see copied_before).
  void handle_bad_event(RdKafka::Message& msg, const DecodeResult& result, bool copied);
  // Copies msg to the dead-letter topic with headers predwatch-reason (`reason`),
  // predwatch-error (`error`) and predwatch-source.
  void dead_letter(RdKafka::Message& msg, std::string_view reason, std::string_view error);
  // Whether a bad or rejected event at `offset` of (topic, partition) was handled (and its
  // copy acknowledged) by an earlier owner: below the group's committed offset at
  // assignment. A rebuild replays such events; they are not copied again.
  bool copied_before(std::string_view topic, int32_t partition, int64_t offset) const;
  // Counts (and logs) the messages between the partition's committed offset and the offset
  // its rebuild starts from (r.start_offset): a consumer further behind than the horizon
  // skips them.
  void count_skipped_backlog(const PartitionRebuild& r);
  // Dead letters in flight: a copy keeps what it takes to produce it again.
  struct DeadLetterCopy {
    TopicPartition source;
    int64_t offset = 0;
    uint64_t epoch = 0;  // the HeldOffsets entry it holds back
    std::string payload, key;
    bool has_key = false;
    OwnedHeaders headers;
  };
  // A copy too large for the producer or the broker is sent without its payload (header
  // predwatch-payload-omitted: its size), so that one message cannot stall a partition;
  // the original stays in the source topic (predwatch-source). False when already omitted.
  static bool omit_payload(DeadLetterCopy& copy);
  // Per source partition with copies in flight: how many, and the newest offset handled
  // since the first of them (-1: none yet), stored once they are all acknowledged.
  struct HeldOffsets {
    uint32_t pending = 0;
    int64_t offset = -1;
    uint64_t epoch = 0;
  };
  // Produces `copy` (its ownership goes to librdkafka's opaque until the delivery report);
  // waits while the producer's queue is full; false when stopping before it could.
  bool produce_copy(DeadLetterCopy* copy);
  void dr_cb(RdKafka::Message& report) override;  // delivery reports, from poll()
  // Counts a copy that could not be produced or was not delivered; logs at a limited rate.
  void dead_letter_failed(const DeadLetterCopy& copy, const std::string& error);
  void produce_retries();
  // Stores offset `offset` of (topic, partition) as handled, or holds it back while a
  // dead-letter copy of that partition is in flight.
  void store_offset(rd_kafka_message_t* raw, std::string_view topic);
  void store_held(const TopicPartition& tp, int64_t offset);
  void maybe_commit(bool force);
  // The result of an asynchronous commit (served by consume() on the consumer thread).
  static void async_commit_done(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                rd_kafka_topic_partition_list_t* offsets, void* opaque);
  // Counts a commit that failed, logs it at a limited rate, and has the next one retry.
  void commit_failed(RdKafka::ErrorCode e);
  bool check_compatibility();

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override;
  void assign(RdKafka::KafkaConsumer* consumer, std::vector<RdKafka::TopicPartition*>& parts);
  void revoke(RdKafka::KafkaConsumer* consumer, std::vector<RdKafka::TopicPartition*>& parts);
  void event_cb(RdKafka::Event& event) override;
  void parse_statistics(const std::string& json);

  // Index into `partitions` of (topic, partition), or -1. Consumer thread only, but the
  // vector itself is guarded by `mu` because snapshots read it.
  int find_partition(std::string_view topic, int32_t partition) const;

  KafkaSourceOptions options;
  EventSink& sink;
  EventDecoders decoders;
  core::Event event;  // reused
  std::unique_ptr<RdKafka::KafkaConsumer> consumer;
  std::unique_ptr<RdKafka::Producer> dead_letter_producer;
  bool cooperative = true;
  bool compatibility_checked = false;
  SteadyClock::time_point next_compat_probe{};
  SteadyClock::time_point last_commit = SteadyClock::now();
  const SteadyClock::time_point created = SteadyClock::now();
  bool warned_not_joined = false;
  bool stored_since_commit = false;
  SteadyClock::time_point last_commit_warning{};
  std::map<TopicPartition, HeldOffsets> held;                 // consumer thread only
  std::map<TopicPartition, int64_t> committed_at_assignment;  // consumer thread only
  uint64_t next_epoch = 1;
  std::vector<DeadLetterCopy*> retry_copies;  // failed deliveries, produced again by run()
  SteadyClock::time_point last_dead_letter_warning{};

  // Stream -> (topic, partition) where it was last seen.
  absl::flat_hash_map<std::string, TopicPartition> stream_partition;

  struct LogLimit {
    SteadyClock::time_point last{};
    uint64_t suppressed = 0;
  };
  std::array<LogLimit, kDecodeErrorCount> bad_log;

  std::atomic<bool> stop_requested{false};
  std::thread thread;
  bool ran = false;
  bool closed = false;

  mutable std::mutex mu;  // guards everything below
  KafkaSourceCounters counters;
  std::vector<PartitionRebuild> partitions;
  bool assigned_once = false;
  LagSnapshot lag;
  std::optional<std::string> fatal_error;
  simdjson::dom::parser stats_parser;  // consumer thread only
};

namespace {

// `text` with every occurrence of `value` replaced by "*****".
std::string without_value(std::string text, const std::string& value) {
  if (value.empty()) return text;
  for (size_t at = text.find(value); at != std::string::npos; at = text.find(value, at + 5)) {
    text.replace(at, value.size(), "*****");
  }
  return text;
}

}  // namespace

bool KafkaSource::Impl::configure(std::string& error) {
  if (options.group_id.empty()) {
    error = "kafka: group_id is required";
    return false;
  }
  if (options.topics.empty()) {
    error = "kafka: at least one topic is required";
    return false;
  }
  const bool mock = options.properties.count("test.mock.num.brokers") > 0;
  if (options.bootstrap_servers.empty() && !mock) {
    error = "kafka: bootstrap_servers is required";
    return false;
  }
  if (options.rebuild_horizon_ms < 0) {
    error = "kafka: rebuild_horizon_ms must be >= 0";
    return false;
  }
  if (auto it = options.properties.find("enable.auto.offset.store");
      it != options.properties.end() && it->second != "false") {
    error =
        "kafka: enable.auto.offset.store must stay false (offsets are stored after the sink "
        "applied an event)";
    return false;
  }

  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  // Property values may be secrets (SASL passwords, JAAS lines): an error names the key and
  // librdkafka's reason with the value blanked out, never the value.
  auto set = [&](const std::string& key, const std::string& value) {
    if (conf->set(key, value, err) != RdKafka::Conf::CONF_OK) {
      error = "kafka: property " + key + ": " + without_value(err, value);
      return false;
    }
    return true;
  };
  std::map<std::string, std::string> props = {
      {"group.id", options.group_id},
      {"enable.auto.offset.store", "false"},
      {"enable.auto.commit", "false"},
      {"partition.assignment.strategy", "cooperative-sticky"},
      {"enable.partition.eof", "true"},
      {"statistics.interval.ms", std::to_string(options.statistics_interval.count())},
  };
  if (!options.bootstrap_servers.empty()) props["bootstrap.servers"] = options.bootstrap_servers;
  for (const auto& [k, v] : options.properties) props[k] = v;
  for (const auto& [k, v] : props) {
    if (!set(k, v)) return false;
  }
  if (conf->set("rebalance_cb", static_cast<RdKafka::RebalanceCb*>(this), err) !=
          RdKafka::Conf::CONF_OK ||
      conf->set("event_cb", static_cast<RdKafka::EventCb*>(this), err) != RdKafka::Conf::CONF_OK) {
    error = "kafka: " + err;
    return false;
  }
  consumer.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer) {
    error = "kafka: cannot create consumer: " + err;
    return false;
  }

  if (!options.dead_letter_topic.empty()) {
    std::unique_ptr<RdKafka::Conf> pconf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    std::map<std::string, std::string> pprops;
    if (!options.bootstrap_servers.empty()) pprops["bootstrap.servers"] = options.bootstrap_servers;
    for (const auto& [k, v] : options.properties) {
      // Connection settings apply to the producer too; consumer settings do not.
      if (k.rfind("security.", 0) == 0 || k.rfind("sasl.", 0) == 0 || k.rfind("ssl.", 0) == 0 ||
          k == "client.id" || k == "bootstrap.servers") {
        pprops[k] = v;
      }
    }
    pprops["linger.ms"] = "5";
    for (const auto& [k, v] : options.dead_letter_properties) pprops[k] = v;
    for (const auto& [k, v] : pprops) {
      if (pconf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
        error = "kafka: dead-letter producer property " + k + ": " + without_value(err, v);
        return false;
      }
    }
    if (pconf->set("dr_cb", static_cast<RdKafka::DeliveryReportCb*>(this), err) !=
        RdKafka::Conf::CONF_OK) {
      error = "kafka: dead-letter producer: " + err;
      return false;
    }
    dead_letter_producer.reset(RdKafka::Producer::create(pconf.get(), err));
    if (!dead_letter_producer) {
      error = "kafka: cannot create dead-letter producer: " + err;
      return false;
    }
  }

  if (RdKafka::ErrorCode e = consumer->subscribe(options.topics); e != RdKafka::ERR_NO_ERROR) {
    error = "kafka: subscribe: " + RdKafka::err2str(e);
    return false;
  }
  return true;
}

// --- compatibility ------------------------------------------------------------------------

bool KafkaSource::Impl::check_compatibility() {
  if (compatibility_checked || !options.check_broker_compatibility) return true;
  if (linked_librdkafka_version() >= kFirstLibrdkafkaForKafka4) {
    compatibility_checked = true;
    return true;
  }
  if (!uses_kerberos(options.properties)) {
    compatibility_checked = true;  // only Kerberos depends on the broker's JoinGroup v0
    return true;
  }
  if (auto it = options.properties.find("security.protocol");
      it != options.properties.end() && ::strcasecmp(it->second.c_str(), "sasl_ssl") == 0) {
    compatibility_checked = true;  // the plain-TCP probe cannot speak TLS
    return true;
  }
  const auto now = SteadyClock::now();
  if (now < next_compat_probe) return true;
  next_compat_probe = now + std::chrono::seconds(10);
  for (const std::string& server : split_servers(options.bootstrap_servers)) {
    std::string error;
    auto versions = probe_api_versions(server, std::chrono::milliseconds(2000), error);
    if (!versions) {
      spdlog::debug("kafka: compatibility probe: {}", error);
      continue;
    }
    compatibility_checked = true;
    if (auto problem = kafka4_incompatibility(*versions, linked_librdkafka_version(),
                                              rd_kafka_version_str())) {
      spdlog::error("kafka: {}", *problem);
      std::lock_guard lock(mu);
      fatal_error = *problem;
      return false;
    }
    return true;
  }
  return true;  // no broker answered yet; try again later
}

// --- rebalancing ----------------------------------------------------------------------------

void KafkaSource::Impl::rebalance_cb(RdKafka::KafkaConsumer* c, RdKafka::ErrorCode err,
                                     std::vector<RdKafka::TopicPartition*>& parts) {
  cooperative = c->rebalance_protocol() == "COOPERATIVE";
  if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
    assign(c, parts);
  } else if (err == RdKafka::ERR__REVOKE_PARTITIONS) {
    revoke(c, parts);
  } else {
    spdlog::error("kafka: rebalance error: {}", RdKafka::err2str(err));
    revoke(c, parts);
  }
}

void KafkaSource::Impl::assign(RdKafka::KafkaConsumer* c,
                               std::vector<RdKafka::TopicPartition*>& parts) {
  std::vector<TopicPartition> tps;
  tps.reserve(parts.size());
  for (auto* p : parts) tps.push_back({p->topic(), p->partition()});
  sink.on_partitions_assigned(tps);

  const int timeout = static_cast<int>(options.broker_timeout.count());
  if (options.rebuild_horizon_ms > 0 && !parts.empty()) {
    const int64_t since = options.now_ms() - options.rebuild_horizon_ms;
    // A failed lookup (leader moving, a timeout) is tried again twice, half a second apart,
    // before a partition gives up its rebuild.
    RdKafka::ErrorCode e = RdKafka::ERR_NO_ERROR;
    for (int attempt = 1;; ++attempt) {
      for (auto* p : parts) p->set_offset(since);
      e = c->offsetsForTimes(parts, timeout);
      RdKafka::ErrorCode first = e;
      for (const auto* p : parts)
        if (first == RdKafka::ERR_NO_ERROR) first = p->err();
      if (first == RdKafka::ERR_NO_ERROR || attempt == kRebuildLookupAttempts) break;
      spdlog::warn("kafka: looking up the rebuild offsets at time {} failed ({}); trying again",
                   since, RdKafka::err2str(first));
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    for (auto* p : parts) {
      if (e != RdKafka::ERR_NO_ERROR || p->err() != RdKafka::ERR_NO_ERROR) {
        {
          std::lock_guard lock(mu);
          ++counters.rebuild_lookup_errors;
        }
        spdlog::error(
            "kafka: cannot find the offset of {}/{} at time {} for the window rebuild ({}); "
            "resuming from the committed offset, the windows of its streams start incomplete",
            p->topic(), p->partition(), since,
            RdKafka::err2str(e != RdKafka::ERR_NO_ERROR ? e : p->err()));
        p->set_offset(RdKafka::Topic::OFFSET_STORED);
      } else if (p->offset() < 0) {
        p->set_offset(RdKafka::Topic::OFFSET_END);  // nothing newer than the horizon
      }
    }
  }

  // The committed offsets: for the dead-letter copies (copied_before) and for what a rebuild
  // skips (count_skipped_backlog, below).
  if ((dead_letter_producer || options.rebuild_horizon_ms > 0) && !parts.empty()) {
    PartitionVector committed;
    for (auto* p : parts)
      committed.v.push_back(RdKafka::TopicPartition::create(p->topic(), p->partition()));
    const bool ok = c->committed(committed.v, timeout) == RdKafka::ERR_NO_ERROR;
    for (auto* p : committed.v) {
      committed_at_assignment[{p->topic(), p->partition()}] =
          ok && p->err() == RdKafka::ERR_NO_ERROR ? p->offset() : -1;
    }
  }

  std::vector<PartitionRebuild> added;
  for (auto* p : parts) {
    PartitionRebuild r;
    r.partition = {p->topic(), p->partition()};
    int64_t lo = -1, hi = -1;
    if (c->query_watermark_offsets(p->topic(), p->partition(), &lo, &hi, timeout) ==
        RdKafka::ERR_NO_ERROR) {
      r.target_offset = hi;
    }
    r.start_offset = p->offset() >= 0 ? p->offset() : -1;
    if (p->offset() == RdKafka::Topic::OFFSET_END) r.start_offset = r.target_offset;
    r.next_offset = r.start_offset;
    r.caught_up = r.target_offset >= 0 && r.start_offset >= r.target_offset;
    if (options.rebuild_horizon_ms > 0) count_skipped_backlog(r);
    spdlog::info("kafka: assigned {}/{}: replay from offset {} to {}", p->topic(), p->partition(),
                 r.start_offset, r.target_offset);
    added.push_back(std::move(r));
  }
  std::vector<TopicPartition> nothing_to_replay;
  for (const PartitionRebuild& r : added)
    if (r.caught_up) nothing_to_replay.push_back(r.partition);
  {
    std::lock_guard lock(mu);
    for (auto& r : added) {
      std::erase_if(partitions,
                    [&](const PartitionRebuild& x) { return x.partition == r.partition; });
      partitions.push_back(std::move(r));
    }
    assigned_once = true;
    counters.partitions_assigned += parts.size();
  }

  if (cooperative) {
    if (RdKafka::Error* e = c->incremental_assign(parts)) {
      spdlog::error("kafka: incremental_assign: {}", e->str());
      delete e;
    }
  } else if (RdKafka::ErrorCode e = c->assign(parts); e != RdKafka::ERR_NO_ERROR) {
    spdlog::error("kafka: assign: {}", RdKafka::err2str(e));
  }
  for (const TopicPartition& tp : nothing_to_replay) sink.on_partition_rebuilt(tp);
}

void KafkaSource::Impl::revoke(RdKafka::KafkaConsumer* c,
                               std::vector<RdKafka::TopicPartition*>& parts) {
  if (!c->assignment_lost()) {
    maybe_commit(true);
  } else {
    spdlog::warn("kafka: partitions lost (session timeout?); their offsets are not committed");
  }
  std::vector<TopicPartition> tps;
  tps.reserve(parts.size());
  for (auto* p : parts) tps.push_back({p->topic(), p->partition()});
  // Offsets held back by dead-letter copies in flight are not ours to store any more; the
  // new owner reads those events again.
  for (const auto& tp : tps) {
    held.erase(tp);
    committed_at_assignment.erase(tp);
  }
  sink.on_partitions_revoked(tps);
  {
    std::lock_guard lock(mu);
    for (const auto& tp : tps) {
      std::erase_if(partitions, [&](const PartitionRebuild& x) { return x.partition == tp; });
    }
    counters.partitions_revoked += parts.size();
  }
  if (cooperative) {
    if (RdKafka::Error* e = c->incremental_unassign(parts)) {
      spdlog::error("kafka: incremental_unassign: {}", e->str());
      delete e;
    }
  } else {
    c->unassign();
  }
}

// --- events and statistics -------------------------------------------------------------------

void KafkaSource::Impl::event_cb(RdKafka::Event& e) {
  switch (e.type()) {
    case RdKafka::Event::EVENT_STATS:
      parse_statistics(e.str());
      break;
    case RdKafka::Event::EVENT_ERROR: {
      {
        std::lock_guard lock(mu);
        ++counters.consumer_errors;
      }
      if (e.fatal()) {
        spdlog::error("kafka: fatal error: {}: {}", RdKafka::err2str(e.err()), e.str());
        std::lock_guard lock(mu);
        fatal_error = "kafka: fatal error: " + e.str();
        stop_requested = true;
      } else {
        // Transport errors repeat while a broker is down; keep them at warn.
        spdlog::warn("kafka: {}: {}", RdKafka::err2str(e.err()), e.str());
      }
      break;
    }
    case RdKafka::Event::EVENT_LOG:
      if (e.severity() <= RdKafka::Event::EVENT_SEVERITY_ERROR) {
        spdlog::error("librdkafka: {}: {}", e.fac(), e.str());
      } else if (e.severity() <= RdKafka::Event::EVENT_SEVERITY_WARNING) {
        spdlog::warn("librdkafka: {}: {}", e.fac(), e.str());
      } else {
        spdlog::debug("librdkafka: {}: {}", e.fac(), e.str());
      }
      break;
    default:
      break;
  }
}

void KafkaSource::Impl::parse_statistics(const std::string& json) {
  simdjson::dom::element root;
  if (stats_parser.parse(json).get(root)) return;
  LagSnapshot snap;
  snap.updated_ms = options.now_ms();
  std::string_view state;
  if (!root["cgrp"]["state"].get(state)) snap.group_state = std::string(state);
  // Fallback for what the ApiVersions probe cannot see (Kerberos over TLS): a group that
  // never comes up although the process has run for a minute.
  if (!warned_not_joined && linked_librdkafka_version() < kFirstLibrdkafkaForKafka4 &&
      uses_kerberos(options.properties) && snap.group_state != "up" &&
      SteadyClock::now() - created > std::chrono::seconds(60)) {
    bool assigned;
    {
      std::lock_guard lock(mu);
      assigned = assigned_once;
    }
    if (!assigned) {
      warned_not_joined = true;
      spdlog::warn(
          "kafka: consumer group {} has not come up after 60 s (state \"{}\"). Brokers "
          "unreachable? If they run Kafka 4.0.0: librdkafka {} cannot authenticate with "
          "Kerberos there; use Kafka >= 4.0.1 or librdkafka >= 2.11 (librdkafka issue #4948).",
          options.group_id, snap.group_state, rd_kafka_version_str());
    }
  }
  std::vector<TopicPartition> assigned;
  {
    std::lock_guard lock(mu);
    for (const auto& p : partitions) assigned.push_back(p.partition);
  }
  simdjson::dom::object topics;
  if (!root["topics"].get(topics)) {
    for (auto [topic, tobj] : topics) {
      simdjson::dom::object parts;
      if (tobj["partitions"].get(parts)) continue;
      for (auto [pkey, pobj] : parts) {
        int32_t partition = 0;
        if (pkey == "-1") continue;  // librdkafka's unassigned-messages pseudo partition
        partition = std::atoi(std::string(pkey).c_str());
        TopicPartition tp{std::string(topic), partition};
        if (std::find(assigned.begin(), assigned.end(), tp) == assigned.end()) continue;
        PartitionLag lag_entry;
        lag_entry.partition = std::move(tp);
        // Captures a copy, not the structured binding (clang 14 cannot capture those).
        auto get = [&, obj = pobj](const char* key, int64_t& out) {
          int64_t v;
          if (!obj[key].get(v)) out = v;
        };
        get("hi_offset", lag_entry.high_watermark);
        get("stored_offset", lag_entry.stored_offset);
        get("committed_offset", lag_entry.committed_offset);
        get("consumer_lag_stored", lag_entry.lag);
        get("consumer_lag", lag_entry.committed_lag);
        snap.partitions.push_back(std::move(lag_entry));
      }
    }
  }
  std::lock_guard lock(mu);
  lag = std::move(snap);
}

// --- consuming -------------------------------------------------------------------------------

int KafkaSource::Impl::find_partition(std::string_view topic, int32_t partition) const {
  for (size_t i = 0; i < partitions.size(); ++i) {
    if (partitions[i].partition.partition == partition && partitions[i].partition.topic == topic) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

void KafkaSource::Impl::handle_message(RdKafka::Message& msg) {
  rd_kafka_message_t* raw = static_cast<rd_kafka_message_t*>(msg.c_ptr());
  const std::string_view topic = rd_kafka_topic_name(raw->rkt);
  const std::string_view payload(static_cast<const char*>(raw->payload), raw->len);

  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(raw, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) headers = nullptr;
  const std::optional<std::string_view> content_type = content_type_header(headers);
  // The message's timestamp (-1: none): a mapping may read it (@timestamp), the sink bounds
  // the event time's skew by it.
  rd_kafka_timestamp_type_t ts_type;
  int64_t message_time_ms = rd_kafka_message_timestamp(raw, &ts_type);
  if (ts_type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) message_time_ms = -1;

  bool rebuilding = false;
  {
    std::lock_guard lock(mu);
    ++counters.messages;
    if (int i = find_partition(topic, raw->partition); i >= 0)
      rebuilding = !partitions[i].caught_up;
  }

  std::string limit_error;
  DecodeResult result;
  if (options.max_message_bytes > 0 && payload.size() > options.max_message_bytes) {
    limit_error = fmt::format("payload of {} bytes exceeds limits.max_message_bytes ({} bytes)",
                              payload.size(), options.max_message_bytes);
    result = DecodeResult{DecodeError::kMessageTooLarge, limit_error};
  } else {
    MessageMeta meta;
    if (raw->key != nullptr) {
      meta.key = std::string_view(static_cast<const char*>(raw->key), raw->key_len);
      meta.has_key = true;
    }
    meta.timestamp_ms = message_time_ms;
    meta.partition = raw->partition;
    meta.offset = raw->offset;
    result = decoders.decode(topic, content_type, payload, event, meta);
    if (result.ok() && options.max_detections_per_event > 0 &&
        event.detections.size() > options.max_detections_per_event) {
      limit_error = fmt::format("{} detections exceed limits.max_detections_per_event ({})",
                                event.detections.size(), options.max_detections_per_event);
      result = DecodeResult{DecodeError::kTooManyDetections, limit_error};
    }
  }
  if (!decoders.unknown_fields().empty()) count_unknown_fields(topic);
  const bool copied = dead_letter_producer && copied_before(topic, raw->partition, raw->offset);
  if (!result.ok()) {
    handle_bad_event(msg, result, copied);
  } else {
    bool moved = false;
    auto it = stream_partition.find(absl::string_view(event.stream.data(), event.stream.size()));
    if (it == stream_partition.end()) {
      stream_partition.emplace(std::string(event.stream),
                               TopicPartition{std::string(topic), raw->partition});
    } else if (it->second.partition != raw->partition || it->second.topic != topic) {
      moved = true;
      it->second = TopicPartition{std::string(topic), raw->partition};
    }
    // The skew bound's reference: the message timestamp, or the wall clock when that is
    // earlier (or the message has none), so that a producer copying a wrong event time into
    // the message timestamp does not carry it past limits.max_future_skew.
    const int64_t now = options.now_ms();
    const int64_t reference_ms = message_time_ms >= 0 ? std::min(message_time_ms, now) : now;
    const EventOrigin origin{topic, raw->partition, raw->offset, reference_ms, rebuilding};
    const SinkResult verdict = sink.apply(event, origin);
    {
      std::lock_guard lock(mu);
      if (moved) ++counters.stream_moved;
      if (verdict.applied) {
        ++counters.applied;
      } else {
        ++counters.rejected;
        auto r = counters.rejected_by_reason.find(verdict.reason);
        if (r == counters.rejected_by_reason.end()) {
          counters.rejected_by_reason.emplace(std::string(verdict.reason), 1);
        } else {
          ++r->second;
        }
      }
    }
    if (!verdict.applied && dead_letter_producer && !copied) {
      dead_letter(
          msg, verdict.reason,
          fmt::format("rejected by the monitor: {} (stream {})", verdict.reason, event.stream));
    }
  }

  // The sink has returned (or the bad event was handled): only now the offset may be stored.
  store_offset(raw, topic);
  bool rebuilt = false;
  {
    std::lock_guard lock(mu);
    if (int i = find_partition(topic, raw->partition); i >= 0) {
      PartitionRebuild& p = partitions[i];
      p.next_offset = raw->offset + 1;
      if (!p.caught_up && p.target_offset >= 0 && p.next_offset >= p.target_offset) {
        p.caught_up = rebuilt = true;
      }
    }
  }
  if (rebuilt) sink.on_partition_rebuilt({std::string(topic), raw->partition});
}

void KafkaSource::Impl::store_offset(rd_kafka_message_t* raw, std::string_view topic) {
  if (auto it = held.find(TopicPartition{std::string(topic), raw->partition}); it != held.end()) {
    it->second.offset = raw->offset;  // stored with the copies' acknowledgement
    return;
  }
  // rd_kafka_offset_store stores offset + 1, the next message to read.
  if (rd_kafka_resp_err_t e = rd_kafka_offset_store(raw->rkt, raw->partition, raw->offset);
      e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    spdlog::warn("kafka: storing offset {}/{}@{}: {}", topic, raw->partition, raw->offset,
                 rd_kafka_err2str(e));
  } else {
    stored_since_commit = true;
  }
}

void KafkaSource::Impl::store_held(const TopicPartition& tp, int64_t offset) {
  PartitionVector pv;
  pv.v.push_back(RdKafka::TopicPartition::create(tp.topic, tp.partition, offset + 1));
  if (RdKafka::ErrorCode e = consumer->offsets_store(pv.v); e != RdKafka::ERR_NO_ERROR) {
    spdlog::warn("kafka: storing offset {}/{}@{}: {}", tp.topic, tp.partition, offset,
                 RdKafka::err2str(e));
  } else {
    stored_since_commit = true;
  }
}

void KafkaSource::Impl::count_unknown_fields(std::string_view topic) {
  for (const std::string& field : decoders.unknown_fields()) {
    std::pair<std::string, std::string> key{std::string(topic), field};
    bool first = false;
    {
      std::lock_guard lock(mu);
      auto& fields = counters.unknown_fields;
      auto it = fields.find(key);
      if (it == fields.end()) {
        if (fields.size() >= KafkaSourceCounters::kMaxUnknownFieldKeys) {
          key = {"*", "*"};  // neither tracked nor logged one by one
        } else {
          first = true;
        }
        it = fields.try_emplace(key, 0).first;
      }
      ++it->second;
    }
    if (!first) continue;
    const std::string_view hint = decoders.field_hint(field);
    spdlog::warn(
        "kafka: topic {}: events carry the field {}, which {} and is ignored{}{}{} "
        "(docs/EVENTS.md; logged once)",
        topic, field, decoders.ignored_phrase(topic), hint.empty() ? "" : "; did you mean ", hint,
        hint.empty() ? "" : "?");
  }
}

void KafkaSource::Impl::count_skipped_backlog(const PartitionRebuild& r) {
  auto it = committed_at_assignment.find(r.partition);
  if (it == committed_at_assignment.end() || it->second < 0) return;  // nothing committed
  // start_offset is -1 when the horizon's offset was not found (resumed from the committed
  // offset) or the end offset unknown.
  if (r.start_offset <= it->second) return;
  const uint64_t skipped = uint64_t(r.start_offset - it->second);
  {
    std::lock_guard lock(mu);
    counters.rebuild_skipped_messages += skipped;
  }
  spdlog::warn(
      "kafka: {}/{}: the rebuild starts at offset {}, after the committed offset {}: {} "
      "messages older than the rebuild horizon are skipped (the consumer was further behind "
      "than the horizon; their events could no longer reach a time window)",
      r.partition.topic, r.partition.partition, r.start_offset, it->second, skipped);
}

bool KafkaSource::Impl::copied_before(std::string_view topic, int32_t partition,
                                      int64_t offset) const {
  auto it = committed_at_assignment.find(TopicPartition{std::string(topic), partition});
  return it != committed_at_assignment.end() && offset < it->second;
}

void KafkaSource::Impl::handle_bad_event(RdKafka::Message& msg, const DecodeResult& result,
                                         bool copied) {
  const size_t reason = static_cast<size_t>(result.error);
  {
    std::lock_guard lock(mu);
    ++counters.bad_events[reason];
  }
  LogLimit& limit = bad_log[reason];
  const auto now = SteadyClock::now();
  if (limit.last == SteadyClock::time_point{} ||
      now - limit.last >= options.bad_event_log_interval) {
    spdlog::warn("kafka: bad event ({}) at {}/{}@{}: {}{}", decode_error_name(result.error),
                 msg.topic_name(), msg.partition(), msg.offset(), result.message,
                 limit.suppressed ? fmt::format(" ({} more of this kind since the last report)",
                                                limit.suppressed)
                                  : std::string());
    limit.last = now;
    limit.suppressed = 0;
  } else {
    ++limit.suppressed;
  }
  if (dead_letter_producer && !copied) {
    dead_letter(msg, decode_error_name(result.error), result.message);
  }
}

void KafkaSource::Impl::dead_letter(RdKafka::Message& msg, std::string_view reason,
                                    std::string_view error) {
  auto* copy = new DeadLetterCopy;
  copy->source = {msg.topic_name(), msg.partition()};
  copy->offset = msg.offset();
  copy->payload.assign(static_cast<const char*>(msg.payload()), msg.len());
  if (msg.key_pointer()) {
    copy->has_key = true;
    copy->key.assign(static_cast<const char*>(msg.key_pointer()), msg.key_len());
  }
  rd_kafka_headers_t* original = nullptr;
  if (rd_kafka_message_headers(static_cast<rd_kafka_message_t*>(msg.c_ptr()), &original) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    original = nullptr;
  }
  copy->headers =
      dead_letter_headers(reason, error, msg.topic_name(), msg.partition(), msg.offset(), original);
  HeldOffsets& h = held[copy->source];
  if (h.pending == 0) h.epoch = next_epoch++;
  ++h.pending;
  copy->epoch = h.epoch;
  if (!produce_copy(copy)) delete copy;  // stopping: the offset stays held (read again)
}

bool KafkaSource::Impl::omit_payload(DeadLetterCopy& copy) {
  if (copy.payload.empty()) return false;
  spdlog::warn(
      "kafka: dead-letter copy of {}/{}@{} is too large ({} bytes); sending it "
      "without its payload",
      copy.source.topic, copy.source.partition, copy.offset, copy.payload.size());
  add_payload_omitted_header(copy.headers, copy.payload.size());
  copy.payload.clear();
  copy.payload.shrink_to_fit();
  return true;
}

void KafkaSource::Impl::dead_letter_failed(const DeadLetterCopy& copy, const std::string& error) {
  {
    std::lock_guard lock(mu);
    ++counters.dead_letter_errors;
  }
  const auto now = SteadyClock::now();
  if (now - last_dead_letter_warning < options.bad_event_log_interval) return;
  last_dead_letter_warning = now;
  spdlog::warn("kafka: dead-letter copy of {}/{}@{} to {} failed: {}; retrying", copy.source.topic,
               copy.source.partition, copy.offset, options.dead_letter_topic, error);
}

bool KafkaSource::Impl::produce_copy(DeadLetterCopy* copy) {
  for (;;) {
    RdKafka::Headers* headers = RdKafka::Headers::create();
    for (const auto& [k, v] : copy->headers) headers->add(k, v);
    const RdKafka::ErrorCode e = dead_letter_producer->produce(
        options.dead_letter_topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
        copy->payload.data(), copy->payload.size(), copy->has_key ? copy->key.data() : nullptr,
        copy->has_key ? copy->key.size() : 0, 0, headers, copy);
    if (e == RdKafka::ERR_NO_ERROR) return true;  // headers now belong to librdkafka
    delete headers;
    if (e == RdKafka::ERR_MSG_SIZE_TOO_LARGE && omit_payload(*copy)) continue;
    if (e != RdKafka::ERR__QUEUE_FULL) dead_letter_failed(*copy, RdKafka::err2str(e));
    if (stop_requested.load()) return false;
    dead_letter_producer->poll(100);  // delivery reports free the queue
  }
}

void KafkaSource::Impl::dr_cb(RdKafka::Message& report) {
  auto* copy = static_cast<DeadLetterCopy*>(report.msg_opaque());
  if (!copy) return;
  if (report.err() == RdKafka::ERR__PURGE_QUEUE || report.err() == RdKafka::ERR__PURGE_INFLIGHT) {
    delete copy;  // shutting down: its event stays unacknowledged, read again
    return;
  }
  if (report.err() == RdKafka::ERR_MSG_SIZE_TOO_LARGE && omit_payload(*copy)) {
    retry_copies.push_back(copy);
    return;
  }
  if (report.err() != RdKafka::ERR_NO_ERROR) {
    dead_letter_failed(*copy, report.errstr());
    retry_copies.push_back(copy);
    return;
  }
  {
    std::lock_guard lock(mu);
    ++counters.dead_lettered;
  }
  auto it = held.find(copy->source);
  if (it != held.end() && it->second.epoch == copy->epoch && --it->second.pending == 0) {
    if (it->second.offset >= 0) store_held(copy->source, it->second.offset);
    held.erase(it);
  }
  delete copy;
}

void KafkaSource::Impl::produce_retries() {
  std::vector<DeadLetterCopy*> copies;
  copies.swap(retry_copies);
  for (size_t i = 0; i < copies.size(); ++i) {
    if (!produce_copy(copies[i])) {  // stopping: the rest stay held
      for (size_t j = i; j < copies.size(); ++j) delete copies[j];
      return;
    }
  }
}

void KafkaSource::Impl::maybe_commit(bool force) {
  const auto now = SteadyClock::now();
  if (!force && now - last_commit < options.commit_interval) return;
  last_commit = now;
  if (!stored_since_commit) return;
  if (!force) {
    // Its result comes to async_commit_done from a later consume() on this thread.
    stored_since_commit = false;
    rd_kafka_queue_t* queue = rd_kafka_queue_get_consumer(consumer->c_ptr());
    const rd_kafka_resp_err_t e =
        rd_kafka_commit_queue(consumer->c_ptr(), nullptr, queue, &Impl::async_commit_done, this);
    rd_kafka_queue_destroy(queue);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) commit_failed(RdKafka::ErrorCode(e));
    return;
  }
  const RdKafka::ErrorCode e = consumer->commitSync();
  if (e == RdKafka::ERR_NO_ERROR) {
    stored_since_commit = false;
    std::lock_guard lock(mu);
    ++counters.commits;
  } else if (e != RdKafka::ERR__NO_OFFSET) {
    commit_failed(e);
  }
}

void KafkaSource::Impl::async_commit_done(rd_kafka_t*, rd_kafka_resp_err_t err,
                                          rd_kafka_topic_partition_list_t* offsets, void* opaque) {
  auto* self = static_cast<Impl*>(opaque);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR && offsets) {
    for (int i = 0; i < offsets->cnt; ++i) {  // the request went through, a partition failed
      if (offsets->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) err = offsets->elems[i].err;
    }
  }
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::lock_guard lock(self->mu);
    ++self->counters.commits;
  } else if (err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
    self->commit_failed(RdKafka::ErrorCode(err));
  }
}

void KafkaSource::Impl::commit_failed(RdKafka::ErrorCode e) {
  stored_since_commit = true;  // tried again at the next interval (and at stop)
  {
    std::lock_guard lock(mu);
    ++counters.commit_errors;
  }
  const auto now = SteadyClock::now();
  if (now - last_commit_warning < options.bad_event_log_interval) return;
  last_commit_warning = now;
  spdlog::warn("kafka: commit failed: {}; retrying at the next commit interval",
               RdKafka::err2str(e));
}

void KafkaSource::Impl::run() {
  spdlog::info("kafka: consuming {} as group {} (librdkafka {}, rebuild horizon {} ms)",
               fmt::join(options.topics, ","), options.group_id, rd_kafka_version_str(),
               options.rebuild_horizon_ms);
  while (!stop_requested.load()) {
    if (!check_compatibility()) break;
    std::unique_ptr<RdKafka::Message> msg(
        consumer->consume(static_cast<int>(options.poll_timeout.count())));
    switch (msg->err()) {
      case RdKafka::ERR_NO_ERROR:
        handle_message(*msg);
        break;
      case RdKafka::ERR__TIMED_OUT:
        break;
      case RdKafka::ERR__PARTITION_EOF: {
        bool rebuilt = false;
        {
          std::lock_guard lock(mu);
          if (int i = find_partition(msg->topic_name(), msg->partition()); i >= 0) {
            if (!partitions[i].caught_up) {
              spdlog::info("kafka: {}/{} caught up at offset {}", msg->topic_name(),
                           msg->partition(), msg->offset());
              rebuilt = true;
            }
            partitions[i].caught_up = true;
          }
        }
        if (rebuilt) sink.on_partition_rebuilt({msg->topic_name(), msg->partition()});
        break;
      }
      default: {
        std::lock_guard lock(mu);
        ++counters.consumer_errors;
        spdlog::warn("kafka: consume: {}", msg->errstr());
        break;
      }
    }
    if (dead_letter_producer) {
      dead_letter_producer->poll(0);  // delivery reports: store held offsets, queue retries
      produce_retries();
    }
    maybe_commit(false);
  }
  spdlog::info("kafka: stopping: committing offsets and leaving the group");
  if (dead_letter_producer) {
    // Acknowledged copies release their partitions' offsets before the last commit.
    if (dead_letter_producer->flush(5000) != RdKafka::ERR_NO_ERROR) {
      spdlog::warn(
          "kafka: {} dead-letter copies not acknowledged at shutdown; their events "
          "will be read again",
          dead_letter_producer->outq_len());
    }
    dead_letter_producer->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
    dead_letter_producer->poll(0);
    for (DeadLetterCopy* c : retry_copies) delete c;
    retry_copies.clear();
  }
  maybe_commit(true);
  consumer->close();  // revokes the assignment through rebalance_cb (commit, sink)
  closed = true;
}

// --- KafkaSource -----------------------------------------------------------------------------

std::unique_ptr<KafkaSource> KafkaSource::Create(KafkaSourceOptions options, EventSink& sink,
                                                 std::string& error) {
  auto impl = std::make_unique<Impl>(std::move(options), sink);
  if (!impl->configure(error)) return nullptr;
  return std::unique_ptr<KafkaSource>(new KafkaSource(std::move(impl)));
}

KafkaSource::KafkaSource(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

KafkaSource::~KafkaSource() { stop(); }

void KafkaSource::run() {
  if (impl_->ran) return;
  impl_->ran = true;
  impl_->run();
}

void KafkaSource::start() {
  if (impl_->thread.joinable() || impl_->ran) return;
  impl_->thread = std::thread([this] { run(); });
}

void KafkaSource::request_stop() { impl_->stop_requested = true; }

void KafkaSource::stop() {
  request_stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

KafkaSourceCounters KafkaSource::counters() const {
  std::lock_guard lock(impl_->mu);
  return impl_->counters;
}

RebuildProgress KafkaSource::rebuild_progress() const {
  std::lock_guard lock(impl_->mu);
  RebuildProgress p;
  p.assigned = impl_->assigned_once;
  p.partitions = impl_->partitions;
  p.complete = p.assigned && std::all_of(p.partitions.begin(), p.partitions.end(),
                                         [](const PartitionRebuild& r) { return r.caught_up; });
  return p;
}

LagSnapshot KafkaSource::lag() const {
  std::lock_guard lock(impl_->mu);
  return impl_->lag;
}

std::optional<std::string> KafkaSource::fatal_error() const {
  std::lock_guard lock(impl_->mu);
  return impl_->fatal_error;
}

std::string KafkaSource::librdkafka_version() { return rd_kafka_version_str(); }

}  // namespace predwatch::daemon
