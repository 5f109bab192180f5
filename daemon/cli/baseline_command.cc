// `predwatch baseline build|show`: baseline files from datasets, and what is in one.
// (`baseline pull|push|snapshot` talk to predwatchd and live with the client commands; they
// attach to the same group through baseline_group().)
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <iostream>
#include <memory>

#include "daemon/cli/command.h"
#include "daemon/cli/dataset_input.h"
#include "daemon/cli/stats_report.h"
#include "daemon/cli/text_table.h"
#include "daemon/convert/stats_convert.h"

namespace predwatch::daemon {
namespace {

using google::protobuf::util::TimeUtil;

struct BuildArgs {
  DatasetInput input;
  std::string out;
  bool strict = false;
};

struct ShowArgs {
  std::string file;
  bool json = false;
  bool tables = false;
  bool full = false;
  size_t max_classes = 0;
};

std::string kind_label(v1::Baseline::Kind kind) {
  switch (kind) {
    case v1::Baseline::KIND_TRAINING_ANNOTATIONS:
      return "training annotations";
    case v1::Baseline::KIND_PRODUCTION_WINDOW:
      return "production window";
    case v1::Baseline::KIND_DATASET_PREDICTIONS:
      return "dataset predictions";
    default:
      return "unspecified";
  }
}

std::string problems_line(const ImportSummary& s) {
  std::string out = std::to_string(s.total_problems());
  if (s.total_problems() == 0) return out;
  out += " (";
  bool first = true;
  for (size_t k = 0; k < kProblemKindCount; ++k) {
    if (s.problems[k] == 0) continue;
    out += (first ? "" : ", ") + std::string(problem_kind_name(ProblemKind(k))) + " " +
           std::to_string(s.problems[k]);
    first = false;
  }
  out += "); skipped " + std::to_string(s.skipped_images) + " images, " +
         std::to_string(s.skipped_objects) + " objects";
  return out;
}

int run_build(const BuildArgs& args) {
  DatasetAnalysis a;
  if (int rc = args.input.analyse(false, a); rc != 0) return rc;
  const ImportSummary& s = a.build.summary;
  const bool predictions = args.input.format == "coco-results";
  v1::Baseline b = make_baseline(a.build.stats, a.build.class_names,
                                 predictions ? core::BaselineKind::kDatasetPredictions
                                             : core::BaselineKind::kTrainingAnnotations);
  v1::DatasetOrigin* origin = b.mutable_dataset();
  origin->set_path(args.input.path);
  origin->set_format(args.input.format);
  origin->set_content_sha256(content_sha256(args.input.path));
  origin->set_class_map(args.input.map_file);
  origin->set_problems(s.total_problems());
  *b.mutable_created_at() = TimeUtil::GetCurrentTime();

  size_t used = 0;
  for (core::ClassId c = 0; c < a.build.stats.num_classes(); ++c)
    used += a.build.stats.images_with(c) > 0;
  std::cout << "baseline  " << args.out << "\n"
            << "kind      " << kind_label(b.kind()) << "\n"
            << "dataset   " << args.input.path << " (" << args.input.format << "), sha256 "
            << origin->content_sha256() << "\n"
            << "images    " << a.build.stats.frames() << "\n"
            << "objects   " << a.build.stats.objects() << "\n"
            << "classes   " << used << "\n";
  if (!args.input.map_file.empty()) {
    std::cout << "class map " << args.input.map_file << ": " << a.build.mapped_renamed
              << " renamed, " << a.build.mapped_dropped << " dropped\n";
  }
  std::cout << "problems  " << problems_line(s) << "\n";
  for (const std::string& m : s.messages) std::cout << "  " << m << "\n";

  if (args.strict && s.total_problems() > 0) {
    print_error(args.input.path + ": " + std::to_string(s.total_problems()) +
                " per-record problems and --strict: baseline not written");
    return 1;
  }
  if (std::string err = save_baseline(args.out, b); !err.empty()) {
    print_error(err);
    return 1;
  }
  return 0;
}

std::string origin_text(const v1::Baseline& b) {
  if (b.has_dataset()) {
    const v1::DatasetOrigin& d = b.dataset();
    std::string s = "dataset " + d.path() + " (" + d.format() + "), sha256 " +
                    (d.content_sha256().empty() ? "-" : d.content_sha256());
    if (!d.class_map().empty()) s += ", class map " + d.class_map();
    s += ", " + std::to_string(d.problems()) + " import problems";
    return s;
  }
  if (b.has_window()) {
    const v1::WindowOrigin& w = b.window();
    std::string s = "window " + w.window() + " of stream " + w.stream();
    if (w.has_start()) s += ", " + TimeUtil::ToString(w.start());
    if (w.has_end()) s += " to " + TimeUtil::ToString(w.end());
    return s;
  }
  return "-";
}

int run_show(const ShowArgs& args) {
  std::string error;
  auto loaded = load_baseline(args.file, error);
  if (!loaded) {
    print_error(error);
    return 1;
  }
  const core::Stats& stats = loaded->stats.stats;
  const std::vector<std::string>& names = loaded->stats.class_names;
  if (args.json) {
    v1::Baseline b = loaded->proto;
    StatsSections sections;
    sections.tables = args.tables;
    sections.heatmaps = sections.sizes = sections.confidence = args.tables;
    stats_to_proto(stats, names, sections, b.mutable_stats());
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    std::string json;
    if (auto status = google::protobuf::util::MessageToJsonString(b, &json, options);
        !status.ok()) {
      print_error(args.file + ": cannot render as JSON: " + status.ToString());
      return 1;
    }
    std::cout << json << "\n";
    return 0;
  }
  const v1::Baseline& b = loaded->proto;
  std::cout << "baseline  " << args.file << "\n"
            << "kind      " << kind_label(b.kind()) << "\n"
            << "origin    " << origin_text(b) << "\n"
            << "created   "
            << (b.has_created_at() ? TimeUtil::ToString(b.created_at()) : std::string("-"))
            << (b.created_by().empty() ? "" : " by " + b.created_by()) << "\n\n";
  StatsReportOptions options;
  options.max_classes = args.max_classes;
  if (!args.full) options.cooccurrence = options.objects_distribution = options.per_image = false;
  std::cout << render_stats_tables(stats, names, options);
  return 0;
}

}  // namespace

CLI::App& baseline_group(CLI::App& app) {
  auto found = app.get_subcommands([](const CLI::App* s) { return s->get_name() == "baseline"; });
  if (!found.empty()) return *found.front();
  CLI::App* group = app.add_subcommand("baseline", "baseline files: build, inspect, exchange");
  group->require_subcommand(1);
  return *group;
}

void add_baseline_commands(CLI::App& app, CommandResult& result) {
  CLI::App& group = baseline_group(app);

  auto build = std::make_shared<BuildArgs>();
  CLI::App* b = group.add_subcommand(
      "build", "build a baseline file from a labelled dataset (or a model's predictions on one)");
  build->input.add_options(b);
  b->add_option("-o,--output", build->out, "baseline file to write")->required();
  b->add_flag("--strict", build->strict,
              "fail (and write nothing) when the import skipped any record");
  b->callback([build, &result] { result.exit_code = run_build(*build); });

  auto show = std::make_shared<ShowArgs>();
  CLI::App* s = group.add_subcommand("show", "what a baseline file holds");
  s->add_option("FILE", show->file, "baseline file")->required();
  s->add_flag("--json", show->json,
              "the Baseline message as protobuf JSON (readable sections, no raw tables)");
  s->add_flag("--tables", show->tables,
              "with --json: also the exact tables, heatmaps, sizes and confidence");
  s->add_flag("--full", show->full, "every statistics table, not only the class balance");
  s->add_option("--max-classes", show->max_classes, "rows of the per-class tables (0: every class)")
      ->capture_default_str();
  s->callback([show, &result] { result.exit_code = run_show(*show); });
}

}  // namespace predwatch::daemon
