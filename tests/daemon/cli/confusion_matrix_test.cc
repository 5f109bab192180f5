// The confusion matrix of `dataset report PRED --format coco-results --ground-truth GT --html`:
// a hand-made case whose every cell is known by construction, and YOLOv5s on coco128 against
// a matching written here from scratch over the JSON files (pixels, simdjson DOM).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "tests/daemon/cli/cli_test_util.h"
#include "tests/daemon/dataset/import_test_util.h"

namespace predwatch::daemon::testing {
namespace {

namespace fs = std::filesystem;

using Cells = std::map<std::pair<std::string, std::string>, int64_t>;  // "" = none
using CellImages = std::map<std::pair<std::string, std::string>, std::set<std::string>>;

struct Report {
  std::string html;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
};

class ConfusionReport : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("predwatch-confusion-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }

  // Runs the report and parses the page's JSON into `r`.
  void report(std::vector<std::string> args, Report& r) {
    const std::string out = (dir_ / "r.html").string();
    args.insert(args.begin(), {"dataset", "report"});
    args.insert(args.end(), {"--html", out});
    CliRun run = run_cli(args);
    ASSERT_EQ(run.code, 0) << run.err;
    std::ifstream in(out);
    std::stringstream s;
    s << in.rdbuf();
    r.html = s.str();
    const std::string open = "<script type=\"application/json\" id=\"report-data\">";
    const size_t b = r.html.find(open);
    ASSERT_NE(b, std::string::npos);
    const size_t e = r.html.find("</script>", b);
    ASSERT_EQ(r.parser.parse(r.html.substr(b + open.size(), e - b - open.size())).get(r.doc),
              simdjson::SUCCESS);
  }

  static void cells_of(simdjson::dom::element doc, Cells& cells, CellImages& images) {
    for (simdjson::dom::element c : doc["confusion"]["cells"].get_array()) {
      std::string t = c["truth"].is_null() ? "" : str(c["truth"]);
      std::string p = c["predicted"].is_null() ? "" : str(c["predicted"]);
      cells[{t, p}] = int64_t(c["boxes"]);
      for (simdjson::dom::element i : c["images"].get_array()) images[{t, p}].insert(str(i));
    }
  }

  fs::path dir_;
};

const char kTruth[] = R"({
  "images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 100},
             {"id": 2, "file_name": "b.jpg", "width": 100, "height": 100}],
  "categories": [{"id": 1, "name": "dog"}, {"id": 2, "name": "cat"}, {"id": 3, "name": "person"}],
  "annotations": [
    {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 10, 30, 30]},
    {"id": 2, "image_id": 1, "category_id": 3, "bbox": [50, 50, 40, 40]},
    {"id": 3, "image_id": 2, "category_id": 2, "bbox": [0, 0, 50, 50]},
    {"id": 4, "image_id": 2, "category_id": 2, "bbox": [60, 60, 20, 20]}]})";

// a.jpg: the dog found; the person box far off (spurious person, missed person); a person on
// the person at score 0.3. b.jpg: a cat predicted as dog (and a person on it with a higher
// score but IoU 0.64, which loses to the larger IoU and is spurious); the second cat missed.
const char kPredictions[] = R"([
  {"image_id": 1, "category_id": 1, "bbox": [11, 11, 30, 30], "score": 0.9},
  {"image_id": 1, "category_id": 3, "bbox": [0, 60, 10, 10], "score": 0.8},
  {"image_id": 1, "category_id": 3, "bbox": [50, 50, 40, 40], "score": 0.3},
  {"image_id": 2, "category_id": 1, "bbox": [0, 0, 50, 50], "score": 0.6},
  {"image_id": 2, "category_id": 3, "bbox": [0, 0, 40, 40], "score": 0.95}])";

