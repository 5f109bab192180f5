// YOLO, Pascal VOC and Supervisely importers on the real data, with expected counts taken
// directly from the files (line counts, XML element scans, numbers in the SOURCE notes), and
// the format-parity check: the same 100 VOC images in VOC XML, YOLO and COCO must give the
// same classes, per-image counts and boxes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "daemon/dataset/supervisely_importer.h"
#include "daemon/dataset/yolo_importer.h"
#include "tests/daemon/dataset/import_test_util.h"

namespace predwatch::daemon::testing {
namespace {
namespace fs = std::filesystem;

std::string read_all(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string stem_of(std::string id) {
  auto slash = id.rfind('/');
  if (slash != std::string::npos) id = id.substr(slash + 1);
  auto dot = id.rfind('.');
  if (dot != std::string::npos) id = id.substr(0, dot);
  return id;
}

TEST(YoloImporter, Coco128TrainLabelsWithNamesFromConfigYaml) {
  fs::path dir = kData / "coco128_yolo/labels/train2017";
  // Names: the "  <index>: <name>" lines of config.yaml.
  std::map<int, std::string> names;
  {
    std::ifstream in(kData / "coco128_yolo/config.yaml");
    std::string line;
    std::regex entry(R"(^\s+(\d+):\s*(.+?)\s*$)");
    std::smatch m;
    while (std::getline(in, line))
      if (std::regex_match(line, m, entry)) names[std::stoi(m[1])] = m[2];
  }
  ASSERT_EQ(names.size(), 80u);
  std::map<std::string, int> per_class, per_image;
  int files = 0, objects = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    ++files;
    std::ifstream in(e.path());
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      std::istringstream ss(line);
      int cls;
      if (ss >> cls) {
        ++per_class[names.at(cls)];
        ++n;
      }
    }
    if (n > 0) per_image[e.path().stem().string()] = n;
    objects += n;
  }
  EXPECT_EQ(objects, 941);  // tests/data/README.md
  Imported got = import_with("yolo", dir);
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  EXPECT_EQ(got.result.summary.images, uint64_t(files));
  EXPECT_EQ(got.result.summary.images, 128u);
  EXPECT_EQ(got.result.summary.objects, 941u);
  EXPECT_EQ(got.per_class(), per_class);
  std::map<std::string, int> got_per_image;
  for (const auto& e : got.events) {
    EXPECT_EQ(e.width, 0u);
    if (!e.detections.empty()) got_per_image[e.frame_id] = int(e.detections.size());
    for (const auto& d : e.detections) EXPECT_EQ(d.class_name, names.at(d.class_index));
  }
  EXPECT_EQ(got_per_image, per_image);
  // First line of 000000000009.txt: "45 0.479492 0.688771 0.955609 0.5955".
  const OwnedEvent* e9 = got.find("000000000009");
  ASSERT_NE(e9, nullptr);
  EXPECT_EQ(e9->detections[0].class_name, "bowl");
  EXPECT_NEAR(e9->detections[0].box.x_min, 0.479492 - 0.955609 / 2, 1e-6);
  EXPECT_NEAR(e9->detections[0].box.y_max, 0.688771 + 0.5955 / 2, 1e-6);
}

TEST(YoloImporter, RootFolderReadsBothSplitsAndVideoFramesHaveNoNames) {
  Imported both = import_with("yolo", kData / "coco128_yolo");
  ASSERT_TRUE(both.result.ok()) << both.result.error;
  EXPECT_EQ(both.result.summary.images, 256u);
  EXPECT_EQ(both.result.summary.objects, 941u + 898u);
  EXPECT_NE(both.find("labels/val2017/000000000139"), nullptr);

  // A trailing separator changes nothing.
  Imported slash = import_with("yolo", (kData / "coco128_yolo").string() + "/");
  EXPECT_EQ(slash.result.summary.objects, 941u + 898u);
  Imported sv = import_with(
      "supervisely", (kData / "supervisely_samples/compare_annotations_demo").string() + "/");
  ASSERT_FALSE(sv.events.empty());
  EXPECT_EQ(sv.events[0].frame_id, "compare_annotations_demo/image_1.jpg");

  Imported video = import_with("yolo", kData / "video_frames_yolov5_predictions/exp2/labels");
  ASSERT_TRUE(video.result.ok()) << video.result.error;
  EXPECT_EQ(video.result.summary.images, 1106u);  // SOURCE / README: 1106 frames, 18,923 boxes
  EXPECT_EQ(video.result.summary.objects, 18923u);
  EXPECT_TRUE(video.events[0].detections[0].class_name.empty());
  EXPECT_EQ(video.events[0].detections[0].class_index, 0);
}

TEST(YoloImporter, NamesFileFormats) {
  TempDir t;
  std::vector<std::string> names;
  std::string error;
  ASSERT_TRUE(load_yolo_names(t.write("a.yaml", "names: [cat, dog]\n"), names, error)) << error;
  EXPECT_EQ(names, (std::vector<std::string>{"cat", "dog"}));
  ASSERT_TRUE(load_yolo_names(t.write("b.yaml", "names:\n  1: dog\n  0: cat\n"), names, error))
      << error;
  EXPECT_EQ(names, (std::vector<std::string>{"cat", "dog"}));
  ASSERT_TRUE(load_yolo_names(t.write("obj.names", "cat\r\n\ndog\n"), names, error)) << error;
  EXPECT_EQ(names, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_FALSE(load_yolo_names(t.write("c.yaml", "names: [cat, dog\n"), names, error));
  EXPECT_NE(error.find("c.yaml:2:1"), std::string::npos) << error;
  EXPECT_FALSE(load_yolo_names(t.write("d.yaml", "names: cat\n"), names, error));
  EXPECT_NE(error.find("d.yaml:1:8"), std::string::npos) << error;
  // A names file in Latin-1 ("\xe9t\xe9" is "été"): refused, naming the entry.
  EXPECT_FALSE(load_yolo_names(t.write("latin.names", "cat\n\xe9t\xe9\n"), names, error));
  EXPECT_NE(error.find("latin.names: class name 2 (index 1) is not valid UTF-8"), std::string::npos)
      << error;
  EXPECT_FALSE(load_yolo_names(t.write("e.yaml", "names: [cat, \"\xe9t\xe9\"]\n"), names, error));
  EXPECT_NE(error.find("e.yaml: class name 2 (index 1) is not valid UTF-8"), std::string::npos)
      << error;
  ASSERT_TRUE(load_yolo_names(t.write("f.names", "cat\n\xc3\xa9t\xc3\xa9\n"), names, error))
      << error;  // the same name in UTF-8
  EXPECT_EQ(names[1], "\xc3\xa9t\xc3\xa9");
}

TEST(YoloImporterBadInput, BadLinesUnknownClassAndEmptyFolder) {
  TempDir t;
  t.write("ds/classes.txt", "cat\ndog\n");
  t.write("ds/labels/img1.txt",
          "0 0.5 0.5 0.2 0.2\n7 0.5 0.5 0.2 0.2\n1 0.5 0.5\n1 a b c d\n1 0.5 0.5 0 0.1\n1 0.95 0.5 "
          "0.2 0.2 0.8\n");
  t.write("ds/labels/img2.txt", "");
  Imported got = import_with("yolo", t.path() / "ds");
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  const auto& s = got.result.summary;
  EXPECT_EQ(s.images, 2u);
  EXPECT_EQ(s.objects, 2u);
  EXPECT_EQ(s.skipped_objects, 4u);
  EXPECT_EQ(s.problem_count(ProblemKind::kUnknownCategory), 1u);
  EXPECT_EQ(s.problem_count(ProblemKind::kMalformedRecord), 2u);
  EXPECT_EQ(s.problem_count(ProblemKind::kDegenerateBox), 1u);
  EXPECT_EQ(s.problem_count(ProblemKind::kBoxOutsideImage), 1u);
  EXPECT_TRUE(any_message_contains(s, {"img1.txt", "line 2", "class index 7"}))
      << ::testing::PrintToString(s.messages);
  EXPECT_TRUE(any_message_contains(s, {"img1.txt", "line 3", "got 3"}))
      << ::testing::PrintToString(s.messages);
  ASSERT_EQ(got.events[0].frame_id, "labels/img1");
  EXPECT_FLOAT_EQ(got.events[0].detections[1].confidence, 0.8f);
  EXPECT_FLOAT_EQ(got.events[0].detections[1].box.x_max, 1.0f);
  EXPECT_TRUE(got.events[1].detections.empty());

  TempDir empty;
  got = import_with("yolo", empty.path());
  EXPECT_FALSE(got.result.ok());
  EXPECT_NE(got.result.error.find("empty dataset"), std::string::npos);
  got = import_with("yolo", empty.path() / "missing");
  EXPECT_FALSE(got.result.ok());
  EXPECT_NE(got.result.error.find("missing"), std::string::npos);
}

// FUZZING.md finding 8: a names YAML whose document is not a map ("names" alone, a list)
// made load_yolo_names throw YAML::BadSubscript out of the importer; it is an error naming
// the file.
TEST(YoloImporterBadInput, NamesYamlThatIsNotAMap) {
  TempDir t;
  std::vector<std::string> names;
  std::string error;
  EXPECT_FALSE(load_yolo_names(t.write("a.yaml", "names\n"), names, error));
  EXPECT_NE(error.find("a.yaml"), std::string::npos) << error;
  EXPECT_FALSE(load_yolo_names(t.write("b.yaml", "- names\n- x\n"), names, error));
  EXPECT_NE(error.find("b.yaml"), std::string::npos) << error;
  t.write("ds/data.yaml", "names\n");
  t.write("ds/a.txt", "0 0.5 0.5 0.2 0.2\n");
  Imported got = import_with("yolo", t.path() / "ds");
  EXPECT_FALSE(got.result.ok());
  EXPECT_NE(got.result.error.find("data.yaml"), std::string::npos) << got.result.error;
}

// FUZZING.md finding 8: a confidence column outside [0, 1] (1.5, -0.1, nan) was delivered as
// the confidence; the line is a malformed record now, as the live decoders reject it.
TEST(YoloImporterBadInput, ConfidenceOutsideTheUnitIntervalIsAProblem) {
  TempDir t;
  t.write("ds/a.txt",
          "0 0.5 0.5 0.2 0.2 1.5\n0 0.5 0.5 0.2 0.2 -0.1\n0 0.5 0.5 0.2 0.2 nan\n"
          "0 0.5 0.5 0.2 0.2 1\n");
  Imported got = import_with("yolo", t.path() / "ds");
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  const auto& s = got.result.summary;
  EXPECT_EQ(s.objects, 1u);
  EXPECT_EQ(s.skipped_objects, 3u);
  EXPECT_EQ(s.problem_count(ProblemKind::kMalformedRecord), 3u);
  EXPECT_TRUE(any_message_contains(s, {"a.txt", "line 1", "confidence 1.5"}))
      << ::testing::PrintToString(s.messages);
  EXPECT_EQ(got.events[0].detections[0].confidence, 1.0f);
}

// ---- VOC ----

// FUZZING.md finding 11: a <width> of 0.1 passed the "positive" check and became
// Event::width 0 (the "no size" of YOLO); 1e20 did not fit the uint32 conversion. Both are no
// size now, as in the COCO importer.
TEST(VocImporterBadInput, SizeBelowOnePixelOrBeyondUint32IsNoSize) {
  TempDir t;
  t.write("a.xml", "<annotation><size><width>0.1</width><height>375</height></size></annotation>");
  t.write("b.xml", "<annotation><size><width>1e20</width><height>375</height></size></annotation>");
  t.write("c.xml", "<annotation><size><width>1</width><height>375</height></size></annotation>");
  Imported got = import_with("voc", t.path());
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  EXPECT_EQ(got.result.summary.images, 1u);
  EXPECT_EQ(got.result.summary.problem_count(ProblemKind::kNoImageSize), 2u);
  ASSERT_EQ(got.events.size(), 1u);
  EXPECT_EQ(got.events[0].width, 1u);
}

TEST(VocImporter, Voc100MatchesAnXmlElementScan) {
  fs::path dir = kData / "voc_100_multiformat/gts/pascalvoc_format";
  std::map<std::string, int> per_class, per_image;
  std::regex object_name(R"(<object>\s*<name>([^<]+)</name>)");
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string text = read_all(e.path());
    for (std::sregex_iterator it(text.begin(), text.end(), object_name), end; it != end; ++it) {
      ++per_class[(*it)[1]];
      ++per_image[e.path().stem().string()];
    }
  }
  Imported got = import_with("voc", dir);
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  EXPECT_EQ(got.result.summary.images, 100u);
  EXPECT_EQ(got.result.summary.objects, 273u);  // SOURCE.txt
  EXPECT_EQ(got.result.summary.total_problems(), 0u);
  EXPECT_EQ(got.per_class(), per_class);
  EXPECT_EQ(got.per_class().at("person"), 91);  // SOURCE.txt
  std::map<std::string, int> got_per_image;
  for (const auto& e : got.events) got_per_image[stem_of(e.frame_id)] = int(e.detections.size());
  EXPECT_EQ(got_per_image, per_image);
  const OwnedEvent* e = got.find("2007_000027.jpg");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->width, 486u);
  EXPECT_FLOAT_EQ(e->detections[0].box.x_min, 174.0f / 486);
  EXPECT_FLOAT_EQ(e->detections[0].box.y_max, 351.0f / 500);
}

