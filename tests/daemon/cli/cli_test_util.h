// Helpers for the CLI command tests: run `predwatch ...` in-process (the same parse and exit
// path as daemon/predwatch_main.cc) capturing stdout/stderr, and an independent reading of
// datasets into per-class truth (simdjson DOM over the JSON files; no predwatch code).
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "daemon/cli/command.h"

namespace predwatch::daemon::testing {

inline std::string str(simdjson::dom::element e) { return std::string(std::string_view(e)); }

struct CliRun {
  int code = -1;
  std::string out, err;
};

inline CliRun run_cli(std::vector<std::string> args,
                      const std::function<void(CLI::App&)>& extra_commands = {}) {
  CLI::App app{"predwatch"};
  app.require_subcommand(1);
  CommandResult result;
  add_dataset_commands(app, result);
  add_baseline_commands(app, result);
  if (extra_commands) extra_commands(app);
  args.insert(args.begin(), "predwatch");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  CliRun run;
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  try {
    app.parse(int(argv.size()), argv.data());
    run.code = result.exit_code;
  } catch (const CLI::ParseError& e) {
    run.code = app.exit(e);
  }
  std::cout.flush();
  run.out = ::testing::internal::GetCapturedStdout();
  run.err = ::testing::internal::GetCapturedStderr();
  return run;
}

// A dataset read independently: per image its size and pixel boxes with class names.
struct TruthBox {
  std::string cls;
  double x0, y0, x1, y1;  // pixels
  double score = -1;
};
struct TruthImage {
  double w = 0, h = 0;
  std::vector<TruthBox> boxes;
};

// Area of the union of axis-aligned rectangles (coordinate compression, O(n^3)).
inline double union_area(const std::vector<std::array<double, 4>>& r) {
  std::vector<double> xs, ys;
  for (const auto& b : r) {
    xs.insert(xs.end(), {b[0], b[2]});
    ys.insert(ys.end(), {b[1], b[3]});
  }
  std::sort(xs.begin(), xs.end());
  std::sort(ys.begin(), ys.end());
  double area = 0;
  for (size_t i = 0; i + 1 < xs.size(); ++i) {
    for (size_t j = 0; j + 1 < ys.size(); ++j) {
      const double cx = 0.5 * (xs[i] + xs[i + 1]), cy = 0.5 * (ys[j] + ys[j + 1]);
      for (const auto& b : r) {
        if (b[0] <= cx && cx < b[2] && b[1] <= cy && cy < b[3]) {
          area += (xs[i + 1] - xs[i]) * (ys[j + 1] - ys[j]);
          break;
        }
      }
    }
  }
  return area;
}

struct Truth {
  int64_t images = 0, objects = 0;
  std::map<std::string, int64_t> class_images, class_objects;
  std::map<std::string, double> area_pct_sum;  // sum over images of 100 * union / image
  std::map<std::string, double> score_sum;
  std::map<std::pair<std::string, std::string>, int64_t> pairs;        // a < b
  std::map<std::string, std::map<std::string, int64_t>> distribution;  // bucket label -> images

  // Boxes are clipped to the image; boxes without area after clipping are left out, as the
  // importers' contract says.
  static Truth of(const std::vector<TruthImage>& images, int max_bucket = 20) {
    Truth t;
    std::set<std::string> all;
    for (const auto& img : images)
      for (const auto& b : img.boxes) all.insert(b.cls);
    for (const auto& img : images) {
      ++t.images;
      std::map<std::string, std::vector<std::array<double, 4>>> by_class;
      for (const auto& b : img.boxes) {
        std::array<double, 4> c = {std::clamp(b.x0, 0.0, img.w), std::clamp(b.y0, 0.0, img.h),
                                   std::clamp(b.x1, 0.0, img.w), std::clamp(b.y1, 0.0, img.h)};
        if (!(c[2] > c[0] && c[3] > c[1])) continue;
        by_class[b.cls].push_back(c);
        ++t.objects;
        ++t.class_objects[b.cls];
        if (b.score >= 0) t.score_sum[b.cls] += b.score;
      }
      for (const auto& [cls, boxes] : by_class) {
        ++t.class_images[cls];
        t.area_pct_sum[cls] += 100.0 * union_area(boxes) / (img.w * img.h);
        for (const auto& [other, unused] : by_class)
          if (cls < other) ++t.pairs[{cls, other}];
      }
      for (const auto& cls : all) {
        auto it = by_class.find(cls);
        const int n = it == by_class.end() ? 0 : int(it->second.size());
        ++t.distribution[cls]
                        [n < max_bucket ? std::to_string(n) : ">=" + std::to_string(max_bucket)];
      }
    }
    return t;
  }
};

// COCO instances file (and optionally a results list whose boxes replace the annotations):
// images with sizes, categories by id; `index_to_id` maps a results category_id index.
inline std::vector<TruthImage> read_coco(const std::string& instances,
                                         const std::string& results = {},
                                         const std::vector<int64_t>& index_to_id = {}) {
  simdjson::dom::parser gp, rp;
  simdjson::dom::element gt = gp.load(instances);
  std::map<int64_t, std::string> cat;
  for (simdjson::dom::element c : gt["categories"].get_array())
    cat[int64_t(c["id"])] = str(c["name"]);
  std::map<int64_t, TruthImage> images;
  std::vector<int64_t> order;
  for (simdjson::dom::element i : gt["images"].get_array()) {
    TruthImage t;
    t.w = double(i["width"]);
    t.h = double(i["height"]);
    images[int64_t(i["id"])] = t;
    order.push_back(int64_t(i["id"]));
  }
  simdjson::dom::array anns =
      results.empty() ? gt["annotations"].get_array() : rp.load(results).get_array();
  for (simdjson::dom::element a : anns) {
    int64_t cid = int64_t(a["category_id"]);
    if (!index_to_id.empty()) cid = index_to_id.at(size_t(cid));
    simdjson::dom::array bb = a["bbox"].get_array();
    double v[4];
    int k = 0;
    for (simdjson::dom::element x : bb) v[k++] = double(x);
    TruthBox b{cat.at(cid), v[0], v[1], v[0] + v[2], v[1] + v[3]};
    double score;
    if (a["score"].get(score) == simdjson::SUCCESS) b.score = score;
    images.at(int64_t(a["image_id"])).boxes.push_back(b);
  }
  std::vector<TruthImage> out;
  for (int64_t id : order) out.push_back(images[id]);
  return out;
}

// The report JSON's numbers, read back with simdjson.
struct ReportJson {
  int64_t images = 0, objects = 0;
  std::vector<std::string> class_order;
  std::map<std::string, int64_t> class_images, class_objects;
  std::map<std::string, double> avg_count, avg_area, mean_conf;
  std::map<std::pair<std::string, std::string>, int64_t> pairs;
  std::map<std::string, std::map<std::string, int64_t>> distribution;
  std::map<std::string, int64_t> suspicious_by_reason;
  int64_t problems = 0;

