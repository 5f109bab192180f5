// Real data: COCO val2017 ground truth (tests/data/coco_val2017, see its SOURCE.txt) run
// through Stats and a CountWindow, checked against counts this test computes on its own
// from the JSON.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/box_geometry.h"
#include "core/class_registry.h"
#include "core/sliding_window.h"
#include "core/stats.h"

namespace predwatch::core {
namespace {

struct Coco {
  std::vector<std::string> class_names;  // in category order
  std::vector<Frame> frames;             // one per image, in the file's image order
};

Coco load_coco(const std::string& path, ClassRegistry& registry) {
  Coco coco;
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.load(path);
  std::map<int64_t, ClassId> class_of_category;
  for (simdjson::dom::element c : root["categories"].get_array()) {
    const std::string name{std::string_view(c["name"])};
    coco.class_names.push_back(name);
    class_of_category[int64_t(c["id"])] = registry.resolve(name);
  }
  std::map<int64_t, size_t> frame_of_image;
  for (simdjson::dom::element im : root["images"].get_array()) {
    Frame f;
    f.frame_id = std::string(std::string_view(im["file_name"]));
    f.width = uint32_t(int64_t(im["width"]));
    f.height = uint32_t(int64_t(im["height"]));
    f.time_ms = int64_t(coco.frames.size());
    frame_of_image[int64_t(im["id"])] = coco.frames.size();
    coco.frames.push_back(std::move(f));
  }
  for (simdjson::dom::element a : root["annotations"].get_array()) {
    Frame& f = coco.frames[frame_of_image.at(int64_t(a["image_id"]))];
    simdjson::dom::array bb = a["bbox"];
    double v[4];
    size_t i = 0;
    for (simdjson::dom::element x : bb) v[i++] = double(x);
    Detection d;
    d.class_id = class_of_category.at(int64_t(a["category_id"]));
    const double W = f.width, H = f.height;
    d.box = {float(std::clamp(v[0] / W, 0.0, 1.0)), float(std::clamp(v[1] / H, 0.0, 1.0)),
             float(std::clamp((v[0] + v[2]) / W, 0.0, 1.0)),
             float(std::clamp((v[1] + v[3]) / H, 0.0, 1.0))};
    f.detections.push_back(d);
  }
  return coco;
}

TEST(CocoVal2017, ClassBalanceAndCooccurrenceMatchIndependentCounts) {
  ClassRegistry registry(1000);
  const Coco coco = load_coco(
      std::string(PREDWATCH_TEST_DATA) + "/coco_val2017/instances_val2017_boxes.json", registry);
  ASSERT_EQ(coco.frames.size(), 5000u);
  ASSERT_EQ(registry.size(), 80u);

  Stats stats;
  CountWindow window(5000);  // holds the whole set
  for (const Frame& f : coco.frames) {
    stats.add(f);
    window.add(f);
  }

  // Independent counts.
  const size_t C = registry.size();
  std::vector<int64_t> images(C, 0), objects(C, 0);
  std::map<std::pair<ClassId, ClassId>, int64_t> pairs;
  std::vector<double> area_pct_sum(C, 0.0);
  int64_t total_objects = 0;
  for (const Frame& f : coco.frames) {
    std::map<ClassId, std::vector<Box>> by_class;
    for (const Detection& d : f.detections) by_class[d.class_id].push_back(d.box);
    total_objects += int64_t(f.detections.size());
    for (const auto& [c, boxes] : by_class) {
      images[c]++;
      objects[c] += int64_t(boxes.size());
      area_pct_sum[c] += 100.0 * union_area(boxes);
      for (const auto& [b, unused] : by_class)
        if (b < c) pairs[{c, b}]++;
    }
  }
  EXPECT_EQ(stats.frames(), 5000);
  EXPECT_EQ(stats.objects(), 36781);  // SOURCE.txt: 36781 boxes
  EXPECT_EQ(total_objects, 36781);
  for (ClassId c = 0; c < C; ++c) {
    EXPECT_EQ(stats.images_with(c), images[c]) << registry.name(c);
    EXPECT_EQ(stats.objects_of(c), objects[c]) << registry.name(c);
    EXPECT_NEAR(stats.avg_area_pct(c), area_pct_sum[c] / double(images[c]), 1e-6)
        << registry.name(c);
    const std::vector<int64_t> dist = stats.objects_distribution(c);
    int64_t frames = 0;
    for (int64_t v : dist) frames += v;
    EXPECT_EQ(frames, 5000);
    for (ClassId b = 0; b < c; ++b) {
      auto it = pairs.find({c, b});
      EXPECT_EQ(stats.pair_images(c, b), it == pairs.end() ? 0 : it->second);
    }
  }
  // Reference values from the JSON with Python (/usr/bin/python3, json + collections):
  // images with person = 2693, person boxes = 11004, images with horse and chair = 9.
  const ClassId person = registry.find("person"), horse = registry.find("horse"),
                chair = registry.find("chair");
  EXPECT_EQ(stats.images_with(person), 2693);
  EXPECT_EQ(stats.objects_of(person), 11004);
  EXPECT_EQ(stats.pair_images(horse, chair), 9);
  EXPECT_EQ(stats.pair_images(chair, horse), 9);
  // Ground truth has no confidences.
  EXPECT_EQ(stats.scored_objects(person), 0);
  EXPECT_TRUE(std::isnan(stats.mean_confidence(person)));
  // The count window over all 5000 frames equals the plain accumulator.
  EXPECT_TRUE(window.totals().to_data() == stats.to_data());
}

}  // namespace
}  // namespace predwatch::core
