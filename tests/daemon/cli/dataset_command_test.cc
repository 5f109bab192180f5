// `predwatch dataset report` on real data, checked against independent readings of the same
// files (simdjson DOM + from-scratch counting in cli_test_util.h), and on bad inputs.
#include <gtest/gtest.h>

#include <filesystem>

#include "daemon/dataset/dataset_importer.h"
#include "tests/daemon/cli/cli_test_util.h"
#include "tests/daemon/dataset/import_test_util.h"

namespace predwatch::daemon::testing {
namespace {

namespace fs = std::filesystem;

// Same-class box pairs with IoU >= 0.9 on each image (the duplicate_box rule).
int64_t duplicate_pairs(const std::vector<TruthImage>& images) {
  int64_t n = 0;
  for (const auto& img : images) {
    for (size_t i = 0; i < img.boxes.size(); ++i) {
      for (size_t j = i + 1; j < img.boxes.size(); ++j) {
        const TruthBox &a = img.boxes[i], &b = img.boxes[j];
        if (a.cls != b.cls) continue;
        const double iw = std::min(a.x1, b.x1) - std::max(a.x0, b.x0);
        const double ih = std::min(a.y1, b.y1) - std::max(a.y0, b.y0);
        if (iw <= 0 || ih <= 0) continue;
        const double inter = iw * ih;
        const double uni = (a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter;
        n += inter / uni >= 0.9;
      }
    }
  }
  return n;
}

TEST(DatasetReport, Coco128JsonMatchesAnIndependentCount) {
  const std::string file = (kData / "coco128/instances_train2017.json").string();
  CliRun run = run_cli({"dataset", "report", file, "--format", "coco", "--json"});
  ASSERT_EQ(run.code, 0) << run.err;
  // Exactly one JSON document on stdout.
  ASSERT_FALSE(run.out.empty());
  EXPECT_EQ(run.out.find('\n'), run.out.size() - 1);
  ReportJson r = ReportJson::parse(run.out);
  std::vector<TruthImage> images = read_coco(file);
  Truth t = Truth::of(images);
  EXPECT_EQ(t.images, 128);
  EXPECT_EQ(t.objects, 939);  // tests/data/README.md: 939 GT objects, 71 classes used
  EXPECT_EQ(t.class_images.size(), 71u);
  expect_matches(r, t);
  EXPECT_EQ(r.problems, 0);
  EXPECT_TRUE(r.mean_conf.empty());  // ground truth carries no scores
  auto it = r.suspicious_by_reason.find("duplicate_box");
  EXPECT_EQ(it == r.suspicious_by_reason.end() ? 0 : it->second, duplicate_pairs(images));
}

// All of COCO val2017 (5000 images): statistics, and the per-image findings of the QA checks
// against an independent count (duplicates: same-class IoU >= 0.9; degenerate: no area inside
// the image). Count outliers are checked against NumPy in the core/suspicious tests.
TEST(DatasetReport, CocoVal2017FindingsMatchAnIndependentCount) {
  const std::string file = (kData / "coco_val2017/instances_val2017_boxes.json").string();
  CliRun run = run_cli({"dataset", "report", file, "--format", "coco", "--json"});
  ASSERT_EQ(run.code, 0) << run.err;
  ReportJson r = ReportJson::parse(run.out);
  std::vector<TruthImage> images = read_coco(file);
  Truth t = Truth::of(images);
  EXPECT_EQ(t.images, 5000);
  expect_matches(r, t);
  int64_t degenerate = 0;
  for (const auto& img : images) {
    for (const auto& b : img.boxes) {
      const double w = std::min(b.x1, img.w) - std::max(b.x0, 0.0);
      const double h = std::min(b.y1, img.h) - std::max(b.y0, 0.0);
      degenerate += !(w > 0 && h > 0);
    }
  }
  EXPECT_GT(degenerate, 0);
  EXPECT_EQ(r.suspicious_by_reason["degenerate_box"], degenerate);
  EXPECT_EQ(r.problems, degenerate);
  const int64_t dups = duplicate_pairs(images);
  EXPECT_GT(dups, 0);
  EXPECT_EQ(r.suspicious_by_reason["duplicate_box"], dups);
  EXPECT_GT(r.suspicious_by_reason["class_count_outlier"], 0);
}

TEST(DatasetReport, CocoVal2014SampleJsonMatchesAnIndependentCount) {
  const std::string file = (kData / "coco_val2014_100/instances_val2014_100.json").string();
  CliRun run = run_cli({"dataset", "report", file, "--format", "coco", "--json"});
  ASSERT_EQ(run.code, 0) << run.err;
  ReportJson r = ReportJson::parse(run.out);
  Truth t = Truth::of(read_coco(file));
  EXPECT_EQ(t.images, 100);
  expect_matches(r, t);
}

// yolov5s on coco128 as COCO results with the 0..79 index: the table below is typed in from
// tests/data/README.md (not taken from predwatch).
TEST(DatasetReport, Yolov5sPredictionsViaCocoResultsWithCoco80) {
  const std::vector<int64_t> coco80 = {
      1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21,
      22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
      46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65,
      67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90};
  const std::string gt = (kData / "coco128/instances_train2017.json").string();
  const std::string preds = (kData / "coco128/yolov5s_predictions.json").string();
  CliRun run = run_cli({"dataset", "report", preds, "--format", "coco-results", "--ground-truth",
                        gt, "--coco80", "--json"});
  ASSERT_EQ(run.code, 0) << run.err;
  ReportJson r = ReportJson::parse(run.out);
  Truth t = Truth::of(read_coco(gt, preds, coco80));
  EXPECT_EQ(t.images, 128);
  expect_matches(r, t);
  ASSERT_EQ(r.mean_conf.size(), t.class_objects.size());
  for (const auto& [cls, n] : t.class_objects)
    EXPECT_NEAR(r.mean_conf.at(cls), t.score_sum.at(cls) / double(n), 1e-6) << cls;
}

// The same 100 VOC images as VOC XML, YOLO and COCO: one report, whatever the format.
TEST(DatasetReport, VocYoloAndCocoEncodingsGiveTheSameReport) {
  const fs::path base = kData / "voc_100_multiformat/gts";
  CliRun voc = run_cli(
      {"dataset", "report", (base / "pascalvoc_format").string(), "--format", "voc", "--json"});
  CliRun yolo =
      run_cli({"dataset", "report", (base / "yolo_format").string(), "--format", "yolo", "--json"});
  CliRun coco =
      run_cli({"dataset", "report", (base / "coco_format_v1/instances_default.json").string(),
               "--format", "coco", "--json"});
  ASSERT_EQ(voc.code, 0) << voc.err;
  ASSERT_EQ(yolo.code, 0) << yolo.err;
  ASSERT_EQ(coco.code, 0) << coco.err;
  ReportJson rv = ReportJson::parse(voc.out), ry = ReportJson::parse(yolo.out),
             rc = ReportJson::parse(coco.out);
  // SOURCE.txt: 100 images, 273 objects, all 20 VOC classes, person 91.
  EXPECT_EQ(rv.images, 100);
  EXPECT_EQ(rv.objects, 273);
  EXPECT_EQ(rv.class_objects.size(), 20u);
  EXPECT_EQ(rv.class_objects["person"], 91);
  // And the COCO encoding against an independent count of its file.
  expect_matches(rc,
                 Truth::of(read_coco((base / "coco_format_v1/instances_default.json").string())));
  for (const ReportJson* other : {&ry, &rc}) {
    EXPECT_EQ(other->images, rv.images);
    EXPECT_EQ(other->objects, rv.objects);
    EXPECT_EQ(other->class_images, rv.class_images);
    EXPECT_EQ(other->class_objects, rv.class_objects);
    EXPECT_EQ(other->pairs, rv.pairs);
    EXPECT_EQ(other->distribution, rv.distribution);
    EXPECT_EQ(other->class_order, rv.class_order);
    for (const auto& [cls, v] : rv.avg_area) EXPECT_NEAR(other->avg_area.at(cls), v, 1e-3) << cls;
  }
}

TEST(DatasetReport, TablesForPeople) {
  const std::string file = (kData / "coco128/instances_train2017.json").string();
  CliRun run = run_cli({"dataset", "report", file, "--format", "coco"});
  ASSERT_EQ(run.code, 0) << run.err;
  for (const char* part :
       {"128 images, 939 objects, 71 classes", "Class balance", "Co-occurring pairs",
        "Co-occurrence of the 12 classes", "Objects per image, by class",
        "Distinct classes per image", "Image area covered by boxes", "Suspicious findings"}) {
    EXPECT_NE(run.out.find(part), std::string::npos) << part << "\n" << run.out;
  }
  // The class balance row of the most frequent class: person is on 61 of the 128 images with
  // 254 objects (counted independently).
  Truth t = Truth::of(read_coco(file));
  const std::string row_start = "person";
  size_t pos = run.out.find("\n" + row_start);
  ASSERT_NE(pos, std::string::npos);
  std::string row = run.out.substr(pos + 1, run.out.find('\n', pos + 1) - pos - 1);
  EXPECT_NE(row.find(" " + std::to_string(t.class_images["person"]) + " "), std::string::npos)
      << row;
  EXPECT_NE(row.find(" " + std::to_string(t.class_objects["person"]) + " "), std::string::npos)
      << row;
}

// --- bad inputs: message naming the file (and record), exit code -------------------------

constexpr const char* kGoodHead =
    R"({"images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 100}],
 "categories": [{"id": 1, "name": "cat"}], "annotations": [)";

TEST(DatasetReportBadInput, MalformedJsonIsFatal) {
  TempDir t;
  fs::path f = t.write("broken.json", R"({"images": [{"id": 1, "width": 10,)");
  CliRun run = run_cli({"dataset", "report", f.string(), "--format", "coco"});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find(f.string()), std::string::npos) << run.err;
  EXPECT_TRUE(run.out.empty()) << run.out;
}

