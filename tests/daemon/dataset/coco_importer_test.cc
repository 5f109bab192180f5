// COCO and COCO-results importers on the real data, checked against independent readings:
// the upstream line format of COCO val2017 (coco_val.txt) and whole-document simdjson DOM
// parses of the JSON files (the importer streams with On-Demand instead).
#include "daemon/dataset/coco_importer.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "tests/daemon/dataset/import_test_util.h"

namespace predwatch::daemon::testing {
namespace {

// coco_classes.txt names six classes the VOC way; COCO's names for them.
const std::map<std::string, std::string> kVocToCoco = {
    {"motorbike", "motorcycle"},     {"aeroplane", "airplane"},       {"sofa", "couch"},
    {"pottedplant", "potted plant"}, {"diningtable", "dining table"}, {"tvmonitor", "tv"}};

TEST(CocoImporter, Val2017MatchesTheUpstreamLineFormat) {
  std::vector<std::string> names;
  {
    std::ifstream in(kData / "coco_val2017/coco_classes.txt");
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      auto it = kVocToCoco.find(line);
      names.push_back(it == kVocToCoco.end() ? line : it->second);
    }
  }
  ASSERT_EQ(names.size(), 80u);
  // coco_val.txt: "<path> x1,y1,x2,y2,cls ..." one line per image with boxes.
  std::map<std::string, int> per_class, per_image;
  std::map<std::string, std::vector<std::array<double, 4>>> boxes;
  int lines = 0, objects = 0, degenerate = 0;
  {
    std::ifstream in(kData / "coco_val2017/coco_val.txt");
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream ss(line);
      std::string path, box;
      ss >> path;
      std::string image = path.substr(path.rfind('/') + 1);
      ++lines;
      while (ss >> box) {
        double v[5];
        char comma;
        std::istringstream bs(box);
        bs >> v[0] >> comma >> v[1] >> comma >> v[2] >> comma >> v[3] >> comma >> v[4];
        ++objects;
        // Boxes truncated to integers can collapse to zero width or height: the importer
        // skips those as degenerate.
        if (v[2] <= v[0] || v[3] <= v[1]) {
          ++degenerate;
          continue;
        }
        ++per_class[names.at(static_cast<size_t>(v[4]))];
        ++per_image[image];
        boxes[image].push_back({v[0], v[1], v[2], v[3]});
      }
    }
  }
  ASSERT_EQ(objects, 36781);  // tests/data/README.md

  Imported got = import_with("coco", kData / "coco_val2017/instances_val2017_boxes.json");
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  EXPECT_EQ(got.result.summary.images, 5000u);
  EXPECT_GT(degenerate, 0);
  EXPECT_EQ(got.result.summary.objects, uint64_t(36781 - degenerate));
  EXPECT_EQ(got.result.summary.skipped_objects, uint64_t(degenerate));
  EXPECT_EQ(got.result.summary.problem_count(ProblemKind::kDegenerateBox), uint64_t(degenerate));
  EXPECT_EQ(got.result.summary.total_problems(), uint64_t(degenerate));
  EXPECT_EQ(got.per_class(), per_class);
  int with_boxes = 0;
  std::map<std::string, int> got_per_image;
  for (const auto& e : got.events) {
    if (!e.detections.empty()) {
      ++with_boxes;
      got_per_image[e.frame_id] = static_cast<int>(e.detections.size());
    }
  }
  EXPECT_EQ(lines, 4952);
  EXPECT_EQ(with_boxes, int(per_image.size()));
  EXPECT_EQ(got_per_image, per_image);
  // Pixel corners come back from the normalised boxes (float precision).
  for (const char* image : {"000000289343.jpg", "000000472375.jpg"}) {
    const OwnedEvent* e = got.find(image);
    ASSERT_NE(e, nullptr);
    std::multiset<std::array<long, 4>> want, have;
    for (auto& b : boxes[image]) want.insert({long(b[0]), long(b[1]), long(b[2]), long(b[3])});
    for (auto& d : e->detections) {
      have.insert({std::lround(d.box.x_min * e->width), std::lround(d.box.y_min * e->height),
                   std::lround(d.box.x_max * e->width), std::lround(d.box.y_max * e->height)});
    }
    EXPECT_EQ(have, want) << image;
  }
}

