#include "daemon/cli/dataset_input.h"

#include <algorithm>
#include <iostream>

#include "daemon/cli/progress.h"

namespace predwatch::daemon {

void print_error(const std::string& message) {
  std::cerr << "predwatch: error: " << message << "\n";
}

void DatasetInput::add_options(CLI::App* cmd) {
  std::string formats;
  for (std::string_view f : importer_formats())
    formats += (formats.empty() ? "" : "|") + std::string(f);
  cmd->add_option("PATH", path, "dataset file or folder")->required();
  cmd->add_option("--format,-f", format, formats)->required();
  cmd->add_option("--map", map_file, "class mapping file (YAML: map: {from: to}, ignore: [...])");
  cmd->add_option("--ground-truth", ground_truth,
                  "coco-results: the COCO instances file listing images and categories");
  cmd->add_flag("--coco80", coco80,
                "coco-results: category_id is the 0..79 COCO-80 index (YOLOv5-style output)");
  cmd->add_option("--names", names_file, "yolo: class names file (default: searched)");
  cmd->add_flag("--skip-crowd", skip_crowd, "coco: leave out crowd annotations (iscrowd 1)");
  cmd->add_flag("--skip-difficult", skip_difficult, "voc: leave out objects marked difficult");
}

int DatasetInput::analyse(bool check_suspicious, DatasetAnalysis& out,
                          const std::function<void(const core::Event&)>& on_event) const {
  const auto known = importer_formats();
  if (std::find(known.begin(), known.end(), format) == known.end()) {
    std::string list;
    for (std::string_view f : known) list += (list.empty() ? "" : ", ") + std::string(f);
    print_error("--format: unknown format '" + format + "' (known: " + list + ")");
    return 2;
  }
  if (format == "coco-results" && ground_truth.empty()) {
    print_error("--format coco-results needs --ground-truth FILE (the COCO instances file)");
    return 2;
  }
  if (format != "coco-results" && (coco80 || !ground_truth.empty())) {
    print_error("--ground-truth and --coco80 apply to --format coco-results only");
    return 2;
  }
  ClassMapping mapping;
  if (!map_file.empty()) {
    std::string error;
    auto loaded = ClassMapping::load(map_file, error);
    if (!loaded) {
      print_error(error);
      return 1;
    }
    mapping = std::move(*loaded);
  }

  ImportOptions options;
  options.ground_truth = ground_truth;
  options.names_file = names_file;
  options.skip_crowd = skip_crowd;
  options.skip_difficult = skip_difficult;
  if (coco80) {
    auto table = coco80_category_ids();
    options.category_id_by_index.assign(table.begin(), table.end());
  }
  std::vector<core::SuspiciousRecord> problem_findings, image_findings;
  if (check_suspicious) {
    options.on_problem = [&](const ImportProblem& p) {
      if (p.kind != ProblemKind::kUnknownCategory && p.kind != ProblemKind::kDegenerateBox) return;
      const auto reason = p.kind == ProblemKind::kUnknownCategory
                              ? core::SuspicionReason::kUnknownCategory
                              : core::SuspicionReason::kDegenerateBox;
      std::string detail =
          std::string(p.file) + ": " + std::string(p.record) + ": " + std::string(p.detail);
      problem_findings.push_back(core::SuspiciousChecker::make_record(
          p.image.empty() ? p.record : p.image, reason, p.category, detail));
    };
  }
  core::SuspiciousChecker checker;
  Progress progress("importing " + path);
  uint64_t images = 0, objects = 0;
  std::string error = build_dataset_stats(path, format, options, mapping, core::StatsLayout{},
                                          out.build, [&](const core::Event& e) {
                                            if (check_suspicious)
                                              checker.check_image(e, image_findings);
                                            if (on_event) on_event(e);
                                            ++images;
                                            objects += e.detections.size();
                                            if ((images & 63) == 0)
                                              progress.update(std::to_string(images) + " images  " +
                                                              std::to_string(objects) + " objects");
                                          });
  progress.finish();
  if (!error.empty()) {
    print_error(error);
    return 1;
  }
  if (check_suspicious) {
    out.suspicious = std::move(problem_findings);
    out.suspicious.insert(out.suspicious.end(), image_findings.begin(), image_findings.end());
    std::vector<core::SuspiciousRecord> outliers = checker.finish();
    out.suspicious.insert(out.suspicious.end(), outliers.begin(), outliers.end());
  }
  return 0;
}

}  // namespace predwatch::daemon
