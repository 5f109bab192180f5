// Test helpers for Kafka ingestion tests: an EventSink that records what it was given and
// keeps per-partition "window state" that it rebuilds from scratch on assignment (as the
// real windows do), plus a wait-until helper.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "daemon/ingest/event_sink.h"

namespace predwatch::testing {

struct Record {
  std::string stream;
  std::string frame_id;
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  bool rebuilding = false;
  int64_t message_time_ms = -1;  // EventOrigin::message_time_ms
};

// Thread-safe: the source calls it on its thread, the test reads from another.
class RecordingSink : public daemon::EventSink {
 public:
  // Called (without the lock held) before the verdict; may return a rejection reason.
  std::function<std::string_view(const Record&)> on_apply;

  daemon::SinkResult apply(const core::Event& event, const daemon::EventOrigin& origin) override {
    Record r{std::string(event.stream),
             std::string(event.frame_id),
             std::string(origin.topic),
             origin.partition,
             origin.offset,
             origin.rebuilding,
             origin.message_time_ms};
    std::string_view reason;
    if (on_apply) reason = on_apply(r);
    std::lock_guard lock(mu_);
    all_.push_back(r);
    state_[{r.topic, r.partition}].push_back(r);
    return reason.empty() ? daemon::SinkResult::Applied() : daemon::SinkResult::Rejected(reason);
  }

  void on_partitions_assigned(std::span<const daemon::TopicPartition> parts) override {
    std::lock_guard lock(mu_);
    for (const auto& p : parts) {
      state_[{p.topic, p.partition}].clear();  // rebuild from scratch
      assigned_.push_back(p);
    }
  }

  void on_partitions_revoked(std::span<const daemon::TopicPartition> parts) override {
    std::lock_guard lock(mu_);
    for (const auto& p : parts) {
      state_.erase({p.topic, p.partition});
      revoked_.push_back(p);
    }
  }
  void on_partition_rebuilt(const daemon::TopicPartition& p) override {
    std::lock_guard lock(mu_);
    rebuilt_.push_back(p);
  }

  std::vector<Record> all() const {
    std::lock_guard lock(mu_);
    return all_;
  }
  // The events currently held in the per-partition state (what the windows would count).
  std::vector<Record> state() const {
    std::lock_guard lock(mu_);
    std::vector<Record> out;
    for (const auto& [k, v] : state_) out.insert(out.end(), v.begin(), v.end());
    return out;
  }
  std::set<std::pair<std::string, int32_t>> owned() const {
    std::lock_guard lock(mu_);
    std::set<std::pair<std::string, int32_t>> out;
    for (const auto& [k, v] : state_) out.insert(k);
    return out;
  }
  std::vector<daemon::TopicPartition> assigned() const {
    std::lock_guard lock(mu_);
    return assigned_;
  }
  std::vector<daemon::TopicPartition> revoked() const {
    std::lock_guard lock(mu_);
    return revoked_;
  }
  // Partitions reported rebuilt, in order (EventSink::on_partition_rebuilt).
  std::vector<daemon::TopicPartition> rebuilt() const {
    std::lock_guard lock(mu_);
    return rebuilt_;
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return all_.size();
  }

 private:
  mutable std::mutex mu_;
  std::vector<Record> all_;
  std::map<std::pair<std::string, int32_t>, std::vector<Record>> state_;
  std::vector<daemon::TopicPartition> assigned_;
  std::vector<daemon::TopicPartition> revoked_;
  std::vector<daemon::TopicPartition> rebuilt_;
};

// Polls `done` every 20 ms until it holds or `timeout` passes; returns its last value.
inline bool WaitFor(const std::function<bool()>& done,
                    std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

// A JSON PredictionEvent with one detection; `confidence` out of [0, 1] makes it bad.
inline std::string JsonEvent(const std::string& stream, const std::string& frame_id,
                             int64_t time_ms, double confidence = 0.5) {
  return R"({"frame_id":")" + frame_id + R"(","stream":")" + stream + R"(","timestamp_ms":)" +
         std::to_string(time_ms) + R"(,"detections":[{"class_name":"person","confidence":)" +
         std::to_string(confidence) +
         R"(,"box":{"x_min":0.1,"y_min":0.1,"x_max":0.2,"y_max":0.3,"normalized":true}}]})";
}

}  // namespace predwatch::testing
