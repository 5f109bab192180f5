#include "daemon/convert/stats_convert.h"

#include <gtest/gtest.h>

#include <random>

namespace predwatch::daemon {
namespace {

core::Stats random_stats(uint32_t classes, int frames, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  core::Stats s;
  core::Frame f;
  for (int i = 0; i < frames; ++i) {
    f.clear();
    f.frame_id = "f" + std::to_string(i);
    f.width = 640;
    f.height = 480;
    const int n = int(rng() % 6);
    for (int k = 0; k < n; ++k) {
      float x0 = u(rng), x1 = u(rng), y0 = u(rng), y1 = u(rng);
      core::Detection d;
      d.class_id = core::ClassId(rng() % classes);
      d.confidence = (rng() % 3) ? u(rng) : core::kNoConfidence;
      d.box = {std::min(x0, x1), std::min(y0, y1), std::max(x0, x1), std::max(y0, y1)};
      f.detections.push_back(d);
    }
    s.add(f);
  }
  return s;
}

std::vector<std::string> names(uint32_t n) {
  std::vector<std::string> v;
  for (uint32_t i = 0; i < n; ++i) v.push_back("class" + std::to_string(100 - i));
  return v;
}

TEST(StatsConvert, ExactRoundTripThroughBytes) {
  core::Stats s = random_stats(7, 500, 1);
  v1::Stats p;
  stats_to_proto(s, names(s.num_classes()), {}, &p);
  v1::Stats parsed;
  ASSERT_TRUE(parsed.ParseFromString(p.SerializeAsString()));
  core::StatsData back;
  std::vector<std::string> back_names;
  ASSERT_EQ(stats_from_proto(parsed, &back, &back_names), "");
  EXPECT_TRUE(back == s.data());
  EXPECT_EQ(back_names, names(s.num_classes()));
}

TEST(StatsConvert, ReadableViewMatchesAccessors) {
  core::Stats s = random_stats(5, 300, 2);
  const auto n = names(s.num_classes());
  v1::Stats p;
  StatsSections sec;
  sec.top_pairs = 3;
  stats_to_proto(s, n, sec, &p);
  ASSERT_EQ(p.classes_size(), int(s.num_classes()));
  for (int i = 1; i < p.classes_size(); ++i)
    EXPECT_GE(p.classes(i - 1).images(), p.classes(i).images());  // sorted by images
  for (const auto& cs : p.classes()) {
    const core::ClassId c = core::ClassId(std::find(n.begin(), n.end(), cs.name()) - n.begin());
    EXPECT_EQ(cs.images(), s.images_with(c));
    EXPECT_EQ(cs.objects(), s.objects_of(c));
    EXPECT_DOUBLE_EQ(cs.share(), double(s.objects_of(c)) / double(s.objects()));
    EXPECT_EQ(cs.objects_distribution_size(), int(s.layout().objects_buckets()));
    EXPECT_EQ(cs.heatmap_size(), int(s.layout().heatmap_cells()));
  }
  ASSERT_EQ(p.pairs_size(), 3);
  for (const auto& pc : p.pairs()) EXPECT_LT(pc.a(), pc.b());
  EXPECT_GE(p.pairs(0).images(), p.pairs(1).images());
}

TEST(StatsConvert, RejectsTablesThatDoNotFitTheLayout) {
  core::Stats s = random_stats(4, 50, 3);
  v1::Stats p;
  stats_to_proto(s, names(s.num_classes()), {}, &p);
  core::StatsData out;
  std::vector<std::string> out_names;

  v1::Stats wrong_names = p;
  wrong_names.add_class_names("extra");
  EXPECT_NE(stats_from_proto(wrong_names, &out, &out_names).find("class names"), std::string::npos);

  v1::Stats short_heatmap = p;
  short_heatmap.mutable_tables()->mutable_heatmap()->RemoveLast();
  EXPECT_NE(stats_from_proto(short_heatmap, &out, &out_names), "");

  v1::Stats no_tables = p;
  no_tables.clear_tables();
  EXPECT_NE(stats_from_proto(no_tables, &out, &out_names).find("tables"), std::string::npos);
}

}  // namespace
}  // namespace predwatch::daemon
