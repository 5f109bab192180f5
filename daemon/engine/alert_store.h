// AlertStore: the pending and firing alerts in predwatchd's state directory (`state.dir`),
// so that a restart continues them instead of paging again (docs/KAFKA.md "State across
// restarts"). One file, "alerts.pwstate": a binary predwatch.v1.SavedAlerts
// (proto/predwatch/v1/state.proto) holding every active alert as the tracker had it
// (core::Alert with its latest observation and window details) and the Kafka partitions its
// stream's events came from, which tell the next run whether it still owns the stream.
//
// save() replaces the file atomically (temporary file + rename) with the whole set: the set
// is small (active alerts only). load() returns what it can read: an unreadable file is an
// error naming the file and the problem, and an alert with an unknown kind or comparison is
// left out with such an error, the others kept.
// Blocking file I/O; thread-safety: none needed beyond the caller's (no state besides the
// directory); the caller serialises saves.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "core/alert_tracker.h"
#include "daemon/ingest/event_sink.h"

namespace predwatch::daemon {

struct SavedAlert {
  core::Alert alert;                       // state kPending or kFiring
  std::vector<TopicPartition> partitions;  // empty: the stream is not read from Kafka
};

class AlertStore {
 public:
  // `directory` is created on the first save when missing.
  explicit AlertStore(std::filesystem::path directory);

  std::filesystem::path path() const { return directory_ / "alerts.pwstate"; }

  // Replaces the saved alerts; "" or an error message naming the file. saved_at_ms: the
  // evaluation time of the save.
  std::string save(std::span<const SavedAlert> alerts, int64_t saved_at_ms) const;
  // The saved alerts (none when there is no file). `error`: "" or what was left out and why.
  std::vector<SavedAlert> load(std::string& error) const;

 private:
  std::filesystem::path directory_;
};

}  // namespace predwatch::daemon