TEST(CocoImporter, SmallBufferBudgetGivesTheSameImagesInSeveralPasses) {
  ImportOptions small;
  small.annotation_buffer_bytes = 64 * 1024;  // ~2,300 annotations per pass -> 16 passes
  Imported a = import_with("coco", kData / "coco_val2017/instances_val2017_boxes.json");
  Imported b = import_with("coco", kData / "coco_val2017/instances_val2017_boxes.json", small);
  ASSERT_TRUE(a.result.ok() && b.result.ok());
  ASSERT_EQ(a.events.size(), b.events.size());
  for (size_t i = 0; i < a.events.size(); ++i) {
    ASSERT_EQ(a.events[i].frame_id, b.events[i].frame_id);
    ASSERT_EQ(a.events[i].detections.size(), b.events[i].detections.size()) << a.events[i].frame_id;
    for (size_t k = 0; k < a.events[i].detections.size(); ++k) {
      EXPECT_EQ(a.events[i].detections[k].class_name, b.events[i].detections[k].class_name);
      EXPECT_EQ(a.events[i].detections[k].box.x_min, b.events[i].detections[k].box.x_min);
    }
  }
}

// Expected values from a whole-document DOM parse.
struct DomCounts {
  std::map<int64_t, std::string> categories;
  std::map<int64_t, std::string> image_names;
  std::map<int64_t, std::pair<double, double>> image_sizes;
  int degenerate = 0;
  std::map<std::string, int> per_class;
  std::map<std::string, int> per_image;
  double score_sum = 0;
  int objects = 0;
};

DomCounts dom_counts(const std::filesystem::path& gt, const std::filesystem::path& anns,
                     bool index_form) {
  DomCounts c;
  simdjson::dom::parser p;
  simdjson::dom::element g = p.load(gt.string());
  for (auto cat : g["categories"].get_array()) {
    c.categories[int64_t(cat["id"])] = std::string(std::string_view(cat["name"]));
  }
  for (auto img : g["images"].get_array()) {
    c.image_names[int64_t(img["id"])] = std::string(std::string_view(img["file_name"]));
    c.image_sizes[int64_t(img["id"])] = {double(img["width"]), double(img["height"])};
  }
  simdjson::dom::parser p2;
  simdjson::dom::element a = p2.load(anns.string());
  simdjson::dom::array list = a.is_array() ? a.get_array() : a["annotations"].get_array();
  auto table = coco80_category_ids();
  for (auto ann : list) {
    int64_t cat = int64_t(ann["category_id"]);
    if (index_form) cat = table[size_t(cat)];
    ++c.objects;
    // No area left inside the image: skipped by the importer as degenerate.
    auto [w, h] = c.image_sizes.at(int64_t(ann["image_id"]));
    simdjson::dom::array bb = ann["bbox"].get_array();
    double x = double(bb.at(0)), y = double(bb.at(1)), bw = double(bb.at(2)), bh = double(bb.at(3));
    if (std::min(x + bw, w) <= std::max(x, 0.0) || std::min(y + bh, h) <= std::max(y, 0.0)) {
      ++c.degenerate;
      continue;
    }
    ++c.per_class[c.categories.at(cat)];
    ++c.per_image[c.image_names.at(int64_t(ann["image_id"]))];
    double score;
    if (!ann["score"].get_double().get(score)) c.score_sum += score;
  }
  return c;
}