TEST(DatasetReportBadInput, UnknownCategoryIsAFindingNamingTheRecord) {
  TempDir t;
  fs::path f = t.write("unknown.json",
                       std::string(kGoodHead) +
                           R"({"id": 7, "image_id": 1, "category_id": 1, "bbox": [1, 1, 10, 10]},
 {"id": 8, "image_id": 1, "category_id": 99, "bbox": [1, 1, 10, 10]}]})");
  CliRun run = run_cli({"dataset", "report", f.string(), "--format", "coco", "--json"});
  ASSERT_EQ(run.code, 0) << run.err;
  ReportJson r = ReportJson::parse(run.out);
  EXPECT_EQ(r.objects, 1);
  EXPECT_EQ(r.problems, 1);
  EXPECT_EQ(r.suspicious_by_reason["unknown_category"], 1);
  // The problem message names the file and the record.
  EXPECT_NE(run.out.find("unknown.json"), std::string::npos);
  EXPECT_NE(run.out.find("annotations[1]"), std::string::npos) << run.out;
  // Text mode lists it too.
  CliRun text = run_cli({"dataset", "report", f.string(), "--format", "coco"});
  EXPECT_EQ(text.code, 0);
  EXPECT_NE(text.out.find("unknown_category"), std::string::npos) << text.out;
}

