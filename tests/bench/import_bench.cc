// Dataset import throughput and memory. Builds a COCO instances file of 100,000 images by
// replicating the real COCO val2017 boxes (5,000 images, 36,781 annotations) 20 times with
// fresh image and annotation ids, writes it to a temp folder, then imports it:
//   BM_CocoImport/<budget MB>  -> annotations/s (items_per_second), file MB/s, peak RSS
// Peak RSS is measured in a fresh process (this binary re-executed with --rss-probe, which
// only imports the file; its ru_maxrss comes from wait4), next to the same process doing
// nothing (--rss-probe with no file), so it measures the import, not the file generation. Run:
//   cmake -S . -B build -DPREDWATCH_BUILD_BENCHMARKS=ON && cmake --build build --target
//   import_bench
//   ./build/tests/bench/import_bench
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <simdjson.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "daemon/dataset/dataset_importer.h"

namespace {
namespace fs = std::filesystem;
using predwatch::daemon::ImportOptions;

constexpr int kCopies = 20;

struct BenchFile {
  fs::path path;
  uint64_t images = 0, annotations = 0, bytes = 0;

  BenchFile() {
    path = fs::temp_directory_path() / fmt::format("predwatch_import_bench_{}.json", ::getpid());
    simdjson::dom::parser parser;
    simdjson::dom::element src =
        parser.load(fs::path(PREDWATCH_TEST_DATA) / "coco_val2017/instances_val2017_boxes.json");
    std::FILE* f = std::fopen(path.c_str(), "wb");
    std::string buf;
    auto flush = [&] {
      std::fwrite(buf.data(), 1, buf.size(), f);
      buf.clear();
    };
    buf +=
        "{\"info\": {\"description\": \"predwatch import benchmark: COCO val2017 x20\"}, "
        "\"images\": [";
    int64_t id_stride = 1000000;  // val2017 image ids are < 600000
    bool first = true;
    for (int c = 0; c < kCopies; ++c) {
      for (auto img : src["images"].get_array()) {
        buf += fmt::format(
            "{}{{\"id\": {}, \"width\": {}, \"height\": {}, \"file_name\": \"c{}_{}\"}}",
            first ? "" : ", ", int64_t(img["id"]) + c * id_stride, int64_t(img["width"]),
            int64_t(img["height"]), c, std::string_view(img["file_name"]));
        first = false;
        ++images;
      }
      flush();
    }
    buf += "], \"categories\": ";
    buf += simdjson::minify(src["categories"]);
    buf += ", \"annotations\": [";
    first = true;
    int64_t ann_id = 1;
    for (int c = 0; c < kCopies; ++c) {
      for (auto a : src["annotations"].get_array()) {
        simdjson::dom::array bb = a["bbox"].get_array();
        buf += fmt::format(
            "{}{{\"id\": {}, \"image_id\": {}, \"category_id\": {}, \"bbox\": [{}, {}, {}, {}], "
            "\"area\": {}, "
            "\"iscrowd\": 0}}",
            first ? "" : ", ", ann_id++, int64_t(a["image_id"]) + c * id_stride,
            int64_t(a["category_id"]), double(bb.at(0)), double(bb.at(1)), double(bb.at(2)),
            double(bb.at(3)), double(a["area"]));
        first = false;
        ++annotations;
        if (buf.size() > (1 << 20)) flush();
      }
    }
    buf += "]}\n";
    flush();
    std::fclose(f);
    bytes = fs::file_size(path);
  }
  ~BenchFile() { fs::remove(path); }
};

BenchFile& bench_file() {
  static BenchFile file;
  return file;
}

// Peak RSS (MB) of this binary re-executed as "--rss-probe [<file> <budget MB>]": the probe
// prints its own VmHWM (per address space, so the fork before exec does not count).
double probe_peak_rss_mb(const fs::path& file, int64_t budget_mb) {
  std::string cmd = fs::read_symlink("/proc/self/exe").string() + " --rss-probe";
  if (!file.empty()) cmd += fmt::format(" '{}' {}", file.string(), budget_mb);
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return -1;
  double mb = -1;
  if (std::fscanf(p, "%lf", &mb) != 1) mb = -1;
  return ::pclose(p) == 0 ? mb : -1;
}

double own_peak_rss_mb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

uint64_t import_once(const fs::path& file, size_t budget_bytes, std::string* error) {
  auto importer = predwatch::daemon::make_importer("coco");
  ImportOptions options;
  options.annotation_buffer_bytes = budget_bytes;
  uint64_t objects = 0;
  auto result = importer->import(file, options, [&](const predwatch::core::Event& e) {
    objects += e.detections.size();
    benchmark::DoNotOptimize(e.detections.data());
  });
  if (!result.ok() && error) *error = result.error;
  return objects;
}

void BM_CocoImport(benchmark::State& state) {
  BenchFile& file = bench_file();
  size_t budget = static_cast<size_t>(state.range(0)) << 20;
  uint64_t delivered = 0;
  for (auto _ : state) {
    std::string error;
    delivered = import_once(file.path, budget, &error);
    if (!error.empty()) state.SkipWithError(error.c_str());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * file.annotations));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * file.bytes));
  state.counters["images"] = static_cast<double>(file.images);
  state.counters["annotations"] = static_cast<double>(file.annotations);
  state.counters["delivered"] = static_cast<double>(delivered);
  state.counters["file_MB"] = static_cast<double>(file.bytes) / (1 << 20);
  state.counters["peak_rss_MB"] = probe_peak_rss_mb(file.path, state.range(0));
  state.counters["idle_rss_MB"] = probe_peak_rss_mb({}, 0);
}
// 256 MB: the default budget (one annotation pass). 4 MB: forces ~6 passes over the file.
BENCHMARK(BM_CocoImport)->Arg(256)->Arg(4)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "--rss-probe") {
    std::string error;
    if (argc >= 4) import_once(argv[2], static_cast<size_t>(std::stoll(argv[3])) << 20, &error);
    std::printf("%.2f\n", own_peak_rss_mb());  // without a file: the binary's own footprint
    return error.empty() ? 0 : 1;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
