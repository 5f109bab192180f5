// KafkaSource against a real single-node Kafka 3.9 broker (started by broker.sh as a ctest
// fixture; its address is in the file named by PREDWATCH_KAFKA_BOOTSTRAP_FILE).
//
// The sink (tests/support/recording_sink.h) keeps per-partition state that it clears when
// a partition is assigned, as the real windows do; "state" below is what the windows would
// count.
#include "daemon/ingest/kafka_source.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include "predwatch/v1/event.pb.h"
#include "tests/support/kafka_broker.h"
#include "tests/support/kafka_committed.h"
#include "tests/support/recording_sink.h"

namespace predwatch::daemon {
namespace {

using predwatch::testing::JsonEvent;
using predwatch::testing::Record;
using predwatch::testing::RecordingSink;
using predwatch::testing::WaitFor;

using predwatch::testing::Bootstrap;
using predwatch::testing::NowMs;
using predwatch::testing::Unique;

std::string ProtoEvent(const std::string& stream, const std::string& frame_id, int64_t time_ms) {
  v1::PredictionEvent m;
  m.set_frame_id(frame_id);
  m.set_stream(stream);
  m.mutable_timestamp()->set_seconds(time_ms / 1000);
  m.mutable_timestamp()->set_nanos(static_cast<int32_t>(time_ms % 1000) * 1'000'000);
  m.mutable_image()->set_width(640);
  m.mutable_image()->set_height(480);
  v1::Detection* d = m.add_detections();
  d->set_class_name("car");
  d->set_confidence(0.7f);
  d->mutable_box()->set_x_min(10);
  d->mutable_box()->set_y_min(20);
  d->mutable_box()->set_x_max(110);
  d->mutable_box()->set_y_max(220);
  return m.SerializeAsString();
}

class Producer {
 public:
  explicit Producer(const std::string& bootstrap) {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  }
  ~Producer() { rd_kafka_destroy(rk_); }