// The three encodings of the same 100 images agree: classes, counts and boxes.
TEST(FormatParity, VocXmlYoloAndCocoGiveTheSameStatistics) {
  fs::path base = kData / "voc_100_multiformat/gts";
  Imported voc = import_with("voc", base / "pascalvoc_format");
  Imported yolo = import_with("yolo", base / "yolo_format");
  Imported coco = import_with("coco", base / "coco_format_v1/instances_default.json");
  for (const Imported* i : {&voc, &yolo, &coco}) {
    ASSERT_TRUE(i->result.ok()) << i->result.error;
    EXPECT_EQ(i->result.summary.images, 100u);
    EXPECT_EQ(i->result.summary.objects, 273u);
    EXPECT_EQ(i->result.summary.total_problems(), 0u)
        << ::testing::PrintToString(i->result.summary.messages);
  }
  EXPECT_EQ(voc.per_class(), yolo.per_class());
  EXPECT_EQ(voc.per_class(), coco.per_class());
  using Boxes = std::map<std::string, std::vector<std::array<float, 4>>>;  // "image|class" -> boxes
  auto boxes = [](const Imported& i) {
    Boxes b;
    for (const auto& e : i.events) {
      b[stem_of(e.frame_id)];  // images without objects count too
      for (const auto& d : e.detections) {
        b[stem_of(e.frame_id) + "|" + d.class_name].push_back(
            {d.box.x_min, d.box.y_min, d.box.x_max, d.box.y_max});
      }
    }
    for (auto& [k, v] : b) std::sort(v.begin(), v.end());
    return b;
  };
  Boxes bv = boxes(voc), by = boxes(yolo), bc = boxes(coco);
  ASSERT_EQ(bv.size(), by.size());
  ASSERT_EQ(bv.size(), bc.size());
  for (const auto& [key, list] : bv) {
    ASSERT_TRUE(by.count(key) && bc.count(key)) << key;
    ASSERT_EQ(list.size(), by[key].size()) << key;
    ASSERT_EQ(list.size(), bc[key].size()) << key;
    for (size_t k = 0; k < list.size(); ++k) {
      for (int c = 0; c < 4; ++c) {
        // YOLO keeps 6 decimals: |error| <= 0.5e-6 on the centre plus 0.25e-6 on the half size.
        EXPECT_NEAR(list[k][c], by[key][k][c], 2e-6) << key;
        EXPECT_NEAR(list[k][c], bc[key][k][c], 2e-6) << key;
      }
    }
  }
}

