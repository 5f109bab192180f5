// `predwatch dataset report PATH --format F [--map FILE] [--json] [--html OUT.html]`: the
// statistics tables of a labelled dataset (or of a model's predictions on one) and its QA
// findings; with --html, also one self-contained HTML page of them (daemon/cli/html_report.h).
#include <iostream>
#include <memory>
#include <optional>

#include "daemon/cli/command.h"
#include "daemon/cli/confusion_matrix.h"
#include "daemon/cli/dataset_input.h"
#include "daemon/cli/html_report.h"
#include "daemon/cli/stats_report.h"

namespace predwatch::daemon {
namespace {

struct ReportArgs {
  DatasetInput input;
  bool json = false;
  std::string html;            // --html OUT.html
  ConfusionOptions confusion;  // coco-results --html: the matching of the confusion matrix
  StatsReportOptions tables;
  size_t max_suspicious = 10;
};

// Import problems as JSON: totals, counts by kind, the first messages.
void write_problems(JsonWriter& w, const DatasetAnalysis& a) {
  const ImportSummary& s = a.build.summary;
  w.key("problems").begin_object();
  w.key("total").value(s.total_problems());
  w.key("skipped_images").value(s.skipped_images);
  w.key("skipped_objects").value(s.skipped_objects);
  w.key("by_kind").begin_object();
  for (size_t k = 0; k < kProblemKindCount; ++k)
    if (s.problems[k] > 0) w.key(problem_kind_name(ProblemKind(k))).value(s.problems[k]);
  w.end_object();
  w.key("messages").begin_array();
  for (const std::string& m : s.messages) w.value(m);
  w.end_array();
  w.end_object();
}

// The members after the statistics: suspicious findings, import problems, class map counts.
void write_findings(JsonWriter& w, const ReportArgs& args, const DatasetAnalysis& a) {
  w.key("suspicious");
  write_suspicious(w, a.suspicious);
  write_problems(w, a);
  if (!args.input.map_file.empty()) {
    w.key("class_map").begin_object();
    w.key("renamed").value(a.build.mapped_renamed);
    w.key("dropped").value(a.build.mapped_dropped);
    w.end_object();
  }
}

// coco-results: the ground truth's boxes per image (its own import, same class map) matched
// against the predictions. Returns the exit code.
int confusion_of(const ReportArgs& args, const ReportImages& predicted,
                 std::optional<ConfusionMatrix>& out) {
  DatasetInput gt = args.input;
  gt.path = args.input.ground_truth;
  gt.format = "coco";
  gt.ground_truth.clear();
  gt.coco80 = false;
  DatasetAnalysis truth_analysis;
  ReportImages truth;
  if (int rc = gt.analyse(false, truth_analysis, [&](const core::Event& e) { truth.add(e); });
      rc != 0)
    return rc;
  out = match_boxes(truth, predicted, args.confusion);
  return 0;
}

// Writes the HTML report; returns the exit code.
int write_html(const ReportArgs& args, const DatasetAnalysis& a, const ReportImages& images,
               const std::optional<ConfusionMatrix>& confusion) {
  std::string json = stats_report_json(a.build.stats, a.build.class_names, [&](JsonWriter& w) {
    w.key("report").begin_object();
    w.key("path").value(args.input.path);
    w.key("format").value(args.input.format);
    w.key("version").value(PREDWATCH_VERSION);
    w.key("kind").value("dataset");
    w.end_object();
    write_report_members(w, a.build.stats, a.build.class_names, images);
    write_findings(w, args, a);
    if (confusion) write_confusion_json(w, *confusion);
  });
  std::string error =
      write_report_file(args.html, render_html_report(args.input.path, std::move(json)));
  if (!error.empty()) {
    print_error(error);
    return 1;
  }
  return 0;
}

int run_report(const ReportArgs& args) {
  // An unwritable --html fails now, not after a long import.
  if (!args.html.empty()) {
    std::string error = check_report_file(args.html);
    if (!error.empty()) {
      print_error(error);
      return 1;
    }
  }
  DatasetAnalysis a;
  ReportImages images;
  // Predictions with their ground truth: the confusion matrix, in every output.
  const bool with_truth = args.input.format == "coco-results" && !args.input.ground_truth.empty();
  std::function<void(const core::Event&)> collect;
  if (!args.html.empty() || with_truth) collect = [&](const core::Event& e) { images.add(e); };
  if (int rc = args.input.analyse(true, a, collect); rc != 0) return rc;
  const core::Stats& stats = a.build.stats;
  std::optional<ConfusionMatrix> confusion;
  if (with_truth) {
    if (int rc = confusion_of(args, images, confusion); rc != 0) return rc;
  }
  if (!args.html.empty()) {
    if (int rc = write_html(args, a, images, confusion); rc != 0) return rc;
  }
  if (args.json) {
    std::cout << stats_report_json(stats, a.build.class_names, [&](JsonWriter& w) {
      write_findings(w, args, a);
      if (confusion) write_confusion_json(w, *confusion);
    }) << "\n";
    return 0;
  }
  if (!args.html.empty()) {
    std::cerr << "wrote " << args.html << " (" << images.images().size() << " images)\n";
    return 0;
  }
  std::cout << args.input.path << " (" << args.input.format << ")\n";
  std::cout << render_stats_tables(stats, a.build.class_names, args.tables) << "\n";
  std::cout << render_suspicious_summary(a.suspicious, args.max_suspicious);
  if (confusion) std::cout << "\n" << render_confusion_table(*confusion, args.tables.max_classes);
  const ImportSummary& s = a.build.summary;
  if (s.total_problems() > 0) {
    std::cout << "\nImport problems: " << s.total_problems() << " (";
    bool first = true;
    for (size_t k = 0; k < kProblemKindCount; ++k) {
      if (s.problems[k] == 0) continue;
      std::cout << (first ? "" : ", ") << problem_kind_name(ProblemKind(k)) << " " << s.problems[k];
      first = false;
    }
    std::cout << "); skipped " << s.skipped_images << " images, " << s.skipped_objects
              << " objects\n";
    for (const std::string& m : s.messages) std::cout << "  " << m << "\n";
  }
  if (!args.input.map_file.empty()) {
    std::cout << "\nClass map " << args.input.map_file << ": " << a.build.mapped_renamed
              << " detections renamed, " << a.build.mapped_dropped << " dropped\n";
  }
  return 0;
}

}  // namespace

void add_dataset_commands(CLI::App& app, CommandResult& result) {
  CLI::App* dataset = app.add_subcommand("dataset", "labelled datasets: statistics and QA");
  dataset->require_subcommand(1);
  auto args = std::make_shared<ReportArgs>();
  CLI::App* report = dataset->add_subcommand(
      "report", "class balance, co-occurrence, objects per image and suspicious annotations");
  args->input.add_options(report);
  report->add_flag("--json", args->json, "one JSON object instead of tables");
  report
      ->add_option("--html", args->html,
                   "also write one self-contained HTML page (opens offline): charts, "
                   "co-occurrence heatmap, per-image table, suspicious annotations (coco-results: "
                   "a confusion matrix against --ground-truth too); "
                   "no tables on stdout then unless --json")
      ->type_name("OUT.html");
  report
      ->add_option("--min-score", args->confusion.min_score,
                   "coco-results: predictions in the confusion matrix score at least this")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  report
      ->add_option("--iou", args->confusion.iou,
                   "coco-results: IoU at which a prediction matches a ground-truth box")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  report->add_option("--top-pairs", args->tables.top_pairs, "co-occurring pairs listed")
      ->capture_default_str();
  report
      ->add_option("--heatmap-classes", args->tables.heatmap_classes,
                   "co-occurrence heatmap over the N classes on most images (0: none)")
      ->capture_default_str();
  report
      ->add_option("--max-classes", args->tables.max_classes,
                   "rows of the per-class tables (0: every class)")
      ->capture_default_str();
  report->add_option("--max-suspicious", args->max_suspicious, "suspicious findings listed")
      ->capture_default_str();
  report->callback([args, &result] { result.exit_code = run_report(*args); });
}

}  // namespace predwatch::daemon
