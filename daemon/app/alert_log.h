// AlertLog: appends every alert transition of a MonitorEngine to a JSON Lines file
// (`predwatchd --alerts-log FILE`), one object per transition:
//   {"type":"transition","time_ms":..,"from":"pending","to":"firing","kind":"novel_pair",
//    "stream":"demo-cam","window":"1m","subject":"giraffe|toilet","fingerprint":"..",
//    "score":..,"threshold":..,"peak_score":..,
//    "windows":[{"window":"1m","over":true,"score":..,"threshold":..,"p_value":..,
//                "window_count":..,"window_total":..}, ...],
//    "related_subjects":[..][,"note":".."]}
// "note" says why when no evaluation decided the transition (a stream dropped by a
// rebalance: "to":"inactive", "note":"stream moved to another replica ...").
// One alert per (stream, kind, subject): "window" is the deciding window (whose score and
// threshold these are), "windows" every window's verdict, "related_subjects" the partner
// classes of a class_appeared alert's folded pairs (docs/DRIFT.md "Alerts").
// Other records (the demo's schedule, "type":"episode") can be added with write_line().
// Each line is flushed as written, so a reader (the demo smoke test, `tail -f`) sees it at
// once and a crash loses nothing already reported.
//
// The file is opened for appending: a restart adds to what earlier runs wrote. Rotation:
// rename the file, then send predwatchd SIGHUP; reopen() (called by the reload) starts a new
// file at the original path, and lines written between the rename and the reopen land in the
// renamed file (nothing is lost). predwatchd never truncates or deletes the log.
//
// Thread-safety: the engine calls the listener on its evaluating thread; writes are guarded.
// The log unsubscribes in its destructor; the engine must outlive it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>

#include "daemon/common/json_writer.h"
#include "daemon/engine/monitor_engine.h"

namespace predwatch::daemon {

class AlertLog {
 public:
  // Opens `file` for appending (creating it); nullptr with `error` when it cannot be written.
  static std::unique_ptr<AlertLog> Open(const std::filesystem::path& file, MonitorEngine& engine,
                                        std::string& error);
  ~AlertLog();

  // Appends one JSON object (without the newline).
  void write_line(const std::string& json);

  // Closes the file and opens its path again for appending (log rotation). On failure the
  // log keeps writing to the file it had open and returns false with `error`.
  bool reopen(std::string& error);

  // `s` as a JSON string literal (quoted, escaped).
  static std::string quote(std::string_view s);

  // The JSON line of one transition (without the newline).
  static std::string to_json(const core::AlertTransition& t);

  // The members "windows" (every window's verdict) and "related_subjects" of an alert, as the
  // log writes them; `predwatch replay --json` writes the same.
  static void write_window_details(JsonWriter& w, const core::AlertObservation& o);

 private:
  AlertLog(MonitorEngine& engine, std::filesystem::path file)
      : engine_(engine), file_(std::move(file)) {}
  MonitorEngine& engine_;
  const std::filesystem::path file_;
  std::mutex mu_;
  std::ofstream out_;
  uint64_t subscription_ = 0;
};

}  // namespace predwatch::daemon
