// KafkaSource against librdkafka's in-process mock cluster: at-least-once offset storing,
// commit on stop and on revoke, bad-event counting, and the Kafka 4.x detection.
// (The mock cannot answer ListOffsets by timestamp, so the window rebuild is tested against
// a real broker in tests/integration/.)
#include "daemon/ingest/kafka_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <librdkafka/rdkafkacpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "daemon/ingest/broker_compat.h"
#include "tests/support/kafka_committed.h"
#include "tests/support/recording_sink.h"

namespace predwatch::daemon {
namespace {

using predwatch::testing::JsonEvent;
using predwatch::testing::Record;
using predwatch::testing::RecordingSink;
using predwatch::testing::WaitFor;
using ::testing::HasSubstr;

// A mock cluster owned by a producer handle, with helpers to produce and read commits.
class MockCluster {
 public:
  MockCluster() {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", err, sizeof err);
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
    rd_kafka_conf_set(conf, "message.max.bytes", "4000000", err, sizeof err);  // large events
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    mc_ = rd_kafka_handle_mock_cluster(rk_);
    bootstraps_ = rd_kafka_mock_cluster_bootstraps(mc_);
  }
  ~MockCluster() { rd_kafka_destroy(rk_); }

  const std::string& bootstraps() const { return bootstraps_; }
  rd_kafka_mock_cluster_t* mock() { return mc_; }

