#include "daemon/ingest/embedded_kafka.h"

#include <librdkafka/rdkafka.h>
// rdkafka_mock.h must follow rdkafka.h.
#include <librdkafka/rdkafka_mock.h>

namespace predwatch::daemon {

std::unique_ptr<EmbeddedKafka> EmbeddedKafka::Create(const std::vector<std::string>& topics,
                                                     int partitions, int brokers,
                                                     std::string& error) {
  std::unique_ptr<EmbeddedKafka> k(new EmbeddedKafka());
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The handle only hosts the cluster; it never connects anywhere.
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  k->handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (k->handle_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    error = std::string("embedded kafka: cannot create the host handle: ") + err;
    return nullptr;
  }
  k->cluster_ = rd_kafka_mock_cluster_new(k->handle_, brokers);
  if (k->cluster_ == nullptr) {
    error = "embedded kafka: cannot start the mock cluster";
    return nullptr;
  }
  for (const std::string& t : topics) {
    if (rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(k->cluster_, t.c_str(), partitions, 1);
        e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      error = "embedded kafka: cannot create topic " + t + ": " + rd_kafka_err2str(e);
      return nullptr;
    }
  }
  k->bootstrap_ = rd_kafka_mock_cluster_bootstraps(k->cluster_);
  return k;
}

EmbeddedKafka::~EmbeddedKafka() {
  if (cluster_) rd_kafka_mock_cluster_destroy(cluster_);
  if (handle_) rd_kafka_destroy(handle_);
}

}  // namespace predwatch::daemon
