// The committed offsets of a consumer group, read by an independent librdkafka client: what
// a new member of the group would resume from. For tests against the real broker and the
// mock cluster alike.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace predwatch::testing {

// One entry per partition 0..partitions-1: the committed offset, or -1001
// (RdKafka::Topic::OFFSET_INVALID) when the group has none.
inline std::vector<int64_t> CommittedOffsets(const std::string& bootstrap, const std::string& group,
                                             const std::string& topic, int partitions) {
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", bootstrap, err);
  conf->set("group.id", group, err);
  std::unique_ptr<RdKafka::KafkaConsumer> c(RdKafka::KafkaConsumer::create(conf.get(), err));
  std::vector<RdKafka::TopicPartition*> parts;
  for (int p = 0; p < partitions; ++p) parts.push_back(RdKafka::TopicPartition::create(topic, p));
  c->committed(parts, 10000);
  std::vector<int64_t> out;
  for (auto* p : parts) out.push_back(p->offset());
  RdKafka::TopicPartition::destroy(parts);
  c->close();
  return out;
}

}  // namespace predwatch::testing