  // Keyed by stream (the documented requirement); timestamp 0 = now.
  void send(const std::string& topic, const std::string& key, const std::string& payload,
            const char* content_type, int64_t timestamp_ms = 0) {
    rd_kafka_headers_t* headers = rd_kafka_headers_new(1);
    if (content_type) rd_kafka_header_add(headers, "content-type", -1, content_type, -1);
    ASSERT_EQ(rd_kafka_producev(
                  rk_, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_KEY(key.data(), key.size()),
                  RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_TIMESTAMP(timestamp_ms),
                  RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  void flush() { ASSERT_EQ(rd_kafka_flush(rk_, 30000), RD_KAFKA_RESP_ERR_NO_ERROR); }

 private:
  rd_kafka_t* rk_ = nullptr;
};

class KafkaIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ = Bootstrap();
    if (bootstrap_.empty()) {
      GTEST_SKIP() << "PREDWATCH_KAFKA_BOOTSTRAP_FILE not set: run through ctest "
                      "(the kafka_broker fixture starts the broker)";
    }
  }

  KafkaSourceOptions Options(const std::string& group, const std::string& topic) {
    KafkaSourceOptions o;
    o.bootstrap_servers = bootstrap_;
    o.group_id = group;
    o.topics = {topic};
    o.properties = {{"heartbeat.interval.ms", "300"}, {"session.timeout.ms", "6000"}};
    o.rebuild_horizon_ms = 3'600'000;  // 1 h
    o.commit_interval = std::chrono::milliseconds(500);
    o.statistics_interval = std::chrono::milliseconds(1000);
    o.poll_timeout = std::chrono::milliseconds(50);
    return o;
  }

  std::string bootstrap_;
};

// (stream, frame_id) -> how many times the records hold it.
std::map<std::pair<std::string, std::string>, int> Multiplicity(const std::vector<Record>& rs) {
  std::map<std::pair<std::string, std::string>, int> out;
  for (const auto& r : rs) ++out[{r.stream, r.frame_id}];
  return out;
}

TEST_F(KafkaIntegration, AppliesEveryGoodEventOnceAndCountsMalformedByReason) {
  const std::string topic = Unique("it-basic");
  const std::string dlq = Unique("it-dlq");
  Producer producer(bootstrap_);
  const int64_t t0 = NowMs();
  std::set<std::pair<std::string, std::string>> good;
  for (int i = 0; i < 60; ++i) {
    const std::string stream = "cam" + std::to_string(i % 6);
    const std::string frame = stream + "/" + std::to_string(i);
    if (i % 3 == 0) {
      producer.send(topic, stream, ProtoEvent(stream, frame, t0 + i), "application/x-protobuf");
    } else if (i % 3 == 1) {
      producer.send(topic, stream, JsonEvent(stream, frame, t0 + i), "application/json");
    } else {
      producer.send(topic, stream, JsonEvent(stream, frame, t0 + i), nullptr);  // topic default
    }
    good.insert({stream, frame});
  }
  producer.send(topic, "cam0", "{\"frame_id\": ", "application/json");  // undecodable
  producer.send(topic, "cam0", JsonEvent("cam0", "x", t0),
                "application/x-protobuf");  // undecodable
  producer.send(topic, "cam1", JsonEvent("cam1", "c", t0, 2.0),
                "application/json");                                               // bad_confidence
  producer.send(topic, "cam1", JsonEvent("cam1", "c2", t0, -1.0), nullptr);        // bad_confidence
  producer.send(topic, "cam2", R"({"stream":"cam2","timestamp_ms":5})", nullptr);  // missing_field
  producer.send(topic, "cam3", ProtoEvent("cam3", "f", t0), "text/csv");  // unknown_content_type
  // Well-formed, but the sink rejects its stream (as the engine does with unknown_stream).
  producer.send(topic, "forbidden", JsonEvent("forbidden", "f", t0), "application/json");
  producer.flush();
  constexpr int kBad = 6;

  RecordingSink sink;
  sink.on_apply = [](const Record& r) -> std::string_view {
    return r.stream == "forbidden" ? "unknown_stream" : "";
  };
  const std::string group = Unique("g-basic");
  KafkaSourceOptions options = Options(group, topic);
  options.dead_letter_topic = dlq;
  std::string error;
  auto source = KafkaSource::Create(options, sink, error);
  ASSERT_TRUE(source) << error;
  source->start();
  ASSERT_TRUE(WaitFor([&] { return source->counters().messages == 60 + kBad + 1; }));
  ASSERT_TRUE(WaitFor([&] { return source->rebuild_progress().complete; }));

  auto seen = Multiplicity(sink.all());
  ASSERT_EQ(seen.erase({"forbidden", "f"}), 1u);  // offered to the sink, which rejected it
  EXPECT_EQ(seen.size(), good.size());
  for (const auto& key : good)
    EXPECT_EQ(seen.count(key) ? seen.at(key) : 0, 1) << key.first << " " << key.second;
  for (const auto& r : sink.all()) EXPECT_TRUE(r.rebuilding) << "produced before the assignment";

  const KafkaSourceCounters c = source->counters();
  EXPECT_EQ(c.applied, 60u);
  EXPECT_EQ(c.bad_events[size_t(DecodeError::kUndecodable)], 2u);
  EXPECT_EQ(c.bad_events[size_t(DecodeError::kBadConfidence)], 2u);
  EXPECT_EQ(c.bad_events[size_t(DecodeError::kMissingField)], 1u);
  EXPECT_EQ(c.bad_events[size_t(DecodeError::kUnknownContentType)], 1u);
  EXPECT_EQ(c.stream_moved, 0u);  // keyed by stream
  EXPECT_EQ(c.rejected, 1u);
  // Bad events and the rejected one are copied to the dead-letter topic.
  ASSERT_TRUE(WaitFor([&] { return source->counters().dead_lettered == kBad + 1; }));

  // After the rebuild, new events are live (not rebuilding).
  producer.send(topic, "cam4", JsonEvent("cam4", "live", NowMs()), "application/json");
  producer.flush();
  ASSERT_TRUE(WaitFor([&] { return sink.size() == 62; }));
  EXPECT_FALSE(sink.all().back().rebuilding);

  // Lag from librdkafka statistics: every partition consumed to its end.
  ASSERT_TRUE(WaitFor([&] {
    LagSnapshot lag = source->lag();
    if (lag.partitions.size() != 3) return false;
    for (const auto& p : lag.partitions) {
      if (p.lag != 0 || p.committed_lag != 0) return false;
    }
    return lag.group_state == "up";
  })) << "lag never reached 0 on all 3 partitions";
  source->stop();

  // The dead-letter topic holds the original payloads with the reason header.
  // Reads it from the start until nothing arrives for 3 s: reason -> messages.
  auto read_dead_letters = [&] {
    std::map<std::string, int> reasons;
    std::string err;
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    conf->set("bootstrap.servers", bootstrap_, err);
    conf->set("group.id", Unique("dlq-reader"), err);
    conf->set("auto.offset.reset", "earliest", err);
    std::unique_ptr<RdKafka::KafkaConsumer> reader(RdKafka::KafkaConsumer::create(conf.get(), err));
    reader->subscribe({dlq});
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    auto idle_since = std::chrono::steady_clock::now();
    int got = 0;
    while (std::chrono::steady_clock::now() < deadline &&
           (got < kBad + 1 ||
            std::chrono::steady_clock::now() - idle_since < std::chrono::seconds(3))) {
      std::unique_ptr<RdKafka::Message> m(reader->consume(200));
      if (m->err() != RdKafka::ERR_NO_ERROR) continue;
      ++got;
      idle_since = std::chrono::steady_clock::now();
      RdKafka::Headers* h = m->headers();
      if (!h) {
        ++reasons["(no headers)"];
        continue;
      }
      RdKafka::Headers::Header reason = h->get_last("predwatch-reason");
      ++reasons[std::string(static_cast<const char*>(reason.value()), reason.value_size())];
      EXPECT_GT(m->len(), 0u);
    }
    reader->close();
    return reasons;
  };
  const auto expected = ::testing::ElementsAre(
      ::testing::Pair("bad_confidence", 2), ::testing::Pair("missing_field", 1),
      ::testing::Pair("undecodable", 2), ::testing::Pair("unknown_content_type", 1),
      ::testing::Pair("unknown_stream", 1));
  EXPECT_THAT(read_dead_letters(), expected);

  // A restart rebuilds the partitions from the horizon: the bad and rejected events are
  // read again but not copied again (they lie below the committed offsets).
  RecordingSink sink2;
  sink2.on_apply = sink.on_apply;
  auto again = KafkaSource::Create(options, sink2, error);
  ASSERT_TRUE(again) << error;
  again->start();
  ASSERT_TRUE(WaitFor([&] { return again->counters().messages == 61 + kBad + 1; }));
  ASSERT_TRUE(WaitFor([&] { return again->rebuild_progress().complete; }));
  again->stop();
  EXPECT_EQ(again->counters().dead_lettered, 0u);
  EXPECT_EQ(again->counters().rejected, 1u);
  EXPECT_THAT(read_dead_letters(), expected);
}

TEST_F(KafkaIntegration, RestartRebuildsTheHorizonAndCountsEachFrameOnce) {
  const std::string topic = Unique("it-restart");
  const std::string group = Unique("g-restart");
  Producer producer(bootstrap_);
  const int64_t now = NowMs();
  // Outside the 1 h horizon: message timestamps 2 h ago.
  for (int i = 0; i < 12; ++i) {
    const std::string stream = "cam" + std::to_string(i % 4);
    producer.send(topic, stream, JsonEvent(stream, "old" + std::to_string(i), now - 7'200'000),
                  nullptr, now - 7'200'000);
  }
  producer.flush();
  for (int i = 0; i < 40; ++i) {
    const std::string stream = "cam" + std::to_string(i % 4);
    producer.send(topic, stream,
                  i % 2 ? JsonEvent(stream, "new" + std::to_string(i), now + i)
                        : ProtoEvent(stream, "new" + std::to_string(i), now + i),
                  i % 2 ? "application/json" : "application/x-protobuf");
  }
  producer.flush();

  // First run: stopped in the middle of the stream.
  {
    RecordingSink sink;
    std::string error;
    auto source = KafkaSource::Create(Options(group, topic), sink, error);
    ASSERT_TRUE(source) << error;
    int applied = 0;  // touched only on the consumer thread
    sink.on_apply = [&](const Record&) -> std::string_view {
      if (++applied == 15) source->request_stop();
      return "";
    };
    source->start();
    ASSERT_TRUE(WaitFor([&] { return sink.size() >= 15; }));
    source->stop();
    EXPECT_LT(sink.size(), 40u);
    for (const auto& r : sink.all()) EXPECT_EQ(r.frame_id.rfind("old", 0), std::string::npos);
  }

  // Restart with the same group and a fresh sink (a restarted daemon): the rebuild replays
  // the whole horizon, so every recent frame is in the state exactly once, old ones never.
  RecordingSink sink;
  std::string error;
  auto source = KafkaSource::Create(Options(group, topic), sink, error);
  ASSERT_TRUE(source) << error;
  source->start();
  ASSERT_TRUE(WaitFor([&] { return source->rebuild_progress().complete; }));
  ASSERT_TRUE(WaitFor([&] { return sink.state().size() >= 40; }));
  auto state = Multiplicity(sink.state());
  EXPECT_EQ(state.size(), 40u);
  for (const auto& [key, n] : state) {
    EXPECT_EQ(n, 1) << key.second;
    EXPECT_EQ(key.second.rfind("new", 0), 0u) << key.second;
  }
  const RebuildProgress progress = source->rebuild_progress();
  ASSERT_EQ(progress.partitions.size(), 3u);
  for (const auto& p : progress.partitions) {
    EXPECT_TRUE(p.caught_up);
    EXPECT_GE(p.next_offset, p.target_offset);
  }
  // The sink heard of each partition's rebuild once, after its replayed events (every one
  // of which said rebuilding: they were produced before the assignment).
  std::vector<daemon::TopicPartition> rebuilt = sink.rebuilt();
  std::sort(rebuilt.begin(), rebuilt.end());
  EXPECT_EQ(rebuilt, (std::vector<daemon::TopicPartition>{{topic, 0}, {topic, 1}, {topic, 2}}));
  for (const auto& r : sink.all()) EXPECT_TRUE(r.rebuilding) << r.frame_id;
  source->stop();
}

TEST_F(KafkaIntegration, SecondConsumerTakesOverAndRebuilds) {
  const std::string topic = Unique("it-split");
  const std::string group = Unique("g-split");
  Producer producer(bootstrap_);
  const int64_t now = NowMs();
  for (int i = 0; i < 48; ++i) {
    const std::string stream = "cam" + std::to_string(i % 8);
    producer.send(topic, stream, JsonEvent(stream, stream + "/" + std::to_string(i), now + i),
                  "application/json");
  }
  producer.flush();

  RecordingSink sink_a, sink_b;
  std::string error;
  auto a = KafkaSource::Create(Options(group, topic), sink_a, error);
  ASSERT_TRUE(a) << error;
  auto b = KafkaSource::Create(Options(group, topic), sink_b, error);
  ASSERT_TRUE(b) << error;
  a->start();
  b->start();
  // Both own part of the 3 partitions, disjointly, and together hold every frame once.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto oa = sink_a.owned(), ob = sink_b.owned();
        if (oa.empty() || ob.empty() || oa.size() + ob.size() != 3) return false;
        for (const auto& p : oa) {
          if (ob.count(p)) return false;
        }
        return a->rebuild_progress().complete && b->rebuild_progress().complete &&
               sink_a.state().size() + sink_b.state().size() == 48;
      },
      std::chrono::seconds(60)))
      << "a owns " << sink_a.owned().size() << ", b owns " << sink_b.owned().size();
  auto both = sink_a.state();
  const auto state_b = sink_b.state();
  both.insert(both.end(), state_b.begin(), state_b.end());
  auto m = Multiplicity(both);
  EXPECT_EQ(m.size(), 48u);
  for (const auto& [key, n] : m) EXPECT_EQ(n, 1) << key.second;