TEST(VocImporterBadInput, MalformedXmlMissingSizeAndFields) {
  TempDir t;
  t.write(
      "a.xml",
      "<annotation><filename>a.jpg</filename><size><width>100</width><height>50</height></size>\n"
      "<object><name>cat</name><bndbox><xmin>10</xmin><ymin>10</ymin><xmax>20</xmax><ymax>20</"
      "ymax></bndbox></object>\n"
      "<object><bndbox><xmin>10</xmin><ymin>10</ymin><xmax>20</xmax><ymax>20</ymax></bndbox></"
      "object>\n"
      "<object><name>dog</name><bndbox><xmin>10</xmin><ymin>10</ymin><xmax>x</xmax><ymax>20</"
      "ymax></bndbox></object>\n"
      "<object><name>dog</name><bndbox><xmin>30</xmin><ymin>10</ymin><xmax>30</xmax><ymax>20</"
      "ymax></bndbox></object>\n"
      "</annotation>\n");
  t.write("b.xml",
          "<annotation>\n<filename>b.jpg</filename>\n<size><width>100</width></size>\n"
          "<object><name>cat</name></object></annotation>");
  t.write("c.xml",
          "<annotation>\n  <filename>c.jpg</filename>\n  "
          "<object><name>cat</nam></object>\n</annotation>");
  // A Latin-1 class name in a file that declares no encoding: the object is skipped.
  t.write("d.xml",
          "<annotation><filename>d.jpg</filename><size><width>100</width><height>50</height>"
          "</size>\n<object><name>v\xe9lo</name><bndbox><xmin>10</xmin><ymin>10</ymin><xmax>20"
          "</xmax><ymax>20</ymax></bndbox></object>\n</annotation>\n");
  Imported got = import_with("voc", t.path());
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  const auto& s = got.result.summary;
  EXPECT_EQ(s.images, 2u);
  EXPECT_EQ(s.objects, 1u);
  EXPECT_EQ(s.skipped_images, 2u);
  EXPECT_EQ(s.problem_count(ProblemKind::kMalformedRecord), 2u);
  EXPECT_TRUE(any_message_contains(s, {"d.xml", "object[0] (line 2)", "not valid UTF-8"}))
      << ::testing::PrintToString(s.messages);
  EXPECT_EQ(s.problem_count(ProblemKind::kNoImageSize), 1u);
  EXPECT_EQ(s.problem_count(ProblemKind::kMissingField), 2u);
  EXPECT_EQ(s.problem_count(ProblemKind::kDegenerateBox), 1u);
  EXPECT_TRUE(any_message_contains(s, {"c.xml", "line 3:", "malformed XML"}))
      << ::testing::PrintToString(s.messages);
  EXPECT_TRUE(any_message_contains(s, {"b.xml", "b.jpg", "no_image_size"}))
      << ::testing::PrintToString(s.messages);
  EXPECT_TRUE(any_message_contains(s, {"a.xml", "object[1] (line 3)", "a.jpg", "<name>"}))
      << ::testing::PrintToString(s.messages);
  EXPECT_TRUE(any_message_contains(s, {"a.xml", "object[2] (line 4)", "bndbox"}))
      << ::testing::PrintToString(s.messages);

  TempDir only_bad;
  only_bad.write("x.xml", "<annotation><size>");
  got = import_with("voc", only_bad.path());
  EXPECT_FALSE(got.result.ok());
  EXPECT_NE(got.result.error.find("empty dataset"), std::string::npos) << got.result.error;
  EXPECT_NE(got.result.error.find("x.xml"), std::string::npos) << got.result.error;
  got = import_with("voc", only_bad.path() / "nope");
  EXPECT_FALSE(got.result.ok());
  EXPECT_NE(got.result.error.find("nope"), std::string::npos);
}

