// StateStore: the per-stream files of predwatchd's state directory (`state.dir`), which
// let a stream's learned reference (core/reference_learner.h) and a baseline installed over
// gRPC (SetBaseline, SnapshotBaseline with install) survive a restart. Both are binary
// predwatch.v1.Baseline files (the baseline file format of daemon/baseline/baseline_file.h),
// one per stream and kind (the baseline wrapped with its stream):
//   - reference: "ref_" + escaped key + ".pwref", kind PRODUCTION_WINDOW, whose window origin
//     names the stream, the period (start, end: event time) and the state: origin.window is
//     "learned", "pinned", or "inherited:" + the stream (a previous model version) whose
//     reference it copies;
//   - installed baseline: "baseline_" + escaped key + ".pwb", a predwatch.v1.InstalledBaseline
//     (proto/predwatch/v1/state.proto): the stream's key (checked on load) and the baseline as
//     installed.
// The pending and firing alerts live beside them (daemon/engine/alert_store.h).
//
// Escaped key: any stream key maps to one safe file name: bytes [A-Za-z0-9_-] are kept,
// every other byte (including '.', '/', '%' and the bytes of non-ASCII UTF-8) is written %XX
// (uppercase hex); so '..', '/', a leading '.' or unicode can never name another path, and
// distinct keys give distinct names. Keys whose escaped form is longer than 160 bytes keep
// its first 160 bytes plus "~" and the 16-hex FNV-1a of the whole key (file systems cap a
// name at 255 bytes).
//
// Saves write atomically (save_baseline: temporary file + rename). Loads validate the file
// like any baseline file (layout, array sizes, names) and check that it belongs to this
// stream; anything else is an error naming the file and the problem (the caller logs it,
// counts it and goes on without it). Blocking file I/O: callers keep it out of locks held
// per event.
// Thread-safety: the store holds no state besides its directory; concurrent calls on
// different streams are safe, on one stream the caller serialises them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/drift_report.h"
#include "core/reference_learner.h"
#include "daemon/baseline/baseline_file.h"

namespace predwatch::daemon {

struct StoredReference {
  core::BaselineStats stats;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  core::ReferenceState state = core::ReferenceState::kComplete;  // kComplete or kPinned
  // The stream (a previous model version) the reference was copied from; "" = its own.
  std::string inherited_from;
};

class StateStore {
 public:
  // `directory` is created on the first save when missing.
  explicit StateStore(std::filesystem::path directory);

  // The escaped key (above): a file-name-safe, injective form of `stream`.
  static std::string escaped_key(std::string_view stream);
  // "ref_<escaped>.pwref"; "baseline_<escaped>.pwb".
  static std::string reference_file_name(std::string_view stream);
  static std::string baseline_file_name(std::string_view stream);
  std::filesystem::path reference_path(std::string_view stream) const {
    return directory_ / reference_file_name(stream);
  }
  std::filesystem::path baseline_path(std::string_view stream) const {
    return directory_ / baseline_file_name(stream);
  }
  const std::filesystem::path& directory() const { return directory_; }

  // Writes the stream's reference; "" or an error message naming the file.
  std::string save_reference(std::string_view stream, const StoredReference& reference) const;
  // The stream's saved reference. nullopt with `error` empty: there is none; nullopt with
  // `error` set: the file exists and is unusable (message names the file and the problem).
  std::optional<StoredReference> load_reference(std::string_view stream, std::string& error) const;
  // Deletes the stream's reference file (none is fine); "" or an error naming the file.
  std::string remove_reference(std::string_view stream) const;

  // The same three for the baseline installed on the stream over gRPC.
  std::string save_baseline(std::string_view stream, const v1::Baseline& baseline) const;
  std::optional<LoadedBaseline> load_baseline(std::string_view stream, std::string& error) const;
  std::string remove_baseline(std::string_view stream) const;

 private:
  std::filesystem::path directory_;
};

}  // namespace predwatch::daemon