  // A leaves: B takes over A's partitions and rebuilds them from the horizon.
  a->stop();
  ASSERT_TRUE(WaitFor(
      [&] {
        return sink_b.owned().size() == 3 && b->rebuild_progress().complete &&
               sink_b.state().size() >= 48;
      },
      std::chrono::seconds(60)));
  m = Multiplicity(sink_b.state());
  EXPECT_EQ(m.size(), 48u);
  for (const auto& [key, n] : m) EXPECT_EQ(n, 1) << key.second;
  EXPECT_FALSE(sink_a.revoked().empty());
  b->stop();
}

// At-least-once without the rebuild (rebuild_horizon 0, commits only on revoke and stop):
// when a second consumer joins, the first commits what it applied of the partitions it
// hands over, so the new owner starts exactly after them: nothing read twice, nothing
// skipped. (The same test against librdkafka's mock cluster was timing-dependent: the mock
// refuses commits during a cooperative rebalance, which brokers since KIP-429 accept.)
TEST_F(KafkaIntegration, CommitsOnRevokeSoTheNewOwnerDoesNotRepeat) {
  const std::string topic = Unique("it-revoke");
  const std::string group = Unique("g-revoke");
  Producer producer(bootstrap_);
  const int64_t now = NowMs();
  for (int i = 0; i < 60; ++i) {
    const std::string stream = "cam" + std::to_string(i % 6);
    producer.send(topic, stream, JsonEvent(stream, stream + "/old" + std::to_string(i), now + i),
                  "application/json");
  }
  producer.flush();
  KafkaSourceOptions o = Options(group, topic);
  o.rebuild_horizon_ms = 0;
  o.commit_interval = std::chrono::hours(1);
  o.properties.emplace("auto.offset.reset", "earliest");
  RecordingSink sink_a, sink_b;
  std::string error;
  auto a = KafkaSource::Create(o, sink_a, error);
  ASSERT_TRUE(a) << error;
  a->start();
  ASSERT_TRUE(WaitFor([&] { return sink_a.size() == 60; }, std::chrono::seconds(60)));
  std::map<int32_t, int64_t> end;  // partition -> its next offset
  for (const Record& r : sink_a.all()) end[r.partition] = std::max(end[r.partition], r.offset + 1);
  ASSERT_EQ(end.size(), 3u) << "the broker creates topics with 3 partitions";

  auto b = KafkaSource::Create(o, sink_b, error);
  ASSERT_TRUE(b) << error;
  b->start();
  ASSERT_TRUE(WaitFor([&] { return !sink_a.revoked().empty() && !sink_b.assigned().empty(); },
                      std::chrono::seconds(60)));
  const std::vector<int64_t> committed =
      predwatch::testing::CommittedOffsets(bootstrap_, group, topic, 3);
  for (const daemon::TopicPartition& moved : sink_a.revoked()) {
    EXPECT_EQ(committed[size_t(moved.partition)], end[moved.partition])
        << "partition " << moved.partition;
  }
  // New events reach their partition's owner only, and the new owner reads nothing old.
  for (int s = 0; s < 6; ++s) {
    const std::string stream = "cam" + std::to_string(s);
    producer.send(topic, stream, JsonEvent(stream, stream + "/new", now + 100), "application/json");
  }
  producer.flush();
  ASSERT_TRUE(
      WaitFor([&] { return sink_a.size() + sink_b.size() == 66; }, std::chrono::seconds(60)))
      << "a " << sink_a.size() << ", b " << sink_b.size();
  std::set<int32_t> b_partitions;
  for (const Record& r : sink_b.all()) {
    EXPECT_GE(r.offset, end[r.partition]) << "read again: " << r.frame_id;
    b_partitions.insert(r.partition);
  }
  for (const daemon::TopicPartition& moved : sink_a.revoked()) {
    EXPECT_TRUE(b_partitions.count(moved.partition)) << "partition " << moved.partition;
  }
  b->stop();
  a->stop();
}

