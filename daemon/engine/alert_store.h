// AlertStore: the pending and firing alerts in predwatchd's state directory (`state.dir`),
// so that a restart or a partition move continues them instead of paging again
// (docs/KAFKA.md "State across restarts"). One file per stream with active alerts,
// "alerts_" + escaped key + ".pwstate" (the escaped key of daemon/baseline/state_store.h): a
// binary predwatch.v1.SavedAlerts (proto/predwatch/v1/state.proto) holding the stream's
// active alerts as the tracker had them (core::Alert with its latest observation and window
// details) and the Kafka partitions its events came from, which tell a replica whether it
// owns the stream. Per stream, so replicas sharing one directory each write only the streams
// they own, and the replica a partition moves to finds the alerts of its streams.
//
// save() replaces a stream's file atomically (temporary file named after the process +
// rename); with no alert it deletes the file. load() returns every stream's alerts it can
// read: a file that does not parse is renamed "<file>.unreadable" (kept for a look, reported
// once); such a file, or an alert with an unknown kind or comparison or of another
// stream than its file names, is left out with an error naming the file and the problem, the
// others kept. Earlier versions kept every alert in one file, "alerts.pwstate":
// split_legacy_file() turns it into per-stream files (a stream's existing file wins) and
// deletes it.
// Blocking file I/O; thread-safety: none needed beyond the caller's (no state besides the
// directory); the caller serialises saves of one stream.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
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

  // "alerts_<escaped>.pwstate".
  static std::string file_name(std::string_view stream);
  std::filesystem::path path(std::string_view stream) const {
    return directory_ / file_name(stream);
  }
  const std::filesystem::path& directory() const { return directory_; }
  // The single file of earlier versions.
  std::filesystem::path legacy_path() const { return directory_ / "alerts.pwstate"; }

  // Replaces the stream's saved alerts (all of `alerts` belong to `stream`; none deletes its
  // file); "" or an error message naming the file. saved_at_ms: the evaluation time.
  std::string save(std::string_view stream, std::span<const SavedAlert> alerts,
                   int64_t saved_at_ms) const;
  // Every stream's saved alerts. `error`: "" or what was left out and why.
  std::vector<SavedAlert> load(std::string& error) const;
  // Splits "alerts.pwstate" into per-stream files and deletes it; "" (also when there is
  // none) or what could not be read or written.
  std::string split_legacy_file() const;

 private:
  std::filesystem::path directory_;
};

}  // namespace predwatch::daemon
