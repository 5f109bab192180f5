// The JSON shape of a Stats report, on a hand-built example whose every number is derived in
// the comments, and the JSON writer's escaping and number rules.
#include "daemon/cli/stats_report.h"

#include <gtest/gtest.h>

#include <cmath>

#include "daemon/common/json_writer.h"

namespace predwatch::daemon {
namespace {

// Frame 1: two cats [0,.5]^2 and [.5,1]^2 and one dog [0,.25]^2 (inside the first cat);
// frame 2: empty. Class 2 (zebra) exists but is on no image.
//  cat: 1 image, 2 objects, avg 2, union area .25 + .25 = 50 %
//  dog: 1 image, 1 object, avg 1, area .0625 = 6.25 %   (ties with cat on images; fewer objects)
//  zebra: 0 images, averages null, distribution {"0": 2}
//  pair (cat, dog) on 1 image; objects per image {0: 1, 3: 1}; classes per image {0: 1, 2: 1}
//  covered area: frame 1 = 50 % exactly (cells with centres below .5 on the 64 raster: 32 of
//  64 per axis, two quadrants) -> bin [50, 55); frame 2 -> [0, 5).
core::Stats example(std::vector<std::string>& names) {
  names = {"cat", "dog", "zebra"};
  core::Stats s;
  core::Frame f;
  f.width = f.height = 100;
  f.detections = {{0, core::kNoConfidence, {0, 0, .5f, .5f}},
                  {0, core::kNoConfidence, {.5f, .5f, 1, 1}},
                  {1, core::kNoConfidence, {0, 0, .25f, .25f}}};
  s.add(f);
  core::Frame empty;
  empty.width = empty.height = 100;
  s.add(empty);
  s.reserve_classes(3);
  return s;
}

TEST(StatsReportJson, ShapeAndNumbersOfAHandBuiltExample) {
  std::vector<std::string> names;
  core::Stats s = example(names);
  EXPECT_EQ(
      stats_report_json(s, names),
      R"({"images":2,"objects":3,"classes":[)"
      R"({"name":"cat","images":1,"objects":2,"avg_count_on_image":2,"avg_area_pct":50},)"
      R"({"name":"dog","images":1,"objects":1,"avg_count_on_image":1,"avg_area_pct":6.25},)"
      R"({"name":"zebra","images":0,"objects":0,"avg_count_on_image":null,"avg_area_pct":null}],)"
      R"("cooccurrence":[{"a":"cat","b":"dog","images":1}],)"
      R"("objects_distribution":{"cat":{"0":1,"2":1},"dog":{"0":1,"1":1},"zebra":{"0":2}},)"
      R"("per_image":{"objects":{"0":1,"3":1},"classes":{"0":1,"2":1},)"
      R"("covered_area_pct":{"0-5":1,"50-55":1}}})");
}

TEST(StatsReportJson, ExtraMembersAndScores) {
  std::vector<std::string> names = {"cat"};
  core::Stats s;
  core::Frame f;
  f.detections = {{0, 0.5f, {0, 0, 1, 1}}, {0, 0.25f, {0, 0, 1, 1}}};
  s.add(f);
  // Mean confidence (0.5 + 0.25) / 2 = 0.375, present because detections carry scores.
  std::string json = stats_report_json(s, names, [](JsonWriter& w) { w.key("x").value(1); });
  EXPECT_NE(json.find(R"("mean_confidence":0.375)"), std::string::npos) << json;
  EXPECT_EQ(json.substr(json.size() - 8), R"(},"x":1})");
}

TEST(StatsReportTables, TitlesAndTheOverflowBucket) {
  std::vector<std::string> names;
  core::Stats s = example(names);
  std::string text = render_stats_tables(s, names);
  EXPECT_NE(text.find("2 images, 3 objects, 2 classes"), std::string::npos) << text;
  EXPECT_NE(text.find("Class balance"), std::string::npos);
  EXPECT_NE(text.find("cat    "), std::string::npos);
  // 25 cats on one image land in the ">= 20" bucket, drawn as column "20+".
  core::Stats many;
  core::Frame f;
  for (int i = 0; i < 25; ++i) f.detections.push_back({0, core::kNoConfidence, {0, 0, .1f, .1f}});
  many.add(f);
  std::vector<std::string> cat = {"cat"};
  EXPECT_NE(render_stats_tables(many, cat).find("20+"), std::string::npos);
  EXPECT_NE(stats_report_json(many, cat).find(R"("cat":{"0":0,">=20":1})"), std::string::npos)
      << stats_report_json(many, cat);
}

TEST(JsonWriter, EscapesStringsAndWritesNonFiniteAsNull) {
  JsonWriter w;
  w.begin_object()
      .key("s")
      .value("a\"b\\c\n\x01é")
      .key("n")
      .value(std::nan(""))
      .key("i")
      .value(std::numeric_limits<double>::infinity())
      .key("d")
      .value(0.1)
      .key("a")
      .begin_array()
      .value(int64_t{-3})
      .value(true)
      .null()
      .begin_object()
      .end_object()
      .end_array()
      .end_object();
  EXPECT_EQ(w.str(), R"({"s":"a\"b\\c\n\u0001é","n":null,"i":null,"d":0.1,"a":[-3,true,null,{}]})");
}

}  // namespace
}  // namespace predwatch::daemon