// Issue 15: the same matrix in `--json` (no page needed) and, on the terminal, precision and
// recall per class with the class each is most confused with — the hand-made case again:
// dog 1 truth / 2 predicted / 1 tp (precision 0.500, recall 1.000); cat 2 / 0 / 0, its
// largest off-diagonal cell a tie of 1 (dog, missed) won by the first column, dog; person
// 1 / 2 / 0, missed once; all: 4 truth, 4 predicted, 1 tp.
TEST_F(ConfusionReport, JsonAndTerminalCarryTheMatrixToo) {
  const std::string gt = write("gt.json", kTruth), pred = write("pred.json", kPredictions);
  CliRun json = run_cli(
      {"dataset", "report", pred, "--format", "coco-results", "--ground-truth", gt, "--json"});
  ASSERT_EQ(json.code, 0) << json.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json.out).get(doc), simdjson::SUCCESS);
  Cells cells;
  CellImages images;
  cells_of(doc, cells, images);
  EXPECT_EQ(cells, (Cells{{{"dog", "dog"}, 1},
                          {{"person", ""}, 1},
                          {{"", "person"}, 2},
                          {{"cat", "dog"}, 1},
                          {{"cat", ""}, 1}}));
  CliRun text =
      run_cli({"dataset", "report", pred, "--format", "coco-results", "--ground-truth", gt});
  ASSERT_EQ(text.code, 0) << text.err;
  const size_t section = text.out.find("Predictions against the ground truth");
  ASSERT_NE(section, std::string::npos) << text.out;
  auto row = [&](const std::string& cls) {
    const size_t at = text.out.find("\n" + cls + " ", section);
    return at == std::string::npos ? std::string()
                                   : text.out.substr(at + 1, text.out.find('\n', at + 1) - at - 1);
  };
  auto words = [](const std::string& line) {
    std::vector<std::string> w;
    std::istringstream in(line);
    for (std::string x; in >> x;) w.push_back(x);
    return w;
  };
  EXPECT_EQ(words(row("dog")),
            (std::vector<std::string>{"dog", "1", "2", "1", "0.500", "1.000", "-"}));
  EXPECT_EQ(words(row("cat")),
            (std::vector<std::string>{"cat", "2", "0", "0", "-", "0.000", "dog", "(1)"}));
  EXPECT_EQ(words(row("person")),
            (std::vector<std::string>{"person", "1", "2", "0", "0.000", "0.000", "missed", "(1)"}));
  EXPECT_EQ(words(row("(all)")),
            (std::vector<std::string>{"(all)", "4", "4", "1", "0.250", "0.250", "-"}));
}

TEST_F(ConfusionReport, HandMadeCellsAsConstructed) {
  const std::string gt = write("gt.json", kTruth), pred = write("pred.json", kPredictions);
  Report r;
  report({pred, "--format", "coco-results", "--ground-truth", gt}, r);
  Cells cells;
  CellImages images;
  cells_of(r.doc, cells, images);
  EXPECT_EQ(cells, (Cells{{{"dog", "dog"}, 1},
                          {{"person", ""}, 1},
                          {{"", "person"}, 2},
                          {{"cat", "dog"}, 1},
                          {{"cat", ""}, 1}}));
  EXPECT_EQ(images[std::make_pair("cat", "dog")], std::set<std::string>{"b.jpg"});
  EXPECT_EQ(images[std::make_pair("person", "")], std::set<std::string>{"a.jpg"});
  std::map<std::string, std::tuple<int64_t, int64_t, int64_t>> per_class;
  std::map<std::string, double> precision, recall;
  for (simdjson::dom::element c : r.doc["confusion"]["per_class"].get_array()) {
    per_class[str(c["name"])] = {int64_t(c["truth"]), int64_t(c["predicted"]), int64_t(c["tp"])};
    precision[str(c["name"])] = c["precision"].is_null() ? -1 : double(c["precision"]);
    recall[str(c["name"])] = double(c["recall"]);
  }
  EXPECT_EQ(per_class["dog"], std::make_tuple(1, 2, 1));
  EXPECT_EQ(per_class["cat"], std::make_tuple(2, 0, 0));
  EXPECT_EQ(per_class["person"], std::make_tuple(1, 2, 0));
  EXPECT_DOUBLE_EQ(precision["dog"], 0.5);
  EXPECT_EQ(images[std::make_pair("", "person")], (std::set<std::string>{"a.jpg", "b.jpg"}));
  EXPECT_DOUBLE_EQ(recall["dog"], 1.0);
  EXPECT_EQ(precision["cat"], -1);  // no prediction: null
  EXPECT_EQ(recall["cat"], 0);
  EXPECT_EQ(double(r.doc["confusion"]["min_score"]), 0.5);

  // With --min-score 0.2 the person at 0.3 counts and finds the person.
  Report low;
  report({pred, "--format", "coco-results", "--ground-truth", gt, "--min-score", "0.2"}, low);
  Cells low_cells;
  CellImages unused;
  cells_of(low.doc, low_cells, unused);
  EXPECT_EQ(low_cells[std::make_pair("person", "person")], 1);
  EXPECT_EQ(low_cells.count({"person", ""}), 0u);
  EXPECT_EQ(low_cells[std::make_pair("", "person")], 2);
}

