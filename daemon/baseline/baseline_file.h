// Baseline files: the statistics live windows are compared with, stored as a binary
// predwatch.v1.Baseline (proto/predwatch/v1/baseline.proto).
//
// build_dataset_baseline() reads a labelled dataset through an importer (daemon/dataset),
// applies the class mapping, and accumulates exactly the same core::Stats a live window
// would, so window and baseline are directly comparable. load_baseline() validates a file
// before anything uses it (layout, array sizes, class names), so a corrupt or foreign file
// is rejected with a message instead of corrupting a stream's comparison.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "core/drift_report.h"
#include "core/stats.h"
#include "daemon/dataset/class_mapping.h"
#include "daemon/dataset/dataset_importer.h"
#include "predwatch/v1/baseline.pb.h"

namespace predwatch::daemon {

struct LoadedBaseline {
  core::BaselineStats stats;  // exact statistics with their class names and kind
  v1::Baseline proto;         // everything else in the file (origin, created_at), stats cleared
};

// Reads and validates a baseline file. On failure returns nullopt and sets `error` to a
// message naming the file and the problem.
std::optional<LoadedBaseline> load_baseline(const std::filesystem::path& file, std::string& error);

// Validates an in-memory Baseline message (e.g. received by SetBaseline) the same way.
std::optional<LoadedBaseline> baseline_from_proto(const v1::Baseline& proto, std::string& error);

// Writes `baseline` atomically: a temporary file named after the file and this process (two
// processes writing one file on a shared directory never share a temporary file), renamed
// over it. Returns an error message or "".
std::string save_baseline(const std::filesystem::path& file, const v1::Baseline& baseline);
// The same for any message (binary protobuf).
std::string write_message(const std::filesystem::path& file,
                          const google::protobuf::Message& message);
// Creates `directory` (and its parents) when missing; "" or an error naming it.
std::string ensure_directory(const std::filesystem::path& directory);
// Deletes `file` (a missing one is fine); "" or an error naming it.
std::string remove_file(const std::filesystem::path& file);

// A Baseline message for `stats` (class_names[i] names ClassId i).
v1::Baseline make_baseline(const core::Stats& stats, const std::vector<std::string>& class_names,
                           core::BaselineKind kind);

// The whole Baseline message of a loaded one (its proto with the statistics put back), as
// baseline_from_proto read it.
v1::Baseline baseline_to_proto(const LoadedBaseline& baseline);

core::BaselineKind kind_from_proto(v1::Baseline::Kind kind);
v1::Baseline::Kind kind_to_proto(core::BaselineKind kind);

// Hex SHA-256 of a file, or of a folder's regular files (relative paths and contents, in
// sorted path order). Empty on I/O error.
std::string content_sha256(const std::filesystem::path& path);

struct DatasetBuild {
  core::Stats stats;
  std::vector<std::string> class_names;
  ImportSummary summary;
  uint64_t mapped_renamed = 0;
  uint64_t mapped_dropped = 0;
};

// Imports a dataset and accumulates its statistics. `on_event` (optional) sees each event
// after the mapping (for the QA checks and progress). Returns the importer's fatal error,
// or "" and fills `out`.
std::string build_dataset_stats(const std::filesystem::path& path, std::string_view format,
                                const ImportOptions& options, const ClassMapping& mapping,
                                const core::StatsLayout& layout, DatasetBuild& out,
                                const std::function<void(const core::Event&)>& on_event = {});

}  // namespace predwatch::daemon
