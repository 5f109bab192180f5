// `predwatch dataset report PATH --format coco --html OUT.html` on real data: the JSON inlined
// in the page is checked against a recount made here from the annotation file (simdjson DOM,
// no predwatch code): every image's per-class counts, images per class and per pair. The page
// must be self-contained (no http(s) reference, no external script or stylesheet) and an
// unwritable OUT must fail naming the path.
#include "daemon/cli/html_report.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "tests/daemon/cli/cli_test_util.h"
#include "tests/daemon/dataset/import_test_util.h"

namespace predwatch::daemon::testing {
namespace {

namespace fs = std::filesystem;

// Per image (by file name): objects per class, boxes clipped to the image and left out when
// nothing is left (the importers' rule for degenerate boxes).
std::map<std::string, std::map<std::string, int64_t>> recount(const std::string& file) {
  simdjson::dom::parser p;
  simdjson::dom::element gt = p.load(file);
  std::map<int64_t, std::string> cat;
  for (simdjson::dom::element c : gt["categories"].get_array())
    cat[int64_t(c["id"])] = str(c["name"]);
  struct Img {
    std::string name;
    double w, h;
  };
  std::map<int64_t, Img> imgs;
  std::map<std::string, std::map<std::string, int64_t>> out;
  for (simdjson::dom::element i : gt["images"].get_array()) {
    imgs[int64_t(i["id"])] = Img{str(i["file_name"]), double(i["width"]), double(i["height"])};
    out[str(i["file_name"])];
  }
  for (simdjson::dom::element a : gt["annotations"].get_array()) {
    const Img& img = imgs.at(int64_t(a["image_id"]));
    double v[4];
    int k = 0;
    for (simdjson::dom::element x : a["bbox"].get_array()) v[k++] = double(x);
    const double w = std::min(v[0] + v[2], img.w) - std::max(v[0], 0.0);
    const double h = std::min(v[1] + v[3], img.h) - std::max(v[1], 0.0);
    if (!(w > 0 && h > 0)) continue;
    ++out[img.name][cat.at(int64_t(a["category_id"]))];
  }
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The text of <script type="application/json" id="report-data">...</script>.
std::string data_block(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"report-data\">";
  size_t b = html.find(open);
  if (b == std::string::npos) return {};
  b += open.size();
  size_t e = html.find("</script>", b);
  return e == std::string::npos ? std::string() : html.substr(b, e - b);
}

class HtmlReport : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("predwatch-html-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs the report on a COCO file and checks the page against the recount.
  void check_dataset(const std::string& file, const std::vector<std::string>& classes,
                     const std::vector<std::pair<std::string, std::string>>& pairs) {
    const fs::path out = dir_ / "report.html";
    CliRun run = run_cli({"dataset", "report", file, "--format", "coco", "--html", out.string()});
    ASSERT_EQ(run.code, 0) << run.err;
    EXPECT_TRUE(run.out.empty()) << run.out;  // no tables when only --html is asked for
    const std::string html = read_file(out);
    ASSERT_FALSE(html.empty());

    // Self-contained: nothing refers to the network, no external script or stylesheet.
    EXPECT_EQ(html.find("http://"), std::string::npos);
    EXPECT_EQ(html.find("https://"), std::string::npos);
    EXPECT_FALSE(std::regex_search(html, std::regex("<script[^>]*\\ssrc=", std::regex::icase)));
    EXPECT_FALSE(std::regex_search(html, std::regex("<link[^>]*stylesheet", std::regex::icase)));
    EXPECT_NE(html.find("Content-Security-Policy"), std::string::npos);
    EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
    // The renderer is inlined: two inline scripts (data, code) and a <style>.
    EXPECT_NE(html.find("window.predwatchReport"), std::string::npos);
    EXPECT_NE(html.find("<style>"), std::string::npos);

    const std::string json = data_block(html);
    ASSERT_FALSE(json.empty());
    simdjson::dom::parser p;
    simdjson::dom::element r;
    ASSERT_EQ(p.parse(json).get(r), simdjson::SUCCESS) << json.substr(0, 200);

    const auto truth = recount(file);
    std::map<std::string, int64_t> class_images;
    std::map<std::pair<std::string, std::string>, int64_t> pair_images;
    int64_t objects = 0;
    for (const auto& [name, counts] : truth) {
      for (const auto& [c, n] : counts) {
        ++class_images[c];
        objects += n;
        for (const auto& [d, m] : counts)
          if (c < d) ++pair_images[{c, d}];
      }
    }
    EXPECT_EQ(int64_t(r["images"]), int64_t(truth.size()));
    EXPECT_EQ(int64_t(r["objects"]), objects);

    // Every image, with exactly its per-class counts.
    std::set<std::string> seen;
    simdjson::dom::array list = r["image_list"].get_array();
    EXPECT_EQ(list.size(), truth.size());
    for (simdjson::dom::element img : list) {
      const std::string name = str(img["name"]);
      ASSERT_TRUE(truth.count(name)) << name;
      seen.insert(name);
      std::map<std::string, int64_t> counts;
      int64_t total = 0;
      for (auto [k, v] : img["counts"].get_object()) {
        counts[std::string(k)] = int64_t(v);
        total += int64_t(v);
      }
      EXPECT_EQ(counts, truth.at(name)) << name;
      EXPECT_EQ(int64_t(img["objects"]), total) << name;
      EXPECT_EQ(int64_t(img["classes"]), int64_t(counts.size())) << name;
      EXPECT_EQ(img["boxes"].get_array().size(), size_t(total)) << name;
      const double covered = double(img["covered_pct"]);
      EXPECT_GE(covered, 0);
      EXPECT_LE(covered, 100.0001);
      if (total == 0) {
        EXPECT_EQ(covered, 0);
      }
    }
    EXPECT_EQ(seen.size(), truth.size());

    // Images per class and per pair, as the matrix shows them.
    std::map<std::string, int64_t> r_class;
    for (simdjson::dom::element c : r["classes"].get_array())
      r_class[str(c["name"])] = int64_t(c["images"]);
    std::map<std::pair<std::string, std::string>, int64_t> r_pairs;
    for (simdjson::dom::element q : r["cooccurrence"].get_array())
      r_pairs[{str(q["a"]), str(q["b"])}] = int64_t(q["images"]);
    for (const std::string& c : classes) {
      ASSERT_GT(class_images[c], 0) << c;
      EXPECT_EQ(r_class[c], class_images[c]) << c;
    }
    for (const auto& pr : pairs) {
      ASSERT_GT(pair_images[pr], 0) << pr.first << "+" << pr.second;
      EXPECT_EQ(r_pairs[pr], pair_images[pr]) << pr.first << "+" << pr.second;
    }
    EXPECT_EQ(r_pairs, pair_images);  // and every other pair
    // Each class with boxes has its 16x16 heatmap summing to its objects.
    for (simdjson::dom::element c : r["classes"].get_array()) {
      const std::string name = str(c["name"]);
      if (int64_t(c["objects"]) == 0) continue;
      int64_t sum = 0;
      size_t cells = 0;
      for (simdjson::dom::element v : r["class_tables"][name]["heatmap"].get_array()) {
        sum += int64_t(v);
        ++cells;
      }
      EXPECT_EQ(cells, 256u) << name;
      EXPECT_EQ(sum, int64_t(c["objects"])) << name;
    }
  }

  fs::path dir_;
};

TEST_F(HtmlReport, Coco128PageMatchesAnIndependentRecount) {
  check_dataset((kData / "coco128/instances_train2017.json").string(), {"person", "dog", "car"},
                {{"car", "person"}, {"dog", "person"}, {"bus", "person"}});
}

TEST_F(HtmlReport, CocoVal2014SamplePageMatchesAnIndependentRecount) {
  check_dataset((kData / "coco_val2014_100/instances_val2014_100.json").string(),
                {"person", "car", "chair"}, {{"car", "person"}, {"chair", "person"}});
}

TEST_F(HtmlReport, JsonAndHtmlTogether) {
  const fs::path out = dir_ / "r.html";
  const std::string file = (kData / "coco_val2014_100/instances_val2014_100.json").string();
  CliRun run =
      run_cli({"dataset", "report", file, "--format", "coco", "--json", "--html", out.string()});
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.out.front(), '{');
  EXPECT_TRUE(fs::exists(out));
}

TEST_F(HtmlReport, UnwritableOutputFailsNamingThePath) {
  const std::string file = (kData / "coco_val2014_100/instances_val2014_100.json").string();
  const std::string out = (dir_ / "no-such-dir" / "r.html").string();
  CliRun run = run_cli({"dataset", "report", file, "--format", "coco", "--html", out});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("predwatch: error: --html: cannot write " + out), std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("No such file or directory"), std::string::npos) << run.err;
  EXPECT_TRUE(run.out.empty());
  EXPECT_FALSE(fs::exists(out));

