// Cost of the drift engine's statistical primitives at C = 1000 classes, one core.
// Budget: one full evaluation <= 50 ms for C = 1000.
//
// Shape of one evaluation (see docs/BENCHMARKS.md, "Drift primitives"):
//   - class distribution: 1 histogram of 1000 bins;
//   - per-class histograms: 1000 histograms of 20..256 bins (confidence 20, box size 32,
//     objects per image 64, spatial 16x16 = 256; cycled);
//   - pair rates: a binomial upper-tail test per pair with support (k >= min_count), then
//     Benjamini-Hochberg over all 499,500 unordered pairs.
// Inputs are synthetic but shaped like real data: Zipf-like class frequencies, histograms with
// a fraction of empty bins, pair counts of a few per pair over a large window.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/divergence.h"
#include "core/rate_test.h"

namespace predwatch::core {
namespace {

constexpr int kClasses = 1000;
constexpr size_t kAllPairs = kClasses * (kClasses - 1) / 2;  // 499,500
constexpr int kHistogramBins[] = {20, 32, 64, 256};

std::vector<uint64_t> random_histogram(std::mt19937_64& rng, int bins, double mean_count,
                                       double empty_fraction) {
  std::vector<uint64_t> h(bins);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < bins; ++i) {
    if (u(rng) < empty_fraction) continue;
    // Zipf-like: bin i has mass ~ 1 / (i + 1), scaled to the mean count.
    std::poisson_distribution<uint64_t> poisson(mean_count * bins / (4.0 * (i + 1)));
    h[i] = poisson(rng);
  }
  return h;
}

struct Histograms {
  std::vector<std::vector<uint64_t>> baseline, window;
};

const Histograms& per_class_histograms() {
  static const Histograms h = [] {
    Histograms out;
    std::mt19937_64 rng(1);
    for (int c = 0; c < kClasses; ++c) {
      const int bins = kHistogramBins[c % 4];
      out.baseline.push_back(random_histogram(rng, bins, 200, 0.2));
      out.window.push_back(random_histogram(rng, bins, 50, 0.3));
    }
    return out;
  }();
  return h;
}

const Histograms& class_distribution() {
  static const Histograms h = [] {
    Histograms out;
    std::mt19937_64 rng(2);
    out.baseline.push_back(random_histogram(rng, kClasses, 500, 0.05));
    out.window.push_back(random_histogram(rng, kClasses, 100, 0.1));
    return out;
  }();
  return h;
}

// Pairs with support (k >= 5) over a window of 100,000 frames and a baseline of 100,000
// images. True pair rates are log-uniform in [2e-5, 1e-2] (expected 2..1000 per side); 99% of
// pairs keep their rate (null: about half land above the baseline rate and get an exact test),
// 1% have it tripled, and 10% of pairs get a baseline count of 0 (never seen).
std::vector<RateCounts> pair_counts(size_t pairs) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<RateCounts> counts;
  counts.reserve(pairs);
  while (counts.size() < pairs) {
    const double rate = 2e-5 * std::pow(500.0, u(rng));
    const bool drifted = u(rng) < 0.01;
    RateCounts c;
    c.window_frames = c.baseline_frames = 100'000;
    c.window_hits = std::poisson_distribution<uint64_t>((drifted ? 3 : 1) * rate * 1e5)(rng);
    c.baseline_hits = u(rng) < 0.1 ? 0 : std::poisson_distribution<uint64_t>(rate * 1e5)(rng);
    if (c.window_hits >= 5) counts.push_back(c);
  }
  return counts;
}

void BM_ClassDistribution(benchmark::State& state) {
  const Histograms& h = class_distribution();
  for (auto _ : state) {
    benchmark::DoNotOptimize(compare_distributions(h.baseline[0], h.window[0]));
  }
}
BENCHMARK(BM_ClassDistribution)->Unit(benchmark::kMicrosecond);

