// Test-only consumer process for the integration tests that need to kill a consumer
// (SIGKILL: no commit, no leave-group). Runs a KafkaSource with a sink that prints
// "A <stream> <frame_id> <partition> <offset>" per applied event (flushed), sleeping
// <delay_ms> in each apply so that a test can kill it mid-stream.
//
// usage: kafka_test_consumer BOOTSTRAP GROUP TOPIC HORIZON_MS DELAY_MS
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "daemon/ingest/kafka_source.h"

namespace {

class PrintingSink : public predwatch::daemon::EventSink {
 public:
  explicit PrintingSink(int delay_ms) : delay_ms_(delay_ms) {}
  predwatch::daemon::SinkResult apply(const predwatch::core::Event& e,
                                      const predwatch::daemon::EventOrigin& o) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
    std::printf("A %.*s %.*s %d %lld\n", static_cast<int>(e.stream.size()), e.stream.data(),
                static_cast<int>(e.frame_id.size()), e.frame_id.data(), o.partition,
                static_cast<long long>(o.offset));
    std::fflush(stdout);
    return predwatch::daemon::SinkResult::Applied();
  }
  void on_partitions_assigned(std::span<const predwatch::daemon::TopicPartition>) override {}
  void on_partitions_revoked(std::span<const predwatch::daemon::TopicPartition>) override {}

 private:
  int delay_ms_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s BOOTSTRAP GROUP TOPIC HORIZON_MS DELAY_MS\n", argv[0]);
    return 2;
  }
  predwatch::daemon::KafkaSourceOptions o;
  o.bootstrap_servers = argv[1];
  o.group_id = argv[2];
  o.topics = {argv[3]};
  o.rebuild_horizon_ms = std::atoll(argv[4]);
  o.commit_interval = std::chrono::milliseconds(200);
  o.properties = {{"heartbeat.interval.ms", "300"}, {"session.timeout.ms", "6000"}};
  PrintingSink sink(std::atoi(argv[5]));
  std::string error;
  auto source = predwatch::daemon::KafkaSource::Create(o, sink, error);
  if (!source) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  source->run();  // until killed
  return 0;
}