TEST(CocoResultsImporter, Yolov5sPredictionsOnCoco128WithTheIndexForm) {
  ImportOptions o;
  o.ground_truth = kData / "coco128/instances_train2017.json";
  auto table = coco80_category_ids();
  o.category_id_by_index.assign(table.begin(), table.end());
  Imported got = import_with("coco-results", kData / "coco128/yolov5s_predictions.json", o);
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  DomCounts want = dom_counts(o.ground_truth, kData / "coco128/yolov5s_predictions.json", true);
  EXPECT_EQ(want.objects, 22284);  // tests/data/README.md
  EXPECT_EQ(got.result.summary.images, 128u);
  EXPECT_EQ(got.result.summary.problem_count(ProblemKind::kDegenerateBox),
            uint64_t(want.degenerate));
  EXPECT_EQ(got.result.summary.objects + got.result.summary.skipped_objects, 22284u);
  EXPECT_EQ(got.result.summary.objects, uint64_t(22284 - want.degenerate))
      << ::testing::PrintToString(got.result.summary.messages);
  EXPECT_EQ(got.per_class(), want.per_class);
  std::map<std::string, int> per_image;
  double score_sum = 0;
  for (const auto& e : got.events) {
    if (!e.detections.empty()) per_image[e.frame_id] = int(e.detections.size());
    for (const auto& d : e.detections) {
      score_sum += d.confidence;
      EXPECT_GE(d.class_index, 0);
      EXPECT_LT(d.class_index, 80);
    }
  }
  EXPECT_EQ(per_image, want.per_image);
  EXPECT_NEAR(score_sum, want.score_sum, 1e-3);  // floats: 22k * ~3e-8 rounding each
  // Index 0 is person.
  for (const auto& e : got.events)
    for (const auto& d : e.detections)
      if (d.class_index == 0) {
        EXPECT_EQ(d.class_name, "person");
      }
}

TEST(CocoResultsImporter, CocoapiFakeBboxResultsAgainstVal2014Sample) {
  ImportOptions o;
  o.ground_truth = kData / "coco_val2014_100/instances_val2014_100.json";
  Imported got = import_with(
      "coco-results", kData / "coco_val2014_100/instances_val2014_fakebbox100_results.json", o);
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  DomCounts want = dom_counts(
      o.ground_truth, kData / "coco_val2014_100/instances_val2014_fakebbox100_results.json", false);
  EXPECT_EQ(got.result.summary.images, 100u);
  EXPECT_EQ(got.result.summary.objects + got.result.summary.skipped_objects,
            uint64_t(want.objects));
  EXPECT_EQ(got.result.summary.skipped_objects, uint64_t(want.degenerate));
  EXPECT_EQ(got.result.summary.total_problems(),
            got.result.summary.problem_count(ProblemKind::kDegenerateBox) +
                got.result.summary.problem_count(ProblemKind::kBoxOutsideImage));
  EXPECT_EQ(got.per_class(), want.per_class);
  EXPECT_EQ(got.result.summary.objects, uint64_t(want.objects - want.degenerate));
}

TEST(CocoImporter, Val2014SampleWithAnnotationsBeforeImages) {
  // In this file "annotations" precedes "images": the passes must not depend on order.
  Imported got = import_with("coco", kData / "coco_val2014_100/instances_val2014_100.json");
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  DomCounts want = dom_counts(kData / "coco_val2014_100/instances_val2014_100.json",
                              kData / "coco_val2014_100/instances_val2014_100.json", false);
  EXPECT_EQ(want.objects, 839);
  EXPECT_EQ(got.result.summary.images, 100u);
  EXPECT_EQ(got.result.summary.objects, uint64_t(839 - want.degenerate))
      << ::testing::PrintToString(got.result.summary.messages);
  EXPECT_EQ(got.per_class(), want.per_class);
  // Segmentation areas become mask areas in (0, 1].
  int masks = 0;
  for (const auto& e : got.events)
    for (const auto& d : e.detections)
      if (d.mask_area != core::kNoMaskArea) {
        ++masks;
        EXPECT_GT(d.mask_area, 0);
        EXPECT_LE(d.mask_area, 1);
      }
  EXPECT_EQ(masks, 839 - want.degenerate);
}