TEST(DatasetReportBadInput, ImageWithoutSizeIsSkippedAndNamed) {
  TempDir t;
  fs::path f = t.write("nosize.json",
                       R"({"images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 100},
  {"id": 2, "file_name": "b.jpg"}], "categories": [{"id": 1, "name": "cat"}],
 "annotations": [{"id": 7, "image_id": 2, "category_id": 1, "bbox": [1, 1, 10, 10]}]})");
  CliRun run = run_cli({"dataset", "report", f.string(), "--format", "coco", "--json"});
  ASSERT_EQ(run.code, 0) << run.err;
  ReportJson r = ReportJson::parse(run.out);
  EXPECT_EQ(r.images, 1);
  EXPECT_GE(r.problems, 1);
  EXPECT_NE(run.out.find("no_image_size"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("nosize.json"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("images[1]"), std::string::npos) << run.out;
}

TEST(DatasetReportBadInput, EmptyDatasetIsFatal) {
  TempDir t;
  fs::path f = t.write("empty.json", R"({"images": [], "annotations": [], "categories": []})");
  CliRun run = run_cli({"dataset", "report", f.string(), "--format", "coco"});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("empty.json"), std::string::npos) << run.err;
}

TEST(DatasetReportBadInput, MissingFileIsFatal) {
  CliRun run = run_cli({"dataset", "report", "/nonexistent/instances.json", "--format", "coco"});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("/nonexistent/instances.json"), std::string::npos) << run.err;
}

TEST(DatasetReportBadInput, UnknownFormatIsAUsageError) {
  const std::string file = (kData / "coco128/instances_train2017.json").string();
  CliRun run = run_cli({"dataset", "report", file, "--format", "kitti"});
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("kitti"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("coco-results"), std::string::npos) << run.err;  // lists the known ones
}

TEST(DatasetReportBadInput, CocoResultsNeedsGroundTruth) {
  const std::string preds = (kData / "coco128/yolov5s_predictions.json").string();
  CliRun run = run_cli({"dataset", "report", preds, "--format", "coco-results"});
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("--ground-truth"), std::string::npos) << run.err;
}

TEST(DatasetReportBadInput, BadMapFileNamesFileLineAndColumn) {
  TempDir t;
  fs::path map = t.write("classes.yaml", "map:\n  motorbike: motorcycle\n  motorcycle: bike\n");
  const std::string file = (kData / "coco128/instances_train2017.json").string();
  CliRun run = run_cli({"dataset", "report", file, "--format", "coco", "--map", map.string()});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("classes.yaml:"), std::string::npos) << run.err;
}

TEST(DatasetReport, MapFileRenamesAndDropsClasses) {
  TempDir t;
  fs::path map = t.write("classes.yaml", "map:\n  person: human\nignore: [car]\n");
  const std::string file = (kData / "coco128/instances_train2017.json").string();
  CliRun run =
      run_cli({"dataset", "report", file, "--format", "coco", "--map", map.string(), "--json"});
  ASSERT_EQ(run.code, 0) << run.err;
  ReportJson r = ReportJson::parse(run.out);
  Truth truth = Truth::of(read_coco(file));
  EXPECT_EQ(r.class_objects.count("person"), 0u);
  EXPECT_EQ(r.class_objects.count("car"), 0u);
  EXPECT_EQ(r.class_objects["human"], truth.class_objects["person"]);
  EXPECT_EQ(r.objects, truth.objects - truth.class_objects["car"]);
}

TEST(DatasetReportBadInput, MissingRequiredOptionIsAUsageError) {
  CliRun run = run_cli({"dataset", "report", "x.json"});
  EXPECT_NE(run.code, 0);
  EXPECT_NE(run.err.find("--format"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace predwatch::daemon::testing
