// ReferenceStore: where a stream's learned reference (core/reference_learner.h) survives a
// restart. One file per stream in one directory, a binary predwatch.v1.Baseline (the
// baseline file format of daemon/baseline/baseline_file.h, kind PRODUCTION_WINDOW) whose
// window origin names the stream, the period (start, end: event time) and the state:
// origin.window is "learned" or "pinned".
//
// File names: file_name(stream) maps any stream key to one safe file name, "ref_" + the
// escaped key + ".pwref": bytes [A-Za-z0-9_-] are kept, every other byte (including '.',
// '/', '%' and the bytes of non-ASCII UTF-8) is written %XX (uppercase hex); so '..', '/',
// a leading '.' or unicode can never name another path, and distinct keys give distinct
// names. Keys whose escaped form is longer than 160 bytes keep its first 160 bytes plus
// "~" and the 16-hex FNV-1a of the whole key (file systems cap a name at 255 bytes).
//
// save() writes atomically (save_baseline: temporary file + rename). load() validates the
// file like any baseline file (layout, array sizes, names) and checks that it is a
// reference of this stream; anything else is an error naming the file and the problem (the
// caller logs it, counts it and relearns). Blocking file I/O: callers keep it out of locks
// held per event.
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

namespace predwatch::daemon {

struct StoredReference {
  core::BaselineStats stats;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  core::ReferenceState state = core::ReferenceState::kComplete;  // kComplete or kPinned
};

class ReferenceStore {
 public:
  // `directory` is created on the first save when missing.
  explicit ReferenceStore(std::filesystem::path directory);

  static std::string file_name(std::string_view stream);
  std::filesystem::path path_of(std::string_view stream) const {
    return directory_ / file_name(stream);
  }
  const std::filesystem::path& directory() const { return directory_; }

  // Writes the stream's reference; "" or an error message naming the file.
  std::string save(std::string_view stream, const StoredReference& reference) const;
  // The stream's saved reference. nullopt with `error` empty: there is none; nullopt with
  // `error` set: the file exists and is unusable (message names the file and the problem).
  std::optional<StoredReference> load(std::string_view stream, std::string& error) const;
  // Deletes the stream's file (none is fine); "" or an error message naming the file.
  std::string remove(std::string_view stream) const;

 private:
  std::filesystem::path directory_;
};

}  // namespace predwatch::daemon