  void create_topic(const char* topic, int partitions) {
    ASSERT_EQ(rd_kafka_mock_topic_create(mc_, topic, partitions, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  void produce(const std::string& topic, int32_t partition, const std::string& payload) {
    ASSERT_EQ(
        rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
        RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  // With an explicit message timestamp (CreateTime), in ms since the epoch.
  void produce_at(const std::string& topic, int32_t partition, const std::string& payload,
                  int64_t timestamp_ms) {
    ASSERT_EQ(
        rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
                          RD_KAFKA_V_TIMESTAMP(timestamp_ms),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
        RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  void flush() { ASSERT_EQ(rd_kafka_flush(rk_, 10000), RD_KAFKA_RESP_ERR_NO_ERROR); }

  // A message read back: its payload and headers.
  struct Read {
    std::string payload;
    std::map<std::string, std::string> headers;
  };
  // Up to n messages of partition 0 of `topic`, from its beginning, read by an independent
  // client (it waits up to 20 s for them).
  std::vector<Read> read(const std::string& topic, size_t n) {
    std::string err;
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    conf->set("bootstrap.servers", bootstraps_, err);
    conf->set("group.id", "reader-" + topic, err);
    std::unique_ptr<RdKafka::KafkaConsumer> reader(RdKafka::KafkaConsumer::create(conf.get(), err));
    std::vector<Read> out;
    if (!reader) return out;
    std::vector<RdKafka::TopicPartition*> parts = {
        RdKafka::TopicPartition::create(topic, 0, RdKafka::Topic::OFFSET_BEGINNING)};
    const bool assigned = reader->assign(parts) == RdKafka::ERR_NO_ERROR;
    RdKafka::TopicPartition::destroy(parts);
    for (int i = 0; assigned && i < 200 && out.size() < n; ++i) {
      std::unique_ptr<RdKafka::Message> m(reader->consume(100));
      if (m->err() != RdKafka::ERR_NO_ERROR) continue;
      Read r;
      r.payload.assign(static_cast<const char*>(m->payload()), m->len());
      if (const RdKafka::Headers* h = m->headers()) {
        for (const auto& header : h->get_all()) {
          r.headers[header.key()] =
              std::string(static_cast<const char*>(header.value()), header.value_size());
        }
      }
      out.push_back(std::move(r));
    }
    reader->close();
    return out;
  }

  // The group's committed offset of each partition, read by an independent client.
  std::vector<int64_t> committed(const std::string& group, const std::string& topic,
                                 int partitions) {
    return predwatch::testing::CommittedOffsets(bootstraps_, group, topic, partitions);
  }

 private:
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* mc_ = nullptr;
  std::string bootstraps_;
};

// The wall clock in ms since the epoch (message timestamps are on it).
int64_t WallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

KafkaSourceOptions MockOptions(const MockCluster& cluster, const std::string& group,
                               const std::string& topic) {
  KafkaSourceOptions o;
  o.bootstrap_servers = cluster.bootstraps();
  o.group_id = group;
  o.topics = {topic};
  o.properties = {{"auto.offset.reset", "earliest"},
                  {"heartbeat.interval.ms", "200"},
                  {"session.timeout.ms", "6000"},
                  {"log_level", "3"}};
  o.rebuild_horizon_ms = 0;                   // the mock cannot look up offsets by time
  o.commit_interval = std::chrono::hours(1);  // only explicit commits (stop, revoke)
  o.statistics_interval = std::chrono::milliseconds(1000);
  o.poll_timeout = std::chrono::milliseconds(50);
  return o;
}

std::vector<int64_t> Offsets(const std::vector<Record>& records) {
  std::vector<int64_t> out;
  for (const auto& r : records) out.push_back(r.offset);
  return out;
}

TEST(KafkaSourceMock, StoresOffsetsOnlyAfterTheSinkAndCommitsOnStop) {
  MockCluster cluster;
  cluster.create_topic("events", 1);
  for (int i = 0; i < 20; ++i) {
    if (i == 4) {
      cluster.produce("events", 0, "{not json");  // offset 4: undecodable
    } else if (i == 5) {
      cluster.produce("events", 0, JsonEvent("cam1", "bad", 1000, 1.5));  // bad_confidence
    } else {
      cluster.produce("events", 0, JsonEvent("cam1", "f" + std::to_string(i), 1000 + i));
    }
  }
  cluster.flush();

  RecordingSink sink;
  std::string error;
  auto source = KafkaSource::Create(MockOptions(cluster, "g1", "events"), sink, error);
  ASSERT_TRUE(source) << error;
  // The sink stops the source while handling offset 9 and rejects offset 3. Messages after 9
  // have already been fetched by librdkafka; their offsets must not be stored or committed.
  sink.on_apply = [&](const Record& r) -> std::string_view {
    if (r.offset == 9) source->request_stop();
    return r.offset == 3 ? "late" : "";
  };
  source->start();
  ASSERT_TRUE(WaitFor([&] { return sink.size() >= 8; }));
  source->stop();

  EXPECT_THAT(Offsets(sink.all()), ::testing::ElementsAre(0, 1, 2, 3, 6, 7, 8, 9));
  const KafkaSourceCounters c = source->counters();
  EXPECT_EQ(c.messages, 10u);
  EXPECT_EQ(c.applied, 7u);
  EXPECT_EQ(c.rejected, 1u);
  EXPECT_EQ(c.rejected_by_reason.at("late"), 1u);
  EXPECT_EQ(c.bad_events[static_cast<size_t>(DecodeError::kUndecodable)], 1u);
  EXPECT_EQ(c.bad_events[static_cast<size_t>(DecodeError::kBadConfidence)], 1u);
  ASSERT_EQ(sink.revoked().size(), 1u);  // close() revoked through the sink
  source.reset();

  // Committed = last handled offset + 1, read by an independent client.
  EXPECT_THAT(cluster.committed("g1", "events", 1), ::testing::ElementsAre(10));

  // A new member of the same group resumes exactly there: nothing lost, nothing repeated.
  RecordingSink sink2;
  auto source2 = KafkaSource::Create(MockOptions(cluster, "g1", "events"), sink2, error);
  ASSERT_TRUE(source2) << error;
  source2->start();
  ASSERT_TRUE(WaitFor([&] { return sink2.size() >= 10; }));
  source2->stop();
  EXPECT_THAT(Offsets(sink2.all()), ::testing::ElementsAre(10, 11, 12, 13, 14, 15, 16, 17, 18, 19));
  EXPECT_THAT(cluster.committed("g1", "events", 1), ::testing::ElementsAre(20));
}

// A second consumer in the group takes one partition over; new messages go to their
// partition's owner only. That the revoke commits (so the new owner does not read the moved
// partition again) is tested on the real broker (kafka.KafkaIntegration.CommitsOnRevoke…):
// librdkafka 2.0.2's mock cluster refuses commits during a cooperative rebalance at random.
TEST(KafkaSourceMock, ARevokedPartitionGoesToTheNewOwner) {
  MockCluster cluster;
  cluster.create_topic("ev2", 2);
  for (int p = 0; p < 2; ++p) {
    for (int i = 0; i < 10; ++i) {
      cluster.produce("ev2", p, JsonEvent("cam" + std::to_string(p), "f" + std::to_string(i), i));
    }
  }
  cluster.flush();

  RecordingSink sink1, sink2;
  std::string error;
  auto source1 = KafkaSource::Create(MockOptions(cluster, "g2", "ev2"), sink1, error);
  ASSERT_TRUE(source1) << error;
  source1->start();
  ASSERT_TRUE(WaitFor([&] { return sink1.size() >= 20; }));
  ASSERT_TRUE(WaitFor([&] {
    auto lag = source1->lag();
    return lag.partitions.size() == 2 && lag.partitions[0].lag == 0 && lag.partitions[1].lag == 0 &&
           lag.partitions[0].high_watermark == 10;
  })) << "lag snapshot never showed both partitions consumed";
  EXPECT_EQ(source1->lag().group_state, "up");
  EXPECT_TRUE(source1->rebuild_progress().complete);
  // No periodic commit has happened (interval 1 h).
  EXPECT_THAT(cluster.committed("g2", "ev2", 2), ::testing::Each(RdKafka::Topic::OFFSET_INVALID));

  auto source2 = KafkaSource::Create(MockOptions(cluster, "g2", "ev2"), sink2, error);
  ASSERT_TRUE(source2) << error;
  source2->start();
  ASSERT_TRUE(WaitFor([&] { return sink1.revoked().size() == 1 && sink2.assigned().size() == 1; },
                      std::chrono::seconds(60)));
  const TopicPartition moved = sink1.revoked()[0];
  EXPECT_EQ(sink2.assigned()[0], moved);

  // New messages go to their partition's owner only.
  for (int p = 0; p < 2; ++p)
    cluster.produce("ev2", p, JsonEvent("cam" + std::to_string(p), "new", 99));
  cluster.flush();
  auto has_new = [](const RecordingSink& s, int32_t partition) {
    for (const Record& r : s.all())
      if (r.frame_id == "new" && r.partition == partition) return true;
    return false;
  };
  ASSERT_TRUE(WaitFor(
      [&] { return has_new(sink2, moved.partition) && has_new(sink1, 1 - moved.partition); }));
  EXPECT_FALSE(has_new(sink1, moved.partition));
  EXPECT_EQ(sink1.size(), 21u);
  for (const Record& r : sink2.all()) EXPECT_EQ(r.partition, moved.partition);
  source2->stop();
  source1->stop();
  EXPECT_EQ(source1->counters().stream_moved, 0u);
}

// Issue 14: a bad event's offset was stored even when its dead-letter copy failed, so the
// event was lost. Now its offset, and every later one of its partition, waits for the
// broker's acknowledgement of the copy; a failed copy is produced again, each failure
// counted. While the dead-letter topic refuses copies, the partition's committed offset
// stays at the bad event, and the next consumer of the group copies it.
TEST(KafkaSourceMock, ABadEventsOffsetWaitsForItsDeadLetterCopy) {
  MockCluster cluster;
  cluster.create_topic("dl", 1);
  cluster.create_topic("dl-dlq", 1);
  cluster.produce("dl", 0, JsonEvent("cam1", "f0", 1000));
  cluster.produce("dl", 0, R"({"frame_id":"broken")");
  cluster.produce("dl", 0, JsonEvent("cam1", "f2", 1002));
  cluster.flush();
  // From now on every Produce request fails: the dead-letter topic refuses the copies.
  constexpr int16_t kProduce = 0;  // Kafka protocol ApiKey
  const std::vector<rd_kafka_resp_err_t> refusals(1000,
                                                  RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  rd_kafka_mock_push_request_errors_array(cluster.mock(), kProduce, refusals.size(),
                                          refusals.data());
  KafkaSourceOptions o = MockOptions(cluster, "g6", "dl");
  o.dead_letter_topic = "dl-dlq";
  std::string error;
  {
    RecordingSink sink;
    auto source = KafkaSource::Create(o, sink, error);
    ASSERT_TRUE(source) << error;
    source->start();
    ASSERT_TRUE(WaitFor([&] {
      return sink.size() == 2 && source->counters().dead_letter_errors >= 2;
    })) << "dead_letter_errors "
        << source->counters().dead_letter_errors;
    source->stop();
    EXPECT_EQ(source->counters().dead_lettered, 0u);
    EXPECT_THAT(Offsets(sink.all()), ::testing::ElementsAre(0, 2));
  }
  // f2 was applied, but nothing from the bad event on was committed.
  EXPECT_THAT(cluster.committed("g6", "dl", 1), ::testing::ElementsAre(1));

  rd_kafka_mock_clear_request_errors(cluster.mock(), kProduce);
  RecordingSink sink2;
  auto source2 = KafkaSource::Create(o, sink2, error);
  ASSERT_TRUE(source2) << error;
  source2->start();
  ASSERT_TRUE(WaitFor([&] { return sink2.size() == 1 && source2->counters().dead_lettered == 1; }));
  source2->stop();
  EXPECT_THAT(Offsets(sink2.all()), ::testing::ElementsAre(2));
  EXPECT_EQ(source2->counters().dead_letter_errors, 0u);
  EXPECT_THAT(cluster.committed("g6", "dl", 1), ::testing::ElementsAre(3));
}

// Issue 14: a dead-letter producer whose queue is full made the copy vanish (QUEUE_FULL was
// not retried). With a queue of one message and 40 bad events in a row, nearly every copy
// meets a full queue (the producer lingers 5 ms): the source waits instead, so every copy
// arrives, in order, and the committed offset covers all 41 messages.
TEST(KafkaSourceMock, AFullDeadLetterQueueMakesTheSourceWaitAndLosesNoCopy) {
  MockCluster cluster;
  cluster.create_topic("qf", 1);
  cluster.create_topic("qf-dlq", 1);
  for (int i = 0; i < 40; ++i)
    cluster.produce("qf", 0, "{\"frame_id\":\"broken-" + std::to_string(i));
  cluster.produce("qf", 0, JsonEvent("cam1", "f40", 1040));
  cluster.flush();
  KafkaSourceOptions o = MockOptions(cluster, "g-qf", "qf");
  o.dead_letter_topic = "qf-dlq";
  o.dead_letter_properties = {{"queue.buffering.max.messages", "1"}};
  RecordingSink sink;
  std::string error;
  auto source = KafkaSource::Create(o, sink, error);
  ASSERT_TRUE(source) << error;
  source->start();
  ASSERT_TRUE(WaitFor([&] { return sink.size() == 1 && source->counters().dead_lettered == 40; }))
      << "dead_lettered " << source->counters().dead_lettered;
  source->stop();
  EXPECT_EQ(source->counters().dead_letter_errors, 0u);
  EXPECT_THAT(cluster.committed("g-qf", "qf", 1), ::testing::ElementsAre(41));
  const auto copies = cluster.read("qf-dlq", 40);
  ASSERT_EQ(copies.size(), 40u);
  for (int i = 0; i < 40; ++i)
    EXPECT_EQ(copies[i].payload, "{\"frame_id\":\"broken-" + std::to_string(i)) << i;
}

// Issue 14: failed commits went uncounted: an asynchronous commit only queues the request,
// and its result went nowhere. The mock broker refuses the next three OffsetCommit requests:
// each failure is counted (commit_errors) and the commit is tried again at the next
// interval, so once the broker accepts, the committed offset covers every applied event
// although no new event arrived (the source used to wait for one before committing again).
TEST(KafkaSourceMock, AFailedCommitIsCountedAndTriedAgain) {
  MockCluster cluster;
  cluster.create_topic("ce", 1);
  for (int i = 0; i < 5; ++i)
    cluster.produce("ce", 0, JsonEvent("cam1", "f" + std::to_string(i), 1000 + i));
  cluster.flush();
  constexpr int16_t kOffsetCommit = 8;  // Kafka protocol ApiKey
  const std::vector<rd_kafka_resp_err_t> refusals(3, RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE);
  rd_kafka_mock_push_request_errors_array(cluster.mock(), kOffsetCommit, refusals.size(),
                                          refusals.data());
  KafkaSourceOptions o = MockOptions(cluster, "g-ce", "ce");
  o.commit_interval = std::chrono::milliseconds(100);
  RecordingSink sink;
  std::string error;
  auto source = KafkaSource::Create(o, sink, error);
  ASSERT_TRUE(source) << error;
  source->start();
  ASSERT_TRUE(WaitFor([&] { return sink.size() == 5 && source->counters().commit_errors >= 3; }))
      << "commit_errors " << source->counters().commit_errors;
  ASSERT_TRUE(WaitFor([&] {
    return cluster.committed("g-ce", "ce", 1) == std::vector<int64_t>{5};
  })) << "committed "
      << cluster.committed("g-ce", "ce", 1)[0];
  EXPECT_EQ(source->counters().commit_errors, 3u);
  EXPECT_GE(source->counters().commits, 1u);
  source->stop();
}

// Issue 16: JSON events with fields PredictionEvent does not have are counted per (topic,
// field): a producer sending `score` instead of `confidence` shows up in the counters (and
// once in the log) instead of silently turning predictions into ground truth.
TEST(KafkaSourceMock, CountsTheFieldsEventsCarryThatAreIgnored) {
  MockCluster cluster;
  cluster.create_topic("uf", 1);
  std::string with_score = JsonEvent("cam1", "f0", 1000);
  const size_t at = with_score.find(R"("confidence")");
  ASSERT_NE(at, std::string::npos);
  with_score.replace(at, 12, R"("score")");
  for (int i = 0; i < 3; ++i) cluster.produce("uf", 0, with_score);
  cluster.produce("uf", 0, JsonEvent("cam1", "f3", 1003));
  cluster.flush();
  RecordingSink sink;
  std::string error;
  auto source = KafkaSource::Create(MockOptions(cluster, "g7", "uf"), sink, error);
  ASSERT_TRUE(source) << error;
  source->start();
  ASSERT_TRUE(WaitFor([&] { return sink.size() == 4; }));
  source->stop();
  using Key = std::pair<std::string, std::string>;
  EXPECT_THAT(source->counters().unknown_fields,
              ::testing::ElementsAre(::testing::Pair(Key{"uf", "detections[].score"}, 3u)));
}

// Issue 14: when the rebuild cannot find a partition's offset at the horizon (here the
// broker refuses the offsets-for-times request every time it is asked), the partition
// resumes from the committed offset and its windows start incomplete: that is counted, not
// silent. A refusal that passes (once) is tried again and costs nothing.
// Runs a source with a 1 h rebuild horizon on a topic of `events` events whose first
// `refusals` offsets-for-times requests the broker refuses; returns its counters once it
// applied `expect_applied` events (and had its partition assigned).
KafkaSourceCounters RebuildWithRefusedLookups(const std::string& topic, int events,
                                              const std::vector<rd_kafka_resp_err_t>& refusals,
                                              size_t expect_applied) {
  MockCluster cluster;
  cluster.create_topic(topic.c_str(), 1);
  for (int i = 0; i < events; ++i)
    cluster.produce(topic, 0, JsonEvent("cam1", "f" + std::to_string(i), i));
  cluster.flush();
  constexpr int16_t kListOffsets = 2;  // Kafka protocol ApiKey
  rd_kafka_mock_push_request_errors_array(cluster.mock(), kListOffsets, refusals.size(),
                                          refusals.data());
  KafkaSourceOptions o = MockOptions(cluster, "g-" + topic, topic);
  o.rebuild_horizon_ms = 3'600'000;
  o.broker_timeout = std::chrono::milliseconds(2000);
  RecordingSink sink;
  std::string error;
  auto source = KafkaSource::Create(o, sink, error);
  EXPECT_TRUE(source) << error;
  if (!source) return {};
  source->start();
  EXPECT_TRUE(WaitFor([&] {
    return sink.size() == expect_applied && source->counters().partitions_assigned == 1;
  }));
  source->stop();
  return source->counters();
}

TEST(KafkaSourceMock, ARebuildThatCannotFindTheHorizonIsCounted) {
  const std::vector<rd_kafka_resp_err_t> refused(kRebuildLookupAttempts,
                                                 RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  // From the committed offset (none: the earliest): all 3 events.
  EXPECT_EQ(RebuildWithRefusedLookups("rb", 3, refused, 3).rebuild_lookup_errors, 1u);
}

TEST(KafkaSourceMock, ARebuildLookupRefusedOnceIsTriedAgain) {
  EXPECT_EQ(RebuildWithRefusedLookups("rb1", 1, {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION}, 0)
                .rebuild_lookup_errors,
            0u);
}

// Issue 14: a consumer further behind than the rebuild horizon starts its rebuild past its
// committed offset; the messages in between are never applied, and that is counted (and
// logged), not silent. Run 1 (no rebuild) applies 5 messages and commits offset 5; then 7
// messages two hours old arrive; run 2 (horizon 1 h) finds nothing newer than the horizon and
// starts at the end, offset 12: 12 - 5 = 7 skipped, none applied. (librdkafka 2.0's mock
// answers every offsets-for-times lookup with the end offset, so a rebuild starting between
// the committed offset and the end is not driven here.)
TEST(KafkaSourceMock, ARebuildPastTheCommittedOffsetCountsTheSkippedMessages) {
  MockCluster cluster;
  cluster.create_topic("sk", 1);
  const int64_t now = WallNowMs();
  for (int i = 0; i < 5; ++i)
    cluster.produce_at("sk", 0, JsonEvent("cam1", "a" + std::to_string(i), i), now - 10'800'000);
  cluster.flush();
  const auto run = [&](int64_t horizon_ms, size_t expect_applied) {
    KafkaSourceOptions o = MockOptions(cluster, "g-sk", "sk");
    o.rebuild_horizon_ms = horizon_ms;
    o.now_ms = [now] { return now; };
    RecordingSink sink;
    std::string error;
    auto source = KafkaSource::Create(o, sink, error);
    EXPECT_TRUE(source) << error;
    if (!source) return KafkaSourceCounters{};
    source->start();
    EXPECT_TRUE(WaitFor([&] {
      return sink.size() == expect_applied && source->counters().partitions_assigned == 1;
    }));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // nothing more arrives
    EXPECT_EQ(sink.size(), expect_applied);
    source->stop();  // commits
    return source->counters();
  };
  EXPECT_EQ(run(0, 5).rebuild_skipped_messages, 0u);
  for (int i = 0; i < 7; ++i)
    cluster.produce_at("sk", 0, JsonEvent("cam1", "b" + std::to_string(i), i), now - 7'200'000);
  cluster.flush();
  EXPECT_EQ(run(3'600'000, 0).rebuild_skipped_messages, 7u);
}

// Issue 14: the skew bound's reference is the message timestamp or the wall clock, whichever
// is earlier, so a producer that copies a timestamp in microseconds into the message
// timestamp as well does not carry it past limits.max_future_skew. Three messages: an
// ordinary one (timestamp a minute ago: its own), one stamped far in the future (the wall
// clock instead), one without a timestamp set by the producer (librdkafka stamps it now).
TEST(KafkaSourceMock, TheSkewReferenceIsTheMessageTimestampOrTheWallClockWhenEarlier) {
  MockCluster cluster;
  cluster.create_topic("ts", 1);
  const int64_t now = WallNowMs();
  cluster.produce_at("ts", 0, JsonEvent("cam1", "past", now - 60'000), now - 60'000);
  cluster.produce_at("ts", 0, JsonEvent("cam1", "us", now * 1000), now * 1000);
  cluster.produce("ts", 0, JsonEvent("cam1", "unset", now));
  cluster.flush();
  KafkaSourceOptions o = MockOptions(cluster, "g-ts", "ts");
  o.now_ms = [now] { return now; };
  RecordingSink sink;
  std::string error;
  auto source = KafkaSource::Create(o, sink, error);
  ASSERT_TRUE(source) << error;
  source->start();
  ASSERT_TRUE(WaitFor([&] { return sink.size() == 3; }));
  source->stop();
  const auto got = sink.all();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].message_time_ms, now - 60'000);
  EXPECT_EQ(got[1].message_time_ms, now);
  EXPECT_EQ(got[2].message_time_ms, now);  // stamped by the producer after `now`: the clock
}

// Issue 14: broker errors the consumer sees are counted (predwatch_kafka_errors_total
// {operation="consume"}), and the source carries on when the broker is back: the events
// produced before the outage and those produced after it are each applied once.
TEST(KafkaSourceMock, ABrokerDownIsCountedAsConsumerErrorsAndNothingIsLost) {
  MockCluster cluster;
  cluster.create_topic("down", 1);
  for (int i = 0; i < 2; ++i)
    cluster.produce("down", 0, JsonEvent("cam1", "a" + std::to_string(i), i));
  cluster.flush();
  KafkaSourceOptions o = MockOptions(cluster, "g-down", "down");
  o.properties["reconnect.backoff.ms"] = "100";
  o.properties["reconnect.backoff.max.ms"] = "500";
  RecordingSink sink;
  std::string error;
  auto source = KafkaSource::Create(o, sink, error);
  ASSERT_TRUE(source) << error;
  source->start();
  ASSERT_TRUE(WaitFor([&] { return sink.size() == 2; }));
  EXPECT_EQ(source->counters().consumer_errors, 0u);
  rd_kafka_mock_broker_set_down(cluster.mock(), 1);
  EXPECT_TRUE(WaitFor([&] { return source->counters().consumer_errors > 0; }));
  rd_kafka_mock_broker_set_up(cluster.mock(), 1);
  for (int i = 0; i < 2; ++i)
    cluster.produce("down", 0, JsonEvent("cam1", "b" + std::to_string(i), 10 + i));
  cluster.flush();
  EXPECT_TRUE(WaitFor([&] { return sink.size() == 4; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // nothing more arrives
  source->stop();
  std::vector<std::string> frames;
  for (const Record& r : sink.all()) frames.push_back(r.frame_id);
  EXPECT_THAT(frames, ::testing::ElementsAre("a0", "a1", "b0", "b1"));
}

// A bad event larger than the dead-letter producer accepts (message.max.bytes, 1 MB by
// default) would be refused forever and stall its partition; its copy goes without the
// payload instead (header predwatch-payload-omitted: the size), and the offset moves on.
TEST(KafkaSourceMock, ACopyTooLargeForTheDeadLetterTopicGoesWithoutItsPayload) {
  MockCluster cluster;
  cluster.create_topic("huge", 1);
  cluster.create_topic("huge-dlq", 1);
  cluster.produce("huge", 0, std::string(1'500'000, 'x'));  // undecodable, 1.5 MB
  cluster.produce("huge", 0, JsonEvent("cam1", "f1", 1000));
  cluster.flush();
  KafkaSourceOptions o = MockOptions(cluster, "g9", "huge");
  o.dead_letter_topic = "huge-dlq";
  RecordingSink sink;
  std::string error;
  auto source = KafkaSource::Create(o, sink, error);
  ASSERT_TRUE(source) << error;
  source->start();
  ASSERT_TRUE(WaitFor([&] { return sink.size() == 1 && source->counters().dead_lettered == 1; }))
      << "dead_letter_errors " << source->counters().dead_letter_errors;
  source->stop();
  EXPECT_THAT(cluster.committed("g9", "huge", 1), ::testing::ElementsAre(2));
  const auto dead = cluster.read("huge-dlq", 1);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].payload, "");
  EXPECT_EQ(dead[0].headers.count("predwatch-payload-omitted"), 1u);
  EXPECT_EQ(dead[0].headers.at("predwatch-payload-omitted"), "1500000");
}

// limits.max_message_bytes and limits.max_detections_per_event: such messages are bad
// events, counted, dead-lettered and their offsets stored like any other.
TEST(KafkaSourceMock, MessagesOverTheLimitsAreRejectedAndDeadLettered) {
  MockCluster cluster;
  cluster.create_topic("big", 1);
  cluster.create_topic("big-dlq", 1);
  // A well-formed event padded past the size limit: only its size makes it bad.
  const std::string oversize = JsonEvent("cam1", "huge", 1001) + std::string(2000, ' ');
  // A well-formed event with three detections (one more than allowed).
  std::string crowded = JsonEvent("cam1", "crowded", 1003);
  const std::string detection = crowded.substr(crowded.find("[{") + 1);
  crowded.insert(crowded.find("[{") + 1, detection.substr(0, detection.size() - 2) + ",");
  crowded.insert(crowded.find("[{") + 1, detection.substr(0, detection.size() - 2) + ",");
  cluster.produce("big", 0, JsonEvent("cam1", "f0", 1000));
  cluster.produce("big", 0, oversize);
  cluster.produce("big", 0, JsonEvent("cam1", "f2", 1002));
  cluster.produce("big", 0, crowded);
  cluster.flush();

  RecordingSink sink;
  std::string error;
  KafkaSourceOptions o = MockOptions(cluster, "g5", "big");
  o.max_message_bytes = 1024;
  o.max_detections_per_event = 2;
  o.dead_letter_topic = "big-dlq";
  auto source = KafkaSource::Create(o, sink, error);
  ASSERT_TRUE(source) << error;
  source->start();
  ASSERT_TRUE(WaitFor([&] { return sink.size() >= 2 && source->counters().dead_lettered == 2; }));
  source->stop();

  EXPECT_THAT(Offsets(sink.all()), ::testing::ElementsAre(0, 2));
  const KafkaSourceCounters c = source->counters();
  EXPECT_EQ(c.messages, 4u);
  EXPECT_EQ(c.applied, 2u);
  EXPECT_EQ(c.bad_events[static_cast<size_t>(DecodeError::kMessageTooLarge)], 1u);
  EXPECT_EQ(c.bad_events[static_cast<size_t>(DecodeError::kTooManyDetections)], 1u);
  EXPECT_EQ(decode_error_name(DecodeError::kMessageTooLarge), "message_too_large");
  EXPECT_EQ(decode_error_name(DecodeError::kTooManyDetections), "too_many_detections");
  EXPECT_EQ(c.dead_lettered, 2u);
  source.reset();
  // The rejected messages' offsets were stored like any other.
  EXPECT_THAT(cluster.committed("g5", "big", 1), ::testing::ElementsAre(4));

  // The dead-letter topic holds the messages unchanged, with the reasons.
  std::vector<std::pair<std::string, std::string>> dead;  // (reason, payload)
  for (const MockCluster::Read& r : cluster.read("big-dlq", 2)) {
    ASSERT_EQ(r.headers.count("predwatch-reason"), 1u);
    dead.emplace_back(r.headers.at("predwatch-reason"), r.payload);
  }
  EXPECT_THAT(dead, ::testing::ElementsAre(::testing::Pair("message_too_large", oversize),
                                           ::testing::Pair("too_many_detections", crowded)));
}

TEST(KafkaSourceMock, CountsStreamsThatMovePartitions) {
  MockCluster cluster;
  cluster.create_topic("ev3", 2);
  cluster.produce("ev3", 0, JsonEvent("camA", "a1", 1));
  cluster.produce("ev3", 0, JsonEvent("camB", "b1", 1));
  cluster.flush();
  cluster.produce("ev3", 1, JsonEvent("camA", "a2", 2));  // camA now on partition 1
  cluster.flush();
  RecordingSink sink;
  std::string error;
  auto source = KafkaSource::Create(MockOptions(cluster, "g3", "ev3"), sink, error);
  ASSERT_TRUE(source) << error;
  source->start();
  ASSERT_TRUE(WaitFor([&] { return sink.size() >= 3; }));
  source->stop();
  EXPECT_EQ(source->counters().stream_moved, 1u);
}

// A Kafka 4.0.0 broker: JoinGroup from v2 only (KIP-896; 4.0.1 advertises v0 again).
void AdvertiseJoinGroupFromV2(MockCluster& cluster) {
  ASSERT_EQ(rd_kafka_mock_set_apiversion(cluster.mock(), 11, 2, 5), RD_KAFKA_RESP_ERR_NO_ERROR);
}

TEST(KafkaSourceMock, ConsumesFromABrokerWithoutJoinGroupV0) {
  // librdkafka >= 2.0 joins groups without JoinGroup v0 (it sends v5); only its Kerberos
  // check depends on v0. So over PLAINTEXT nothing is reported and every event arrives.
  MockCluster cluster;
  AdvertiseJoinGroupFromV2(cluster);
  cluster.create_topic("ev40", 1);
  for (int i = 0; i < 5; ++i)
    cluster.produce("ev40", 0, JsonEvent("cam1", "f" + std::to_string(i), i));
  cluster.flush();
  RecordingSink sink;
  std::string error;
  auto source = KafkaSource::Create(MockOptions(cluster, "g40", "ev40"), sink, error);
  ASSERT_TRUE(source) << error;
  source->start();
  EXPECT_TRUE(WaitFor([&] { return sink.size() >= 5 || source->fatal_error(); }));
  source->stop();
  EXPECT_FALSE(source->fatal_error()) << *source->fatal_error();
  EXPECT_EQ(sink.size(), 5u);
}

TEST(KafkaSourceMock, ReportsKerberosOnABrokerWithoutJoinGroupV0WithOldLibrdkafka) {
  if (linked_librdkafka_version() >= kFirstLibrdkafkaForKafka4) {
    GTEST_SKIP() << "librdkafka " << KafkaSource::librdkafka_version()
                 << " authenticates with Kerberos on brokers without JoinGroup v0";
  }
  MockCluster cluster;
  AdvertiseJoinGroupFromV2(cluster);
  std::string error;
  auto versions = probe_api_versions(cluster.bootstraps(), std::chrono::seconds(5), error);
  ASSERT_TRUE(versions) << error;
  EXPECT_EQ(versions->join_group_min, 2);
  EXPECT_EQ(versions->join_group_max, 5);

  // The probe speaks plain TCP, as a SASL_PLAINTEXT listener answers ApiVersions before
  // authentication; the verdict comes before librdkafka tries to authenticate.
  KafkaSourceOptions o = MockOptions(cluster, "g4", "ev4");
  o.properties["security.protocol"] = "SASL_PLAINTEXT";
  o.properties["sasl.mechanisms"] = "GSSAPI";
  o.properties["sasl.kerberos.kinit.cmd"] = "true";  // no KDC here
  RecordingSink sink;
  auto source = KafkaSource::Create(o, sink, error);
  ASSERT_TRUE(source) << error;
  source->run();  // returns by itself
  ASSERT_TRUE(source->fatal_error());
  const std::string message = *source->fatal_error();
  EXPECT_THAT(message, HasSubstr(cluster.bootstraps()));
  EXPECT_THAT(message, HasSubstr("JoinGroup v0"));
  EXPECT_THAT(message, HasSubstr("librdkafka " + KafkaSource::librdkafka_version()));
  EXPECT_THAT(message, HasSubstr("GSSAPI"));
  EXPECT_THAT(message, HasSubstr(">= 4.0.1"));
  EXPECT_THAT(message, HasSubstr(">= 2.11"));
  EXPECT_THAT(message, HasSubstr("#4948"));
}

TEST(BrokerCompat, OnlyOldLibrdkafkaWithoutJoinGroupV0IsIncompatible) {
  BrokerApiVersions kafka39{"b:9092", 0, 9, 70};
  BrokerApiVersions kafka400{"b:9092", 2, 9, 80};
  BrokerApiVersions kafka401{"b:9092", 0, 9, 80};
  EXPECT_FALSE(kafka4_incompatibility(kafka39, 0x020002ff, "2.0.2"));
  EXPECT_FALSE(kafka4_incompatibility(kafka401, 0x020002ff, "2.0.2"));
  EXPECT_TRUE(kafka4_incompatibility(kafka400, 0x020002ff, "2.0.2"));
  EXPECT_TRUE(kafka4_incompatibility(kafka400, 0x020a01ff, "2.10.1"));
  EXPECT_FALSE(kafka4_incompatibility(kafka400, 0x020b00ff, "2.11.0"));
}

TEST(BrokerCompat, OnlyKerberosDependsOnJoinGroupV0) {
  using Props = std::map<std::string, std::string>;
  EXPECT_FALSE(uses_kerberos(Props{}));
  EXPECT_FALSE(uses_kerberos(Props{{"security.protocol", "ssl"}}));
  EXPECT_FALSE(
      uses_kerberos(Props{{"security.protocol", "SASL_SSL"}, {"sasl.mechanisms", "PLAIN"}}));
  EXPECT_FALSE(uses_kerberos(
      Props{{"security.protocol", "sasl_plaintext"}, {"sasl.mechanism", "SCRAM-SHA-512"}}));
  EXPECT_FALSE(uses_kerberos(Props{{"sasl.mechanisms", "GSSAPI"}}));  // SASL not in use
  // GSSAPI is librdkafka's default mechanism.
  EXPECT_TRUE(uses_kerberos(Props{{"security.protocol", "SASL_PLAINTEXT"}}));
  EXPECT_TRUE(
      uses_kerberos(Props{{"security.protocol", "sasl_ssl"}, {"sasl.mechanism", "gssapi"}}));
}

TEST(KafkaSourceOptionsCheck, RejectsBrokenOptions) {
  RecordingSink sink;
  std::string error;
  KafkaSourceOptions o;
  o.bootstrap_servers = "127.0.0.1:1";
  o.topics = {"t"};
  EXPECT_FALSE(KafkaSource::Create(o, sink, error));
  EXPECT_THAT(error, HasSubstr("group_id"));
  o.group_id = "g";
  o.properties = {{"enable.auto.offset.store", "true"}};
  EXPECT_FALSE(KafkaSource::Create(o, sink, error));
  EXPECT_THAT(error, HasSubstr("enable.auto.offset.store"));
  o.properties = {{"no.such.property", "1"}};
  EXPECT_FALSE(KafkaSource::Create(o, sink, error));
  EXPECT_THAT(error, HasSubstr("no.such.property"));
}

}  // namespace
}  // namespace predwatch::daemon
