// DemoProducer: a thread that plays a DemoScenario into a Kafka topic — frames from
// core::ScenarioGenerator at a steady rate, stamped with the wall clock, encoded as JSON
// (event_json.h) with content-type application/json, keyed by stream. The daemon's
// consumer reads them back like any producer's: producer -> topic -> consumer -> engine.
//
// Thread-safety: start()/stop() from one thread; the accessors from any thread.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/scenario.h"

struct rd_kafka_s;

namespace predwatch::daemon {

struct DemoProducerOptions {
  std::string bootstrap_servers;  // required
  std::string topic = "predictions";
  std::string stream = "demo-cam";
  double frames_per_second = 200;  // > 0
  uint64_t seed = 1;
  std::map<std::string, std::string> properties;  // extra librdkafka producer properties
};

class DemoProducer {
 public:
  // `pool` must outlive the producer. Fails (nullptr, `error`) when the producer cannot be
  // created or the pool cannot support an episode.
  static std::unique_ptr<DemoProducer> Create(DemoProducerOptions options,
                                              std::span<const core::PoolFrame> pool,
                                              const std::vector<core::Episode>& episodes,
                                              std::string& error);
  ~DemoProducer();  // stop()

  void start();
  // Stops producing and flushes what is queued (up to 5 s).
  void stop();

  uint64_t produced() const { return produced_; }
  uint64_t delivered() const { return delivered_; }
  uint64_t delivery_errors() const { return delivery_errors_; }
  // Label of the episode active at wall time now_ms, or "" (quiet).
  std::string episode_at(int64_t now_ms) const;

 private:
  DemoProducer() = default;
  void run();
  static void on_delivery(rd_kafka_s*, const void* msg, void* opaque);

  DemoProducerOptions options_;
  std::unique_ptr<core::ScenarioGenerator> generator_;
  std::vector<core::Episode> episodes_;
  rd_kafka_s* producer_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> produced_{0}, delivered_{0}, delivery_errors_{0};
};

}  // namespace predwatch::daemon