void BM_PerClassHistograms(benchmark::State& state) {
  const Histograms& h = per_class_histograms();
  for (auto _ : state) {
    for (int c = 0; c < kClasses; ++c) {
      benchmark::DoNotOptimize(compare_distributions(h.baseline[c], h.window[c]));
    }
  }
  state.counters["histograms"] = kClasses;
}
BENCHMARK(BM_PerClassHistograms)->Unit(benchmark::kMillisecond);

void BM_PairRateTests(benchmark::State& state) {
  const std::vector<RateCounts> counts = pair_counts(static_cast<size_t>(state.range(0)));
  std::vector<double> p(counts.size());
  RateTestOptions options;
  options.screen_p_value = state.range(1) ? 0.05 : 0.0;
  size_t exact = 0;
  for (auto _ : state) {
    exact = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
      const RateTestResult r = rate_increase_test(counts[i], options);
      p[i] = r.p_value;
      exact += r.tested;
    }
    benchmark::DoNotOptimize(p.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(counts.size()));
  state.counters["exact_tests"] = static_cast<double>(exact);
}
// Args: pairs with support, screening (0 = exact tail for every pair above its baseline rate,
// 1 = screen_p_value 0.05).
BENCHMARK(BM_PairRateTests)
    ->ArgNames({"pairs", "screen"})
    ->ArgsProduct({{50'000, 500'000}, {0, 1}})
    ->Unit(benchmark::kMillisecond);

std::vector<double> random_p_values(size_t n) {
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> p(n);
  for (double& x : p) {
    const double v = u(rng);
    x = v < 0.01 ? v * 1e-6 : v;  // 1% strong signals, the rest uniform (null)
  }
  return p;
}

void BM_BenjaminiHochbergAdjust(benchmark::State& state) {
  const std::vector<double> p = random_p_values(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(benjamini_hochberg_adjust(p, kAllPairs));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(p.size()));
}
BENCHMARK(BM_BenjaminiHochbergAdjust)->Arg(50'000)->Arg(500'000)->Unit(benchmark::kMillisecond);

void BM_BenjaminiHochbergReject(benchmark::State& state) {
  const std::vector<double> p = random_p_values(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(benjamini_hochberg_reject(p, 0.05, kAllPairs));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(p.size()));
}
BENCHMARK(BM_BenjaminiHochbergReject)->Arg(50'000)->Arg(500'000)->Unit(benchmark::kMillisecond);

// One evaluation: class distribution + 1000 per-class histograms + a rate test per pair with
// support (screened at 0.05 when "screen" is 1) + BH over them counting all 499,500 pairs as
// hypotheses: adjusted p-values, or only the rejected set when "reject_only" is 1.
void BM_FullEvaluationPass(benchmark::State& state) {
  const Histograms& classes = class_distribution();
  const Histograms& h = per_class_histograms();
  const std::vector<RateCounts> counts = pair_counts(static_cast<size_t>(state.range(0)));
  std::vector<double> p(counts.size());
  RateTestOptions options;
  options.screen_p_value = state.range(1) ? 0.05 : 0.0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(compare_distributions(classes.baseline[0], classes.window[0]));
    for (int c = 0; c < kClasses; ++c) {
      benchmark::DoNotOptimize(compare_distributions(h.baseline[c], h.window[c]));
    }
    for (size_t i = 0; i < counts.size(); ++i) {
      p[i] = rate_increase_test(counts[i], options).p_value;
    }
    if (state.range(2)) {
      benchmark::DoNotOptimize(benjamini_hochberg_reject(p, 0.05, kAllPairs));
    } else {
      benchmark::DoNotOptimize(benjamini_hochberg_adjust(p, kAllPairs));
    }
  }
  state.counters["tested_pairs"] = static_cast<double>(counts.size());
}
BENCHMARK(BM_FullEvaluationPass)
    ->ArgNames({"pairs", "screen", "reject_only"})
    ->ArgsProduct({{50'000, 500'000}, {0, 1}, {0}})
    ->Args({500'000, 1, 1})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace predwatch::core

BENCHMARK_MAIN();
