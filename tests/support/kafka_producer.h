// A minimal librdkafka producer for integration tests: keyed messages with a content-type
// header (and optionally their own timestamp), retried while the local queue is full; flush()
// asserts that everything was delivered.
#pragma once

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <string>
#include <utility>
#include <vector>

namespace predwatch::testing {

class Producer {
 public:
  // `properties`: extra librdkafka settings (e.g. enable.idempotence).
  explicit Producer(const std::string& bootstrap,
                    const std::vector<std::pair<std::string, std::string>>& properties = {}) {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "linger.ms", "5", err, sizeof err);
    for (const auto& [name, value] : properties) {
      EXPECT_EQ(rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof err),
                RD_KAFKA_CONF_OK)
          << name << ": " << err;
    }
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  }
  ~Producer() {
    rd_kafka_flush(rk_, 10000);
    rd_kafka_destroy(rk_);
  }
  // timestamp_ms: the message's CreateTime; 0 = now.
  void send(const std::string& topic, const std::string& key, const std::string& payload,
            const char* content_type, int64_t timestamp_ms = 0) {
    rd_kafka_headers_t* h = rd_kafka_headers_new(1);
    rd_kafka_header_add(h, "content-type", -1, content_type, -1);
    while (rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(topic.c_str()),
                             RD_KAFKA_V_KEY(key.data(), key.size()),
                             RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(h),
                             RD_KAFKA_V_TIMESTAMP(timestamp_ms),
                             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk_, 50);
    }
    rd_kafka_poll(rk_, 0);
  }
  void flush() { ASSERT_EQ(rd_kafka_flush(rk_, 30000), RD_KAFKA_RESP_ERR_NO_ERROR); }

 private:
  rd_kafka_t* rk_ = nullptr;
};

}  // namespace predwatch::testing
