// The committed offsets of a consumer group, read (or set) by an independent librdkafka
// client: what a new member of the group would resume from. For tests against the real broker and
// the mock cluster alike.
#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace predwatch::testing {

// A client of `group` that never joins it: it reads and commits offsets only.
inline std::unique_ptr<RdKafka::KafkaConsumer> GroupClient(const std::string& bootstrap,
                                                           const std::string& group) {
  std::string err;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  conf->set("bootstrap.servers", bootstrap, err);
  conf->set("group.id", group, err);
  return std::unique_ptr<RdKafka::KafkaConsumer>(RdKafka::KafkaConsumer::create(conf.get(), err));
}

// One entry per partition 0..partitions-1: the committed offset, or -1001
// (RdKafka::Topic::OFFSET_INVALID) when the group has none.
inline std::vector<int64_t> CommittedOffsets(const std::string& bootstrap, const std::string& group,
                                             const std::string& topic, int partitions) {
  auto c = GroupClient(bootstrap, group);
  std::vector<RdKafka::TopicPartition*> parts;
  for (int p = 0; p < partitions; ++p) parts.push_back(RdKafka::TopicPartition::create(topic, p));
  c->committed(parts, 10000);
  std::vector<int64_t> out;
  for (auto* p : parts) out.push_back(p->offset());
  RdKafka::TopicPartition::destroy(parts);
  c->close();
  return out;
}

// Commits `offsets[p]` for partition p of `topic` as `group`, as a member that stopped there
// would have; true when the broker accepted it.
inline bool CommitOffsets(const std::string& bootstrap, const std::string& group,
                          const std::string& topic, const std::vector<int64_t>& offsets) {
  auto c = GroupClient(bootstrap, group);
  std::vector<RdKafka::TopicPartition*> parts;
  for (size_t p = 0; p < offsets.size(); ++p) {
    parts.push_back(RdKafka::TopicPartition::create(topic, int(p)));
    parts.back()->set_offset(offsets[p]);
  }
  bool ok = c->commitSync(parts) == RdKafka::ERR_NO_ERROR;
  for (auto* p : parts) ok = ok && p->err() == RdKafka::ERR_NO_ERROR;
  RdKafka::TopicPartition::destroy(parts);
  c->close();
  return ok;
}

}  // namespace predwatch::testing
