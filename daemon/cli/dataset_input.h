// DatasetInput: the options every command that reads a labelled dataset shares (PATH,
// --format, --map, --ground-truth, --coco80, --names, --skip-crowd, --skip-difficult), and the
// one routine that imports the dataset, accumulates its statistics and (optionally) runs the QA
// checks of core/suspicious.h over it. Used by `dataset report` and `baseline build`.
//
// Errors are printed on stderr as "predwatch: error: <message>", the message naming the file
// and the record; the return value is the command's exit code (0 ok, 1 a failure of the
// input, 2 a usage error such as an unknown --format). Progress goes to stderr on a terminal.
// Not thread-safe; one per command invocation.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "core/suspicious.h"
#include "daemon/baseline/baseline_file.h"

namespace predwatch::daemon {

struct DatasetAnalysis {
  DatasetBuild build;  // statistics, class names, import summary, mapping counts
  // QA findings when requested: importer problems that are findings (unknown category,
  // degenerate box), then duplicate boxes in image order, then count outliers.
  std::vector<core::SuspiciousRecord> suspicious;
};

struct DatasetInput {
  std::string path;
  std::string format;
  std::string map_file;
  std::string ground_truth;
  std::string names_file;
  bool coco80 = false;
  bool skip_crowd = false;      // coco: leave out "iscrowd": 1 annotations
  bool skip_difficult = false;  // voc: leave out <difficult>1</difficult> objects

  // Registers PATH and the options above on `cmd`.
  void add_options(CLI::App* cmd);

  // Imports the dataset into `out`. Returns the exit code (see the header comment).
  // `on_event` (optional) sees each imported image after the class mapping.
  int analyse(bool check_suspicious, DatasetAnalysis& out,
              const std::function<void(const core::Event&)>& on_event = {}) const;
};

// Prints "predwatch: error: <message>" on stderr.
void print_error(const std::string& message);

}  // namespace predwatch::daemon
