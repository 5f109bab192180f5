// Fuzzes the baseline validation (daemon/baseline/baseline_file.h): the bytes are parsed as
// a predwatch.v1.Baseline (as load_baseline and SetBaseline receive them) and handed to
// baseline_from_proto.
// Checks: a rejection carries a message; an accepted baseline has frames > 0, a class name
// per class, and every Stats accessor works for every class (and for one class beyond the
// table, which must read as empty) without a crash or sanitizer report; stats_to_proto of
// the accepted baseline validates again into equal tables. With PREDWATCH_FUZZ_EXPECT_VALID
// set, a rejection fails (ctest runs the valid_* seeds so, to show the accessor checks run).
#include <google/protobuf/stubs/logging.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "daemon/baseline/baseline_file.h"
#include "daemon/convert/stats_convert.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace predwatch;
  static const bool expect_valid = [] {
    google::protobuf::SetLogHandler(nullptr);  // no "invalid UTF-8" log per input
    return std::getenv("PREDWATCH_FUZZ_EXPECT_VALID") != nullptr;
  }();
  v1::Baseline proto;
  if (!proto.ParseFromArray(data, static_cast<int>(size))) {
    FUZZ_CHECK(!expect_valid, "valid baseline does not parse");
    return 0;
  }
  std::string error;
  const auto loaded = daemon::baseline_from_proto(proto, error);
  if (!loaded) {
    FUZZ_CHECK(!error.empty(), "rejected without a message");
    FUZZ_CHECK(!expect_valid, "valid baseline rejected: %s", error.c_str());
    return 0;
  }
  const core::Stats& s = loaded->stats.stats;
  FUZZ_CHECK(s.frames() > 0, "accepted a baseline without frames");
  FUZZ_CHECK(loaded->stats.class_names.size() >= s.num_classes(), "%zu names for %u classes",
             loaded->stats.class_names.size(), s.num_classes());
  const core::StatsLayout& layout = s.layout();
  FUZZ_CHECK(layout.check().empty(), "accepted layout: %s", layout.check().c_str());
  int64_t sink = 0;
  double dsink = 0;
  const uint32_t n = s.num_classes();
  for (core::ClassId c = 0; c <= n && c < 4096; ++c) {
    sink += s.images_with(c) + s.objects_of(c) + s.scored_objects(c);
    dsink += s.avg_count_on_image(c) + s.avg_area_pct(c) + s.mean_confidence(c);
    const auto dist = s.objects_distribution(c);
    FUZZ_CHECK(dist.size() == layout.objects_buckets(), "objects_distribution(%u) has %zu values",
               c, dist.size());
    for (int64_t v : dist) sink += v;
    FUZZ_CHECK(s.heatmap(c).size() == layout.heatmap_cells(), "heatmap(%u) size", c);
    FUZZ_CHECK(s.confidence_histogram(c).size() == layout.confidence_bins, "confidence(%u)", c);
    FUZZ_CHECK(s.width_histogram(c).size() == layout.size_bins &&
                   s.height_histogram(c).size() == layout.size_bins &&
                   s.area_histogram(c).size() == layout.size_bins,
               "size histograms(%u)", c);
    for (int64_t v : s.heatmap(c)) sink += v;
    for (int64_t v : s.area_histogram(c)) sink += v;
    const auto w = s.width_summary(c), h = s.height_summary(c), a = s.area_summary(c);
    dsink += w.mean + h.max + a.min;
    for (core::ClassId b = 0; b <= n && b < 64; ++b) sink += s.pair_images(c, b);
    if (c == n) {
      FUZZ_CHECK(s.images_with(c) == 0 && s.objects_of(c) == 0, "class beyond the table");
    }
  }
  for (int64_t v : s.objects_per_frame_histogram()) sink += v;
  for (int64_t v : s.classes_per_frame_histogram()) sink += v;
  for (int64_t v : s.covered_area_histogram()) sink += v;

  // Round trip: what the daemon would serve or save validates again into equal tables.
  v1::Stats out;
  daemon::stats_to_proto(s, loaded->stats.class_names, daemon::StatsSections{}, &out);
  core::StatsData back;
  std::vector<std::string> names;
  const std::string err = daemon::stats_from_proto(out, &back, &names);
  FUZZ_CHECK(err.empty(), "re-encoded baseline rejected: %s", err.c_str());
  FUZZ_CHECK(back.num_classes == s.data().num_classes && back.frames == s.data().frames &&
                 back.objects_of == s.data().objects_of &&
                 back.cooccurrence == s.data().cooccurrence,
             "re-encoded tables differ");
  static volatile int64_t keep;  // keeps the reads
  keep = sink + static_cast<int64_t>(std::isnan(dsink));
  (void)keep;
  return 0;
}