  static ReportJson parse(const std::string& text) {
    ReportJson r;
    simdjson::dom::parser p;
    simdjson::padded_string padded(text);
    simdjson::dom::element doc = p.parse(padded);
    r.images = int64_t(doc["images"]);
    r.objects = int64_t(doc["objects"]);
    for (simdjson::dom::element c : doc["classes"].get_array()) {
      std::string name = str(c["name"]);
      r.class_order.push_back(name);
      r.class_images[name] = int64_t(c["images"]);
      r.class_objects[name] = int64_t(c["objects"]);
      r.avg_count[name] = double(c["avg_count_on_image"]);
      r.avg_area[name] = double(c["avg_area_pct"]);
      double conf;
      if (c["mean_confidence"].get(conf) == simdjson::SUCCESS) r.mean_conf[name] = conf;
    }
    for (simdjson::dom::element c : doc["cooccurrence"].get_array()) {
      std::string a = str(c["a"]), b = str(c["b"]);
      EXPECT_LT(a, b);
      EXPECT_EQ(r.pairs.count({a, b}), 0u) << a << " " << b;
      r.pairs[{a, b}] = int64_t(c["images"]);
    }
    for (auto [cls, hist] : doc["objects_distribution"].get_object())
      for (auto [bucket, n] : hist.get_object())
        r.distribution[std::string(cls)][std::string(bucket)] = int64_t(n);
    for (simdjson::dom::element s : doc["suspicious"].get_array())
      ++r.suspicious_by_reason[str(s["reason"])];
    r.problems = int64_t(doc["problems"]["total"]);
    return r;
  }
};

// Checks a report against the truth: every count exactly, averages to float precision.
inline void expect_matches(const ReportJson& r, const Truth& t) {
  EXPECT_EQ(r.images, t.images);
  EXPECT_EQ(r.objects, t.objects);
  EXPECT_EQ(r.class_images, t.class_images);
  EXPECT_EQ(r.class_objects, t.class_objects);
  EXPECT_EQ(r.pairs, t.pairs);
  for (const auto& [cls, n] : t.class_images) {
    EXPECT_NEAR(r.avg_count.at(cls), double(t.class_objects.at(cls)) / n, 1e-12) << cls;
    // Boxes are normalised to float in predwatch: relative error ~1e-7 per coordinate.
    EXPECT_NEAR(r.avg_area.at(cls), t.area_pct_sum.at(cls) / n, 1e-3) << cls;
  }
  // The distribution: bucket "0" always, others only when non-zero.
  for (const auto& [cls, hist] : t.distribution) {
    std::map<std::string, int64_t> want;
    for (const auto& [k, v] : hist)
      if (v > 0 || k == "0") want[k] = v;
    if (!want.count("0")) want["0"] = 0;
    EXPECT_EQ(r.distribution.at(cls), want) << cls;
  }
  // Sorted by images, descending.
  for (size_t i = 1; i < r.class_order.size(); ++i)
    EXPECT_GE(r.class_images.at(r.class_order[i - 1]), r.class_images.at(r.class_order[i]));
}

}  // namespace predwatch::daemon::testing