// ---- bad inputs ----

const char* kGood = R"({"images": [{"id": 1, "width": 100, "height": 50, "file_name": "a.jpg"}],
 "categories": [{"id": 3, "name": "cat"}],
 "annotations": [)";

TEST(CocoImporterBadInput, MissingFile) {
  Imported got = import_with("coco", "/nonexistent/instances.json");
  EXPECT_FALSE(got.result.ok());
  EXPECT_NE(got.result.error.find("/nonexistent/instances.json"), std::string::npos)
      << got.result.error;
}

TEST(CocoImporterBadInput, MalformedTopLevelJson) {
  TempDir t;
  auto f = t.write("bad.json", std::string(kGood) + R"({"id": 1, "image_id": 1)");
  Imported got = import_with("coco", f);
  EXPECT_FALSE(got.result.ok());
  EXPECT_NE(got.result.error.find("bad.json"), std::string::npos) << got.result.error;
  EXPECT_NE(got.result.error.find("byte"), std::string::npos) << got.result.error;
  auto f2 = t.write("bad2.json", R"({"images" [1]})");
  got = import_with("coco", f2);
  EXPECT_FALSE(got.result.ok());
  EXPECT_NE(got.result.error.find("bad2.json: byte 10: expected ':'"), std::string::npos)
      << got.result.error;
}

TEST(CocoImporterBadInput, MalformedRecordIsSkipped) {
  TempDir t;
  auto f =
      t.write("x.json", std::string(kGood) +
                            R"({"id": 7, "image_id": 1, "category_id": 3, "bbox": [1, 1, 10, 10]},
      {"id": 8, "image_id": 1 "category_id": 3, "bbox": [1, 1, 10, 10]}]})");
  Imported got = import_with("coco", f);
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  EXPECT_EQ(got.result.summary.objects, 1u);
  EXPECT_EQ(got.result.summary.problem_count(ProblemKind::kMalformedRecord), 1u);
  EXPECT_TRUE(
      any_message_contains(got.result.summary, {"x.json", "annotations[1]", "malformed_record"}))
      << ::testing::PrintToString(got.result.summary.messages);
}

TEST(CocoImporterBadInput, MissingFieldsNameFileRecordAndImage) {
  TempDir t;
  auto f = t.write("x.json", std::string(kGood) +
                                 R"({"id": 7, "image_id": 1, "category_id": 3},
      {"id": 8, "category_id": 3, "bbox": [1, 1, 10, 10]},
      {"id": 9, "image_id": 1, "category_id": 3, "bbox": "wide"},
      {"id": 10, "image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4]}]})");
  Imported got = import_with("coco", f);
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  EXPECT_EQ(got.result.summary.objects, 1u);
  EXPECT_EQ(got.result.summary.skipped_objects, 3u);
  EXPECT_EQ(got.result.summary.problem_count(ProblemKind::kMissingField), 3u);
  const auto& s = got.result.summary;
  EXPECT_TRUE(
      any_message_contains(s, {"x.json", "annotations[0] (id 7, image_id 1)", "a.jpg", "bbox"}))
      << ::testing::PrintToString(s.messages);
  EXPECT_TRUE(any_message_contains(s, {"x.json", "annotations[1] (id 8)", "image_id"}))
      << ::testing::PrintToString(s.messages);
  EXPECT_TRUE(any_message_contains(s, {"x.json", "annotations[2]", "bbox"}))
      << ::testing::PrintToString(s.messages);
}

TEST(CocoImporterBadInput, UnknownCategoryAndUnknownImage) {
  TempDir t;
  std::vector<ImportProblem> seen;
  std::vector<std::string> seen_images, seen_categories;
  ImportOptions o;
  o.on_problem = [&](const ImportProblem& p) {
    seen.push_back(p);
    seen_images.emplace_back(p.image);
    seen_categories.emplace_back(p.category);
  };
  auto f =
      t.write("x.json", std::string(kGood) +
                            R"({"id": 7, "image_id": 1, "category_id": 99, "bbox": [1, 1, 10, 10]},
      {"id": 8, "image_id": 5, "category_id": 3, "bbox": [1, 1, 10, 10]}]})");
  Imported got = import_with("coco", f, o);
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  EXPECT_EQ(got.result.summary.images, 1u);
  EXPECT_EQ(got.result.summary.objects, 0u);
  EXPECT_EQ(got.result.summary.problem_count(ProblemKind::kUnknownCategory), 1u);
  EXPECT_EQ(got.result.summary.problem_count(ProblemKind::kUnknownImage), 1u);
  EXPECT_TRUE(any_message_contains(got.result.summary,
                                   {"x.json", "annotations[0] (id 7, image_id 1)", "99"}));
  EXPECT_TRUE(any_message_contains(got.result.summary,
                                   {"x.json", "annotations[1] (id 8, image_id 5)", "image_id 5"}));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].kind, ProblemKind::kUnknownCategory);
  EXPECT_EQ(seen_images[0], "a.jpg");
  EXPECT_EQ(seen_categories[0], "99");
}