// A consumer process killed with SIGKILL mid-stream (no final commit, no leave-group): after
// a restart with the same group, the rebuild holds every frame of the horizon exactly once.
TEST_F(KafkaIntegration, RestartAfterSigkillRebuildsExactlyOnce) {
  const std::string topic = Unique("it-kill");
  const std::string group = Unique("g-kill");
  Producer producer(bootstrap_);
  const int64_t now = NowMs();
  for (int i = 0; i < 30; ++i) {
    const std::string stream = "cam" + std::to_string(i % 5);
    producer.send(topic, stream, ProtoEvent(stream, "k" + std::to_string(i), now + i),
                  "application/x-protobuf");
  }
  producer.flush();

  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    ::execl(PREDWATCH_TEST_CONSUMER, PREDWATCH_TEST_CONSUMER, bootstrap_.c_str(), group.c_str(),
            topic.c_str(), "3600000", "50", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  FILE* lines = ::fdopen(out[0], "r");
  int applied = 0;
  char line[512];
  while (applied < 10 && std::fgets(line, sizeof line, lines)) {
    if (line[0] == 'A') ++applied;
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  std::fclose(lines);
  ASSERT_EQ(applied, 10) << "the child consumer stopped early";
  ASSERT_TRUE(WIFSIGNALED(status));

  // The killed member still holds its partitions until its session times out (6 s); the new
  // member then gets them and rebuilds from the horizon.
  RecordingSink sink;
  std::string error;
  auto source = KafkaSource::Create(Options(group, topic), sink, error);
  ASSERT_TRUE(source) << error;
  source->start();
  ASSERT_TRUE(
      WaitFor([&] { return source->rebuild_progress().complete && sink.state().size() >= 30; },
              std::chrono::seconds(60)));
  const auto state = Multiplicity(sink.state());
  EXPECT_EQ(state.size(), 30u);
  for (const auto& [key, n] : state) EXPECT_EQ(n, 1) << key.second;
  source->stop();
}

}  // namespace
}  // namespace predwatch::daemon
