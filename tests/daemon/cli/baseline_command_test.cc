// `predwatch baseline build|show` on real data: the file written holds the statistics an
// independent count gives, its origin names the input (hash checked with sha256sum), and
// `show` renders it for people and as protobuf JSON.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "daemon/baseline/baseline_file.h"
#include "tests/daemon/cli/cli_test_util.h"
#include "tests/daemon/dataset/import_test_util.h"

namespace predwatch::daemon::testing {
namespace {

namespace fs = std::filesystem;

std::string sha256sum(const fs::path& file) {
  std::string cmd = "sha256sum '" + file.string() + "'";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {};
  char buf[65] = {};
  size_t n = fread(buf, 1, 64, p);
  pclose(p);
  return std::string(buf, n);
}

TEST(BaselineBuild, Coco128AnnotationsFileHoldsTheIndependentCounts) {
  TempDir t;
  const fs::path file = kData / "coco128/instances_train2017.json";
  const fs::path out = t.path() / "coco128.pwb";
  CliRun run =
      run_cli({"baseline", "build", file.string(), "--format", "coco", "-o", out.string()});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_NE(run.out.find("images    128"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("objects   939"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("classes   71"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("problems  0"), std::string::npos) << run.out;

  std::string error;
  auto loaded = load_baseline(out, error);
  ASSERT_TRUE(loaded) << error;
  EXPECT_EQ(loaded->stats.kind, core::BaselineKind::kTrainingAnnotations);
  const v1::Baseline& b = loaded->proto;
  ASSERT_TRUE(b.has_dataset());
  EXPECT_EQ(b.dataset().path(), file.string());
  EXPECT_EQ(b.dataset().format(), "coco");
  EXPECT_EQ(b.dataset().content_sha256(), sha256sum(file));
  EXPECT_EQ(b.dataset().problems(), 0u);
  EXPECT_GT(b.created_at().seconds(), 1'700'000'000);  // set, and after 2023

  Truth truth = Truth::of(read_coco(file.string()));
  const core::Stats& s = loaded->stats.stats;
  const auto& names = loaded->stats.class_names;
  EXPECT_EQ(s.frames(), truth.images);
  EXPECT_EQ(s.objects(), truth.objects);
  std::map<std::string, int64_t> images, objects;
  std::map<std::pair<std::string, std::string>, int64_t> pairs;
  for (core::ClassId c = 0; c < s.num_classes(); ++c) {
    images[names[c]] = s.images_with(c);
    objects[names[c]] = s.objects_of(c);
    for (core::ClassId d = 0; d < c; ++d) {
      if (s.pair_images(c, d) == 0) continue;
      auto key =
          names[c] < names[d] ? std::pair(names[c], names[d]) : std::pair(names[d], names[c]);
      pairs[key] = s.pair_images(c, d);
    }
  }
  EXPECT_EQ(images, truth.class_images);
  EXPECT_EQ(objects, truth.class_objects);
  EXPECT_EQ(pairs, truth.pairs);
}

TEST(BaselineBuild, CocoResultsIsADatasetPredictionsBaseline) {
  TempDir t;
  const fs::path out = t.path() / "yolov5s.pwb";
  CliRun run = run_cli({"baseline", "build", (kData / "coco128/yolov5s_predictions.json").string(),
                        "--format", "coco-results", "--ground-truth",
                        (kData / "coco128/instances_train2017.json").string(), "--coco80", "-o",
                        out.string()});
  ASSERT_EQ(run.code, 0) << run.err;
  std::string error;
  auto loaded = load_baseline(out, error);
  ASSERT_TRUE(loaded) << error;
  EXPECT_EQ(loaded->stats.kind, core::BaselineKind::kDatasetPredictions);
  EXPECT_EQ(loaded->stats.stats.frames(), 128);
  EXPECT_EQ(loaded->proto.dataset().format(), "coco-results");
  EXPECT_NE(run.out.find("dataset predictions"), std::string::npos) << run.out;
}

TEST(BaselineBuild, MapFileIsRecorded) {
  TempDir t;
  fs::path map = t.write("classes.yaml", "map:\n  person: human\n");
  const fs::path out = t.path() / "b.pwb";
  CliRun run = run_cli({"baseline", "build", (kData / "coco128/instances_train2017.json").string(),
                        "--format", "coco", "--map", map.string(), "-o", out.string()});
  ASSERT_EQ(run.code, 0) << run.err;
  std::string error;
  auto loaded = load_baseline(out, error);
  ASSERT_TRUE(loaded) << error;
  EXPECT_EQ(loaded->proto.dataset().class_map(), map.string());
  const auto& names = loaded->stats.class_names;
  EXPECT_NE(std::find(names.begin(), names.end(), "human"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "person"), names.end());
}

TEST(BaselineBuildBadInput, FatalProblemsWriteNothing) {
  TempDir t;
  const fs::path out = t.path() / "b.pwb";
  fs::path broken = t.write("broken.json", R"({"images": [{"id": 1,)");
  CliRun run =
      run_cli({"baseline", "build", broken.string(), "--format", "coco", "-o", out.string()});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("broken.json"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(out));

  run = run_cli({"baseline", "build", (t.path() / "missing").string(), "--format", "voc", "-o",
                 out.string()});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("missing"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(out));

  run = run_cli({"baseline", "build", broken.string(), "--format", "bogus", "-o", out.string()});
  EXPECT_EQ(run.code, 2);
  EXPECT_FALSE(fs::exists(out));
}

TEST(BaselineBuildBadInput, StrictRefusesPerRecordProblems) {
  TempDir t;
  fs::path f = t.write("unknown.json",
                       R"({"images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 100}],
 "categories": [{"id": 1, "name": "cat"}], "annotations": [
 {"id": 7, "image_id": 1, "category_id": 1, "bbox": [1, 1, 10, 10]},
 {"id": 8, "image_id": 1, "category_id": 99, "bbox": [1, 1, 10, 10]}]})");
  const fs::path out = t.path() / "b.pwb";
  CliRun lax = run_cli({"baseline", "build", f.string(), "--format", "coco", "-o", out.string()});
  EXPECT_EQ(lax.code, 0) << lax.err;
  EXPECT_NE(lax.out.find("unknown_category 1"), std::string::npos) << lax.out;
  EXPECT_NE(lax.out.find("unknown.json"), std::string::npos) << lax.out;  // first messages
  EXPECT_TRUE(fs::exists(out));
  fs::remove(out);
  CliRun strict = run_cli(
      {"baseline", "build", f.string(), "--format", "coco", "-o", out.string(), "--strict"});
  EXPECT_EQ(strict.code, 1);
  EXPECT_NE(strict.err.find("unknown.json"), std::string::npos) << strict.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST(BaselineShow, HumanAndJson) {
  TempDir t;
  const fs::path file = kData / "coco128/instances_train2017.json";
  const fs::path out = t.path() / "coco128.pwb";
  ASSERT_EQ(
      run_cli({"baseline", "build", file.string(), "--format", "coco", "-o", out.string()}).code,
      0);
  CliRun human = run_cli({"baseline", "show", out.string()});
  ASSERT_EQ(human.code, 0) << human.err;
  for (const char* part : {"training annotations", "instances_train2017.json (coco)",
                           "128 images, 939 objects, 71 classes", "Class balance", "person"}) {
    EXPECT_NE(human.out.find(part), std::string::npos) << part << "\n" << human.out;
  }
  EXPECT_EQ(human.out.find("Co-occurring pairs"), std::string::npos);  // only with --full
  CliRun full = run_cli({"baseline", "show", out.string(), "--full"});
  EXPECT_NE(full.out.find("Co-occurring pairs"), std::string::npos);

  CliRun json = run_cli({"baseline", "show", out.string(), "--json"});
  ASSERT_EQ(json.code, 0) << json.err;
  simdjson::dom::parser p;
  simdjson::padded_string padded(json.out);
  simdjson::dom::element doc = p.parse(padded);
  EXPECT_EQ(std::string_view(doc["kind"]), "KIND_TRAINING_ANNOTATIONS");
  EXPECT_EQ(std::string_view(doc["dataset"]["format"]), "coco");
  EXPECT_EQ(std::string_view(doc["dataset"]["content_sha256"]), sha256sum(file));
  // proto3 JSON writes int64 as strings.
  EXPECT_EQ(std::string_view(doc["stats"]["frames"]), "128");
  EXPECT_EQ(doc["stats"]["classes"].get_array().size(), 71u);
  simdjson::dom::element unused;
  EXPECT_NE(doc["stats"]["tables"].get(unused), simdjson::SUCCESS);  // raw tables only on request

  CliRun tables = run_cli({"baseline", "show", out.string(), "--json", "--tables"});
  ASSERT_EQ(tables.code, 0) << tables.err;
  simdjson::dom::parser p2;
  simdjson::padded_string padded2(tables.out);
  simdjson::dom::element doc2 = p2.parse(padded2);
  EXPECT_EQ(std::string_view(doc2["stats"]["tables"]["frames"]), "128");
}

TEST(BaselineShowBadInput, NotABaselineFile) {
  CliRun run = run_cli({"baseline", "show", (kData / "coco128/instances_train2017.json").string()});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("instances_train2017.json"), std::string::npos) << run.err;
  run = run_cli({"baseline", "show", "/nonexistent.pwb"});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("/nonexistent.pwb"), std::string::npos) << run.err;
}

// Another command family attaches `baseline pull` to the same group, before or after ours.
TEST(BaselineGroup, OtherFilesAddSubcommandsToTheSameGroup) {
  bool pulled = false;
  CliRun run = run_cli({"baseline", "pull", "x"}, [&](CLI::App& app) {
    CLI::App& g = baseline_group(app);
    EXPECT_EQ(&g, &baseline_group(app));
    CLI::App* pull = g.add_subcommand("pull", "test");
    pull->allow_extras();
    pull->callback([&] { pulled = true; });
  });
  EXPECT_EQ(run.code, 0) << run.err;
  EXPECT_TRUE(pulled);
  CLI::App app;
  CLI::App& first = baseline_group(app);
  CommandResult result;
  add_baseline_commands(app, result);
  EXPECT_EQ(&first, &baseline_group(app));
  EXPECT_NO_THROW(first.get_subcommand("build"));
}

}  // namespace
}  // namespace predwatch::daemon::testing