  // A directory as OUT.
  run = run_cli({"dataset", "report", file, "--format", "coco", "--html", dir_.string()});
  EXPECT_EQ(run.code, 1);
  EXPECT_NE(run.err.find("cannot write " + dir_.string()), std::string::npos) << run.err;
}

TEST_F(HtmlReport, FailedImportLeavesNoFile) {
  const fs::path out = dir_ / "r.html";
  CliRun run = run_cli({"dataset", "report", (dir_ / "missing.json").string(), "--format", "coco",
                        "--html", out.string()});
  EXPECT_EQ(run.code, 1);
  EXPECT_FALSE(fs::exists(out));
}

// Names are data: an image or class named "</script>..." cannot end the data block or inject
// markup, and the title is escaped.
TEST(HtmlReportPage, NamesCannotCloseTheDataBlock) {
  const std::string json = R"({"name":"a</script><script>alert(1)</script><!--"})";
  const std::string html = render_html_report("t</title><b>", json);
  EXPECT_EQ(html.find("<script>alert(1)"), std::string::npos);
  EXPECT_EQ(html.find("</title><b>"), std::string::npos);
  EXPECT_NE(html.find("t&lt;/title&gt;&lt;b&gt;"), std::string::npos);
  const std::string data = data_block(html);
  simdjson::dom::parser p;
  simdjson::dom::element r;
  ASSERT_EQ(p.parse(data).get(r), simdjson::SUCCESS) << data;
  EXPECT_EQ(str(r["name"]), "a</script><script>alert(1)</script><!--");
}

TEST_F(HtmlReport, HelpNamesTheFlag) {
  CliRun run = run_cli({"dataset", "report", "--help"});
  EXPECT_NE(run.out.find("--html"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("self-contained HTML"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace predwatch::daemon::testing