// Boxes in pixels, clipped to the image, without area left out (the importers' rule).
struct PxBox {
  std::string cls;
  double x0, y0, x1, y1, score;
};

double iou(const PxBox& a, const PxBox& b) {
  const double iw = std::min(a.x1, b.x1) - std::max(a.x0, b.x0);
  const double ih = std::min(a.y1, b.y1) - std::max(a.y0, b.y0);
  if (iw <= 0 || ih <= 0) return 0;
  const double inter = iw * ih;
  return inter / ((a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter);
}

TEST_F(ConfusionReport, Yolov5sOnCoco128MatchesAnIndependentMatching) {
  const std::string gt = (kData / "coco128/instances_train2017.json").string();
  const std::string pred = (kData / "coco128/yolov5s_predictions.json").string();
  Report r;
  report({pred, "--format", "coco-results", "--ground-truth", gt, "--coco80"}, r);

  // The recount: COCO-80 index -> category id typed in from tests/data/README.md.
  const std::vector<int64_t> coco80 = {
      1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21,
      22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44,
      46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65,
      67, 70, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90};
  simdjson::dom::parser gp, rp;
  simdjson::dom::element g = gp.load(gt);
  std::map<int64_t, std::string> cat;
  for (simdjson::dom::element c : g["categories"].get_array())
    cat[int64_t(c["id"])] = str(c["name"]);
  struct Img {
    std::string name;
    double w, h;
    std::vector<PxBox> truth, pred;
  };
  std::map<int64_t, Img> imgs;
  for (simdjson::dom::element i : g["images"].get_array())
    imgs[int64_t(i["id"])] =
        Img{str(i["file_name"]), double(i["width"]), double(i["height"]), {}, {}};
  auto box = [&](simdjson::dom::element a, const Img& img, const std::string& cls, double score,
                 std::vector<PxBox>& out) {
    double v[4];
    int k = 0;
    for (simdjson::dom::element x : a["bbox"].get_array()) v[k++] = double(x);
    PxBox b{cls,
            std::max(v[0], 0.0),
            std::max(v[1], 0.0),
            std::min(v[0] + v[2], img.w),
            std::min(v[1] + v[3], img.h),
            score};
    if (b.x1 > b.x0 && b.y1 > b.y0) out.push_back(b);
  };
  for (simdjson::dom::element a : g["annotations"].get_array()) {
    Img& img = imgs.at(int64_t(a["image_id"]));
    box(a, img, cat.at(int64_t(a["category_id"])), 1, img.truth);
  }
  for (simdjson::dom::element a : rp.load(pred).get_array()) {
    Img& img = imgs.at(int64_t(a["image_id"]));
    const double score = double(a["score"]);
    if (score < 0.5) continue;
    box(a, img, cat.at(coco80.at(size_t(int64_t(a["category_id"])))), score, img.pred);
  }
  Cells want;
  CellImages want_images;
  for (const auto& [id, img] : imgs) {
    std::vector<std::tuple<double, double, size_t, size_t>> cand;  // -iou, -score, t, p
    for (size_t t = 0; t < img.truth.size(); ++t)
      for (size_t p = 0; p < img.pred.size(); ++p)
        if (double v = iou(img.truth[t], img.pred[p]); v >= 0.5)
          cand.emplace_back(-v, -img.pred[p].score, t, p);
    std::sort(cand.begin(), cand.end());
    std::vector<bool> tu(img.truth.size()), pu(img.pred.size());
    auto add = [&](const std::string& t, const std::string& p) {
      ++want[{t, p}];
      want_images[{t, p}].insert(img.name);
    };
    for (const auto& [v, s, t, p] : cand) {
      if (tu[t] || pu[p]) continue;
      tu[t] = pu[p] = true;
      add(img.truth[t].cls, img.pred[p].cls);
    }
    for (size_t t = 0; t < img.truth.size(); ++t)
      if (!tu[t]) add(img.truth[t].cls, "");
    for (size_t p = 0; p < img.pred.size(); ++p)
      if (!pu[p]) add("", img.pred[p].cls);
  }
  Cells got;
  CellImages got_images;
  cells_of(r.doc, got, got_images);
  EXPECT_GT(want[std::make_pair("person", "person")], 100);
  EXPECT_EQ(got, want);
  EXPECT_EQ(got_images, want_images);
}

}  // namespace
}  // namespace predwatch::daemon::testing