TEST(CocoImporterBadInput, ImageWithoutSizeIsSkippedWithItsObjects) {
  TempDir t;
  auto f =
      t.write("x.json", R"({"images": [{"id": 1, "width": 100, "height": 50, "file_name": "a.jpg"},
      {"id": 2, "file_name": "b.jpg"}], "categories": [{"id": 3, "name": "cat"}],
      "annotations": [{"id": 7, "image_id": 2, "category_id": 3, "bbox": [1, 1, 10, 10]},
                      {"id": 8, "image_id": 1, "category_id": 3, "bbox": [1, 1, 10, 10]}]})");
  Imported got = import_with("coco", f);
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  EXPECT_EQ(got.result.summary.images, 1u);
  EXPECT_EQ(got.result.summary.skipped_images, 1u);
  EXPECT_EQ(got.result.summary.objects, 1u);
  EXPECT_EQ(got.result.summary.skipped_objects, 1u);
  EXPECT_EQ(got.result.summary.problem_count(ProblemKind::kNoImageSize), 1u);
  EXPECT_TRUE(
      any_message_contains(got.result.summary, {"x.json", "images[1] (id 2)", "b.jpg", "width"}))
      << ::testing::PrintToString(got.result.summary.messages);
}

TEST(CocoImporterBadInput, DegenerateAndOutsideBoxes) {
  TempDir t;
  auto f =
      t.write("x.json", std::string(kGood) +
                            R"({"id": 7, "image_id": 1, "category_id": 3, "bbox": [1, 1, 0, 10]},
      {"id": 8, "image_id": 1, "category_id": 3, "bbox": [150, 1, 10, 10]},
      {"id": 9, "image_id": 1, "category_id": 3, "bbox": [90, 40, 20, 20]}]})");
  Imported got = import_with("coco", f);
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  EXPECT_EQ(got.result.summary.problem_count(ProblemKind::kDegenerateBox), 2u);
  EXPECT_EQ(got.result.summary.problem_count(ProblemKind::kBoxOutsideImage), 1u);
  ASSERT_EQ(got.events.size(), 1u);
  ASSERT_EQ(got.events[0].detections.size(), 1u);
  // [90, 40, 20, 20] on 100x50 clipped to x 0.9..1, y 0.8..1.
  EXPECT_FLOAT_EQ(got.events[0].detections[0].box.x_min, 0.9f);
  EXPECT_FLOAT_EQ(got.events[0].detections[0].box.x_max, 1.0f);
  EXPECT_FLOAT_EQ(got.events[0].detections[0].box.y_min, 0.8f);
  EXPECT_FLOAT_EQ(got.events[0].detections[0].box.y_max, 1.0f);
  EXPECT_TRUE(any_message_contains(
      got.result.summary, {"x.json", "annotations[0] (id 7, image_id 1)", "degenerate_box"}));
}