// ---- Supervisely ----

TEST(SuperviselyImporter, TutorialProjectOlderFormatWithMeta) {
  Imported got = import_with("supervisely", kData / "supervisely_samples/tutorial_project");
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  EXPECT_EQ(got.result.summary.images, 5u);  // SOURCE.txt: 5 images, 15 objects, 4 classes
  EXPECT_EQ(got.result.summary.objects, 15u);
  EXPECT_EQ(got.result.summary.total_problems(), 0u)
      << ::testing::PrintToString(got.result.summary.messages);
  EXPECT_EQ(got.per_class(),
            (std::map<std::string, int>{{"bike", 3}, {"car", 5}, {"dog", 1}, {"person", 6}}));
  // bike-man-dog.json, 1200x952: the person bitmap has origin [535, 66] and a 271x739 PNG
  // (read with Python: zlib.decompress(base64) -> IHDR); the bike rectangle is
  // [[0, 236], [582, 872]] with inclusive corners.
  const OwnedEvent* e = got.find("dataset_01/bike-man-dog");
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->detections.size(), 3u);
  EXPECT_EQ(e->detections[1].class_name, "person");
  EXPECT_FLOAT_EQ(e->detections[1].box.x_min, 535.0f / 1200);
  EXPECT_FLOAT_EQ(e->detections[1].box.x_max, (535.0f + 271) / 1200);
  EXPECT_FLOAT_EQ(e->detections[1].box.y_max, (66.0f + 739) / 952);
  EXPECT_EQ(e->detections[2].class_name, "bike");
  EXPECT_FLOAT_EQ(e->detections[2].box.x_max, 583.0f / 1200);
  EXPECT_FLOAT_EQ(e->detections[2].box.y_min, 236.0f / 952);
  // Polygons carry a mask area, bitmaps and rectangles do not.
  EXPECT_GT(e->detections[0].mask_area, 0);
  EXPECT_LT(e->detections[0].mask_area, e->detections[0].box.area());
  EXPECT_EQ(e->detections[1].mask_area, core::kNoMaskArea);
}

