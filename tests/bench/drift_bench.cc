// One evaluate_drift pass (core/drift_evaluator.h): every measure of docs/DRIFT.md, the
// family correction, the findings. Budget: <= 50 ms per evaluation at C = 1000 classes.
//
//   C = 80:   baseline = COCO val2017 ground truth (5,000 images), window = 3,000 frames
//             resampled from it by core::ScenarioGenerator.
//   C = 1000: synthetic Zipf-like classes (rank r drawn with weight 1 / (r + 5)), 1-5
//             classes per frame, 1-4 boxes per class (geometric), random box positions and
//             sizes, scores; baseline 100,000 frames, window 50,000 frames (different seeds).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "core/class_registry.h"
#include "core/drift_evaluator.h"
#include "core/scenario.h"
#include "daemon/dataset/dataset_importer.h"

namespace predwatch::core {
namespace {

const ThresholdResolver& resolver() {
  static const DriftThresholds th;
  static const ThresholdResolver r = [](std::string_view) -> const DriftThresholds& { return th; };
  return r;
}

struct Setup {
  BaselineStats baseline;
  Stats window;
  std::vector<std::string> names;
};

void fill_synthetic(Stats& s, uint32_t classes, int frames, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> w(classes);
  for (uint32_t r = 0; r < classes; ++r) w[r] = 1.0 / (r + 5.0);
  std::discrete_distribution<uint32_t> cls(w.begin(), w.end());
  std::uniform_int_distribution<int> ncls(1, 5);
  std::geometric_distribution<int> extra(0.6);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  Frame f;
  for (int i = 0; i < frames; ++i) {
    f.clear();
    const int k = ncls(rng);
    for (int j = 0; j < k; ++j) {
      const ClassId c = cls(rng);
      const int boxes = 1 + std::min(3, extra(rng));
      for (int b = 0; b < boxes; ++b) {
        const float x = u(rng) * 0.8f, y = u(rng) * 0.8f, sz = 0.01f + u(rng) * 0.19f;
        f.detections.push_back({c, 0.25f + 0.75f * u(rng), Box{x, y, x + sz, y + sz}, -1});
      }
    }
    s.add(f);
  }
}

const Setup& synthetic1000() {
  static const Setup* s = [] {
    auto* out = new Setup;
    constexpr uint32_t kClasses = 1000;
    for (uint32_t i = 0; i < kClasses; ++i) out->names.push_back("class_" + std::to_string(i));
    out->baseline.class_names = out->names;
    out->baseline.kind = BaselineKind::kProductionWindow;
    out->baseline.stats.reserve_classes(kClasses);
    out->window.reserve_classes(kClasses);
    fill_synthetic(out->baseline.stats, kClasses, 100'000, 1);
    fill_synthetic(out->window, kClasses, 50'000, 2);
    return out;
  }();
  return *s;
}

const Setup& coco80() {
  static const Setup* s = [] {
    auto* out = new Setup;
    static std::vector<PoolFrame> pool;
    ClassRegistry registry(1000);
    Frame frame;
    daemon::make_importer("coco")->import(
        std::string(PREDWATCH_TEST_DATA) + "/coco_val2017/instances_val2017_boxes.json", {},
        [&](const Event& e) {
          PoolFrame p;
          frame.clear();
          for (const NamedDetection& d : e.detections) {
            p.detections.push_back({std::string(d.class_name), d.confidence, d.box});
            frame.detections.push_back({registry.resolve(d.class_name), d.confidence, d.box, -1});
          }
          out->baseline.stats.add(frame);
          pool.push_back(std::move(p));
        });
    out->baseline.class_names = registry.names();
    ClassRegistry wreg(1000, registry.names());
    ScenarioGenerator g(pool, "cam", 5);
    for (int i = 0; i < 3000; ++i) {
      const Event& e = g.next(i * 100);
      frame.clear();
      for (const NamedDetection& d : e.detections)
        frame.detections.push_back({wreg.resolve(d.class_name), d.confidence, d.box, -1});
      out->window.add(frame);
    }
    out->names = wreg.names();
    return out;
  }();
  return *s;
}

void run(benchmark::State& state, const Setup& s) {
  size_t findings = 0, flagged = 0;
  for (auto _ : state) {
    DriftReport r = evaluate_drift("cam", "5m", s.window, s.names, s.baseline, resolver(), 0);
    findings = r.findings.size();
    flagged = 0;
    for (const DriftFinding& f : r.findings) flagged += f.flagged;
    benchmark::DoNotOptimize(r);
  }
  state.counters["findings"] = double(findings);
  state.counters["flagged"] = double(flagged);
  if (std::getenv("DRIFT_BENCH_VERBOSE")) {
    const DriftReport r = evaluate_drift("cam", "5m", s.window, s.names, s.baseline, resolver(), 0);
    for (const DriftFinding& f : r.findings)
      if (f.flagged)
        std::fprintf(stderr, "%s %s score %g p %g counts %llu/%llu %llu/%llu exp %g\n",
                     std::string(alert_kind_name(f.kind)).c_str(), f.subject().c_str(), f.score,
                     f.p_value, (unsigned long long)f.counts.window_count,
                     (unsigned long long)f.counts.window_total,
                     (unsigned long long)f.counts.baseline_count,
                     (unsigned long long)f.counts.baseline_total, f.expected);
  }
}

void BM_EvaluateDriftCoco80(benchmark::State& state) { run(state, coco80()); }
void BM_EvaluateDriftSynthetic1000(benchmark::State& state) { run(state, synthetic1000()); }

BENCHMARK(BM_EvaluateDriftCoco80)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_EvaluateDriftSynthetic1000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace predwatch::core

BENCHMARK_MAIN();