TEST(CocoImporterBadInput, EmptyDataset) {
  TempDir t;
  auto f = t.write("empty.json", R"({"images": [], "categories": [], "annotations": []})");
  Imported got = import_with("coco", f);
  EXPECT_FALSE(got.result.ok());
  EXPECT_NE(got.result.error.find("empty.json"), std::string::npos);
  EXPECT_NE(got.result.error.find("empty dataset"), std::string::npos) << got.result.error;
  auto g = t.write("nothing.json", "");
  got = import_with("coco", g);
  EXPECT_FALSE(got.result.ok());
  EXPECT_NE(got.result.error.find("nothing.json"), std::string::npos);
}

TEST(CocoResultsImporterBadInput, NeedsGroundTruthAndAnArray) {
  TempDir t;
  auto r = t.write("r.json",
                   R"([{"image_id": 1, "category_id": 3, "bbox": [1, 1, 10, 10], "score": 0.5}])");
  Imported got = import_with("coco-results", r);
  EXPECT_FALSE(got.result.ok());
  EXPECT_NE(got.result.error.find("ground-truth"), std::string::npos) << got.result.error;
  ImportOptions o;
  o.ground_truth = t.write("gt.json", std::string(kGood) + "]}");
  got = import_with("coco-results", r, o);
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  ASSERT_EQ(got.events.size(), 1u);
  ASSERT_EQ(got.events[0].detections.size(), 1u);
  EXPECT_FLOAT_EQ(got.events[0].detections[0].confidence, 0.5f);
  EXPECT_EQ(got.events[0].detections[0].class_name, "cat");
  o.category_id_by_index = {3};
  auto r2 = t.write("r2.json",
                    R"([{"image_id": 1, "category_id": 1, "bbox": [1, 1, 10, 10], "score": 0.5}])");
  got = import_with("coco-results", r2, o);
  ASSERT_TRUE(got.result.ok());
  EXPECT_EQ(got.result.summary.problem_count(ProblemKind::kUnknownCategory), 1u);
  EXPECT_TRUE(
      any_message_contains(got.result.summary, {"r2.json", "results[0] (image_id 1)", "index 1"}))
      << ::testing::PrintToString(got.result.summary.messages);
}

}  // namespace
}  // namespace predwatch::daemon::testing

namespace predwatch::daemon::testing {
namespace {

TEST(CocoImporter, SkipCrowdOption) {
  // coco128 ground truth: 939 annotations, 10 with iscrowd = 1 (counted with Python's json).
  ImportOptions o;
  Imported all = import_with("coco", kData / "coco128/instances_train2017.json", o);
  o.skip_crowd = true;
  Imported no_crowd = import_with("coco", kData / "coco128/instances_train2017.json", o);
  ASSERT_TRUE(all.result.ok() && no_crowd.result.ok());
  EXPECT_EQ(all.result.summary.objects + all.result.summary.skipped_objects, 939u);
  EXPECT_EQ(all.result.summary.objects - no_crowd.result.summary.objects, 10u);
  EXPECT_EQ(no_crowd.result.summary.skipped_objects - all.result.summary.skipped_objects, 10u);
}

}  // namespace
}  // namespace predwatch::daemon::testing