TEST(SuperviselyImporter, CurrentFormatBitmapsWithoutMeta) {
  Imported got = import_with("supervisely", kData / "supervisely_samples/compare_annotations_demo");
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  EXPECT_EQ(got.result.summary.images, 3u);
  EXPECT_EQ(got.result.summary.objects, 7u);
  EXPECT_EQ(got.per_class(), (std::map<std::string, int>{{"cat", 1}, {"dog", 6}}));
  // image_1.jpg.json: cat, origin [586, 0], 599x852 PNG (checked with Python), image 1280x853.
  const OwnedEvent* e = got.find("compare_annotations_demo/image_1.jpg");
  ASSERT_NE(e, nullptr);
  EXPECT_FLOAT_EQ(e->detections[0].box.x_min, 586.0f / 1280);
  EXPECT_FLOAT_EQ(e->detections[0].box.x_max, (586.0f + 599) / 1280);
  EXPECT_FLOAT_EQ(e->detections[0].box.y_max, 852.0f / 853);
}

// FUZZING.md finding 11: a width of 2^32 became Event::width 0 through the uint32
// conversion; it is no size now.
TEST(SuperviselyImporterBadInput, SizeBeyondUint32IsNoSize) {
  TempDir t;
  t.write("ds/ann/a.json", R"({"size": {"width": 4294967296, "height": 10}, "objects": []})");
  t.write("ds/ann/b.json", R"({"size": {"width": 4294967295, "height": 10}, "objects": []})");
  Imported got = import_with("supervisely", t.path());
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  EXPECT_EQ(got.result.summary.problem_count(ProblemKind::kNoImageSize), 1u);
  ASSERT_EQ(got.events.size(), 1u);
  EXPECT_EQ(got.events[0].width, 4294967295u);
}

