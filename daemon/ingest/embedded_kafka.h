// EmbeddedKafka: librdkafka's in-process mock cluster (`kafka.embedded: true`), for the demo
// and tests. It speaks the Kafka protocol on loopback ports, so the daemon's real consumer
// (and any producer, kcat included) talks to it exactly as to a broker.
//
// Limits of the mock (librdkafka 2.0.2, docs/KAFKA.md): no ListOffsets by timestamp, so the
// window rebuild cannot seek by time — the daemon reads an embedded cluster from the
// beginning instead (it is empty at every start); no TLS/SASL; the first group join takes
// about 3 s. State lives in memory and is gone when the object is destroyed.
//
// Thread-safety: immutable after Create(); the cluster runs on librdkafka's own threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace predwatch::daemon {

class EmbeddedKafka {
 public:
  // Starts a cluster of `brokers` mock brokers and creates each topic with `partitions`
  // partitions. nullptr with `error` set on failure.
  static std::unique_ptr<EmbeddedKafka> Create(const std::vector<std::string>& topics,
                                               int partitions, int brokers, std::string& error);
  ~EmbeddedKafka();
  EmbeddedKafka(const EmbeddedKafka&) = delete;
  EmbeddedKafka& operator=(const EmbeddedKafka&) = delete;

  // "127.0.0.1:port[,...]" for bootstrap.servers.
  const std::string& bootstrap_servers() const { return bootstrap_; }

 private:
  EmbeddedKafka() = default;
  rd_kafka_s* handle_ = nullptr;                // owns the mock cluster's threads
  rd_kafka_mock_cluster_s* cluster_ = nullptr;  // owned
  std::string bootstrap_;
};

}  // namespace predwatch::daemon