namespace predwatch::daemon::testing {
namespace {

// Detector output as a COCO object file (images + annotations with score + categories whose
// ids 0..19 are in yet another order), against the same detections as text files
// "<class index into voc.names> <score> x1 y1 x2 y2": same counts per class name.
TEST(CocoImporter, VocDetectionsWithScoresMatchTheTextFiles) {
  std::vector<std::string> voc_names;
  {
    std::ifstream in(kData / "voc_100_multiformat/voc.names");
    std::string line;
    while (std::getline(in, line))
      if (!line.empty())
        voc_names.push_back(line.back() == '\r' ? line.substr(0, line.size() - 1) : line);
  }
  ASSERT_EQ(voc_names.size(), 20u);
  std::map<std::string, int> per_class;
  double score_sum = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(kData / "voc_100_multiformat/dets/abs_xyx2y2")) {
    std::ifstream in(e.path());
    int cls;
    double score, x0, y0, x1, y1;
    while (in >> cls >> score >> x0 >> y0 >> x1 >> y1) {
      ++per_class[voc_names.at(size_t(cls))];
      score_sum += score;
    }
  }
  Imported got = import_with("coco", kData / "voc_100_multiformat/dets/coco_format/coco_dets.json");
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  EXPECT_EQ(got.result.summary.images, 98u);    // SOURCE.txt: detections for 98 images
  EXPECT_EQ(got.result.summary.objects, 452u);  // and 452 boxes
  EXPECT_EQ(got.per_class(), per_class);
  double got_sum = 0;
  for (const auto& e : got.events)
    for (const auto& d : e.detections) {
      got_sum += d.confidence;
      EXPECT_EQ(d.mask_area, core::kNoMaskArea);  // "segmentation": [] is no mask
    }
  EXPECT_NEAR(got_sum, score_sum, 452 * 1e-6);  // text files keep 6 decimals
}

}  // namespace
}  // namespace predwatch::daemon::testing

namespace predwatch::daemon::testing {
namespace {

TEST(CocoImporterBadInput, RepeatedImageIdKeyNeverOverrunsTheBuffer) {
  TempDir t;
  auto f =
      t.write("x.json", R"({"images": [{"id": 1, "width": 10, "height": 10, "file_name": "a.jpg"},
      {"id": 2, "width": 10, "height": 10, "file_name": "b.jpg"}], "categories": [{"id": 3, "name": "cat"}],
      "annotations": [{"id": 7, "image_id": 1, "image_id": 2, "category_id": 3, "bbox": [1, 1, 2, 2]}]})");
  Imported got = import_with("coco", f);
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  EXPECT_EQ(got.result.summary.images, 2u);
  EXPECT_EQ(got.result.summary.objects, 0u);
  EXPECT_EQ(got.result.summary.problem_count(ProblemKind::kMalformedRecord), 1u);
  EXPECT_TRUE(any_message_contains(got.result.summary,
                                   {"x.json", "annotations[0] (id 7, image_id 2)", "inconsistent"}))
      << ::testing::PrintToString(got.result.summary.messages);
}

}  // namespace
}  // namespace predwatch::daemon::testing

namespace predwatch::daemon::testing {
namespace {

// FUZZING.md finding 7: a score outside [0, 1] used to be delivered as the confidence (1.5),
// unlike the live decoders, which reject it; now the annotation is a malformed record.
TEST(CocoImporterBadInput, ScoreOutsideTheUnitIntervalIsAProblem) {
  TempDir t;
  auto f = t.write("x.json", std::string(kGood) +
                                 R"({"id": 7, "image_id": 1, "category_id": 3, "bbox": [1, 1, 9, 9],
          "score": 1.5},
      {"id": 8, "image_id": 1, "category_id": 3, "bbox": [1, 1, 9, 9], "score": -0.25},
      {"id": 9, "image_id": 1, "category_id": 3, "bbox": [1, 1, 9, 9], "score": 1}]})");
  Imported got = import_with("coco", f);
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  ASSERT_EQ(got.result.summary.objects, 1u);
  EXPECT_EQ(got.events[0].detections[0].confidence, 1.0f);
  EXPECT_EQ(got.result.summary.problem_count(ProblemKind::kMalformedRecord), 2u);
  EXPECT_TRUE(any_message_contains(got.result.summary, {"x.json", "annotations[0]", "score"}))
      << ::testing::PrintToString(got.result.summary.messages);
}