TEST(SuperviselyImporterBadInput, UnknownClassUnsupportedGeometryMalformedFile) {
  TempDir t;
  t.write(
      "p/meta.json",
      R"({"classes": [{"title": "cat", "shape": "rectangle"}, {"title": "pt", "shape": "point"}]})");
  t.write("p/ds/ann/a.jpg.json", R"({"size": {"width": 100, "height": 50}, "objects": [
      {"classTitle": "cat", "points": {"exterior": [[10, 10], [19, 19]], "interior": []}},
      {"classTitle": "cow", "points": {"exterior": [[10, 10], [19, 19]], "interior": []}},
      {"classTitle": "pt", "points": {"exterior": [[10, 10]], "interior": []}},
      {"classTitle": "cat", "geometryType": "bitmap", "bitmap": {"origin": [1, 1], "data": "AAAA"}}]})");
  t.write("p/ds/ann/b.jpg.json", R"({"size": {"width": 100, "height": 50}, "objects": [)");
  t.write("p/ds/ann/c.jpg.json", R"({"objects": []})");
  Imported got = import_with("supervisely", t.path() / "p");
  ASSERT_TRUE(got.result.ok()) << got.result.error;
  const auto& s = got.result.summary;
  EXPECT_EQ(s.images, 1u);
  EXPECT_EQ(s.objects, 1u);
  EXPECT_EQ(s.problem_count(ProblemKind::kUnknownCategory), 1u);
  EXPECT_EQ(s.problem_count(ProblemKind::kUnsupportedGeometry), 1u);
  EXPECT_EQ(s.problem_count(ProblemKind::kMalformedRecord), 2u);  // b.jpg.json, the bad bitmap
  EXPECT_EQ(s.problem_count(ProblemKind::kNoImageSize), 1u);
  EXPECT_TRUE(any_message_contains(s, {"a.jpg.json", "objects[1]", "ds/a.jpg", "cow"}))
      << ::testing::PrintToString(s.messages);
  EXPECT_TRUE(any_message_contains(s, {"b.jpg.json", "malformed JSON"}))
      << ::testing::PrintToString(s.messages);
  EXPECT_TRUE(any_message_contains(s, {"c.jpg.json", "no_image_size"}))
      << ::testing::PrintToString(s.messages);
  EXPECT_FLOAT_EQ(got.events[0].detections[0].box.x_max, 20.0f / 100);

  TempDir empty;
  empty.write("meta.json", R"({"classes": []})");
  got = import_with("supervisely", empty.path());
  EXPECT_FALSE(got.result.ok());
  EXPECT_NE(got.result.error.find("empty dataset"), std::string::npos);
  empty.write("meta.json", R"({"classes": [)");
  got = import_with("supervisely", empty.path());
  EXPECT_FALSE(got.result.ok());
  EXPECT_NE(got.result.error.find("meta.json"), std::string::npos) << got.result.error;
}

TEST(ImporterFactory, KnowsTheFiveFormats) {
  for (auto name : importer_formats()) {
    auto importer = make_importer(name);
    ASSERT_NE(importer, nullptr) << name;
    EXPECT_EQ(importer->format(), name);
  }
  EXPECT_EQ(importer_formats().size(), 5u);
  EXPECT_EQ(make_importer("labelme"), nullptr);
  EXPECT_EQ(coco80_category_ids()[11], 13);
  EXPECT_EQ(coco80_category_ids()[79], 90);
}

}  // namespace
}  // namespace predwatch::daemon::testing