// FUZZING.md finding 7: "area" larger than the image gave mask_area > 1 (1e45 px: infinity);
// it is a fraction of the image, capped at 1.
TEST(CocoImporterBadInput, MaskAreaIsCappedAtTheImage) {
  TempDir t;
  auto f = t.write("x.json", std::string(kGood) +
                                 R"({"id": 7, "image_id": 1, "category_id": 3, "bbox": [1, 1, 9, 9],
          "segmentation": [[1, 1, 9, 1, 9, 9]], "area": 1e45}]})");
  Imported got = import_with("coco", f);
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  ASSERT_EQ(got.result.summary.objects, 1u);
  EXPECT_EQ(got.events[0].detections[0].mask_area, 1.0f);
}

// FUZZING.md finding 9: images listed again after the annotations (a repeated "images" key)
// had no annotations counted in pass A: one pass reported their annotations as inconsistent
// records, several passes dropped them without a word. Pass B now counts again.
TEST(CocoImporterBadInput, ImagesAfterTheAnnotationsAreCountedAgain) {
  TempDir t;
  auto f =
      t.write("x.json", R"({"images": [{"id": 1, "width": 100, "height": 50, "file_name": "a.jpg"}],
 "categories": [{"id": 3, "name": "cat"}],
 "annotations": [{"id": 7, "image_id": 1, "category_id": 3, "bbox": [1, 1, 9, 9]},
                 {"id": 8, "image_id": 2, "category_id": 3, "bbox": [1, 1, 9, 9]},
                 {"id": 9, "image_id": 2, "bbox": [1, 1, 9, 9]}],
 "images": [{"id": 2, "width": 100, "height": 50, "file_name": "b.jpg"}]})");
  for (size_t budget : {size_t{256} << 20, size_t{32}}) {
    ImportOptions o;
    o.annotation_buffer_bytes = budget;
    Imported got = import_with("coco", f, o);
    ASSERT_TRUE(got.result.ok()) << got.result.error;
    EXPECT_EQ(got.result.summary.images, 2u) << budget;
    EXPECT_EQ(got.result.summary.objects, 2u) << budget;
    EXPECT_EQ(got.result.summary.total_problems(), 1u) << budget;
    EXPECT_EQ(got.result.summary.problem_count(ProblemKind::kMissingField), 1u) << budget;
  }
}

// FUZZING.md finding 12: with a repeated "image_id" key the counting passes took the first,
// pass C the last: in several passes the annotation's image had no slot and the annotation
// vanished without a problem (one pass reported it). Now such a record is one malformed
// record in every mode, and counted for no image.
TEST(CocoImporterBadInput, RepeatedImageIdIsOneProblemInEveryMode) {
  TempDir t;
  auto f =
      t.write("x.json", R"({"images": [{"id": 1, "width": 100, "height": 50, "file_name": "a.jpg"},
                {"id": 2, "width": 100, "height": 50, "file_name": "b.jpg"}],
 "categories": [{"id": 3, "name": "cat"}],
 "annotations": [{"id": 7, "image_id": 1, "category_id": 3, "image_id": 2, "bbox": [1, 1, 9, 9]},
                 {"id": 8, "image_id": 1, "image_id": 2, "bbox": [1, 1, 9, 9]},
                 {"id": 9, "image_id": 2, "category_id": 3, "bbox": [1, 1, 9, 9]}]})");
  for (size_t budget : {size_t{256} << 20, size_t{32}}) {
    ImportOptions o;
    o.annotation_buffer_bytes = budget;
    Imported got = import_with("coco", f, o);
    ASSERT_TRUE(got.result.ok()) << got.result.error;
    ASSERT_EQ(got.events.size(), 2u);
    EXPECT_EQ(got.events[0].detections.size(), 0u) << budget;
    EXPECT_EQ(got.events[1].detections.size(), 1u) << budget;
    EXPECT_EQ(got.result.summary.problem_count(ProblemKind::kMalformedRecord), 2u) << budget;
    EXPECT_EQ(got.result.summary.total_problems(), 2u) << budget;
  }
}

}  // namespace
}  // namespace predwatch::daemon::testing
