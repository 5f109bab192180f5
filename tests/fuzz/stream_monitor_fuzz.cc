// Fuzzes a StreamMonitor (core/stream_monitor.h) with events decoded from the input.
// The input is JSON lines: each line is decoded by the JSON event decoder and, when valid,
// applied; a line "#<ms>" calls advance(<ms>) instead. The monitor has a time window
// (1 s of 100 ms panes, 300 ms lateness), a count window of 5 frames, at most 8 classes (so
// the __other__ class is reached), index names and a class map that renames and drops.
// Checks after every step, for both windows (the Stats contract in core/stats.h):
//   frames == frames_in_window == the sums of the objects-per-frame, classes-per-frame and
//   covered-area histograms; objects == the sum of objects_of(c); per class: the objects
//   distribution sums to frames, the heatmap and size histograms sum to objects_of(c), the
//   confidence histogram to scored_objects(c) <= objects_of(c), images_with(c) <=
//   min(frames, objects_of(c)), pair_images(a, b) <= min(images_with(a), images_with(b));
//   no count is negative. The count window is also recomputed independently: its frames
//   and objects equal those of the last 5 applied events (detections minus those the class
//   map dropped).
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <numeric>
#include <string>
#include <string_view>

#include "core/stream_monitor.h"
#include "daemon/ingest/json_event_decoder.h"
#include "tests/fuzz/event_invariants.h"

namespace {

using namespace predwatch;

constexpr size_t kCountFrames = 5;
constexpr size_t kMaxClasses = 8;

int64_t sum(std::span<const int64_t> v) { return std::accumulate(v.begin(), v.end(), int64_t{0}); }

void check_window(const core::StreamMonitor& m, size_t w) {
  const core::Window& window = m.window(w);
  const core::Stats& t = window.totals();
  const char* name = m.spec(w).name.c_str();
  const int64_t frames = t.frames();
  FUZZ_CHECK(frames >= 0 && t.objects() >= 0, "%s: negative totals", name);
  FUZZ_CHECK(frames == window.frames_in_window(), "%s: frames %lld, frames_in_window %lld", name,
             static_cast<long long>(frames), static_cast<long long>(window.frames_in_window()));
  FUZZ_CHECK(sum(t.objects_per_frame_histogram()) == frames, "%s: objects-per-frame sum", name);
  FUZZ_CHECK(sum(t.classes_per_frame_histogram()) == frames, "%s: classes-per-frame sum", name);
  FUZZ_CHECK(sum(t.covered_area_histogram()) == frames, "%s: covered-area sum", name);
  FUZZ_CHECK(t.num_classes() <= kMaxClasses + 1, "%s: %u classes", name, t.num_classes());
  int64_t objects = 0;
  for (core::ClassId c = 0; c < t.num_classes(); ++c) {
    const int64_t n = t.objects_of(c), with = t.images_with(c);
    objects += n;
    FUZZ_CHECK(n >= 0 && with >= 0 && with <= frames && with <= n, "%s: class %u counts", name, c);
    const auto dist = t.objects_distribution(c);
    FUZZ_CHECK(std::accumulate(dist.begin(), dist.end(), int64_t{0}) == frames,
               "%s: class %u objects distribution sum", name, c);
    for (int64_t v : dist) FUZZ_CHECK(v >= 0, "%s: class %u negative bucket", name, c);
    FUZZ_CHECK(sum(t.heatmap(c)) == n, "%s: class %u heatmap sum", name, c);
    FUZZ_CHECK(sum(t.width_histogram(c)) == n && sum(t.height_histogram(c)) == n &&
                   sum(t.area_histogram(c)) == n,
               "%s: class %u size histogram sums", name, c);
    FUZZ_CHECK(t.scored_objects(c) <= n && sum(t.confidence_histogram(c)) == t.scored_objects(c),
               "%s: class %u confidence histogram", name, c);
    for (core::ClassId b = 0; b < c; ++b) {
      const int64_t p = t.pair_images(c, b);
      FUZZ_CHECK(p >= 0 && p <= with && p <= t.images_with(b) && p == t.pair_images(b, c),
                 "%s: pair (%u, %u)", name, c, b);
    }
  }
  FUZZ_CHECK(objects == t.objects(), "%s: objects %lld, sum over classes %lld", name,
             static_cast<long long>(t.objects()), static_cast<long long>(objects));
}

core::StreamMonitorOptions options() {
  core::StreamMonitorOptions o;
  o.max_classes = kMaxClasses;
  core::WindowSpec time;
  time.name = "time";
  time.length_ms = 1000;
  time.pane_ms = 100;
  time.allowed_lateness_ms = 300;
  core::WindowSpec count;
  count.name = "count";
  count.type = core::WindowSpec::Type::kCount;
  count.frames = kCountFrames;
  o.windows = {time, count};
  o.exemplars.recent_frames = 16;
  o.naming.class_map = {{"dog", "cat"}, {"ignored", ""}};
  o.naming.index_names = {"person", "car", "dog"};
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static daemon::JsonEventDecoder decoder;
  core::StreamMonitor monitor("s", options());
  std::deque<int64_t> last_objects;  // per applied event, for the count window
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  core::Event event;
  int steps = 0;
  while (!rest.empty() && steps++ < 256) {
    const size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    if (!line.empty() && line[0] == '#') {
      int64_t now = 0;
      const auto [p, ec] = std::from_chars(line.data() + 1, line.data() + line.size(), now);
      if (ec != std::errc() || now < -(int64_t{1} << 50) || now > (int64_t{1} << 50)) continue;
      monitor.advance(now);
    } else {
      const daemon::DecodeResult r = decoder.decode(line, event);
      fuzz::check_decoded_event(r, event);
      if (!r.ok()) continue;
      const uint64_t before = monitor.applied_events();
      const core::ApplyResult a = monitor.apply(event);
      FUZZ_CHECK(monitor.applied_events() == before + 1, "applied_events");
      FUZZ_CHECK(a.dropped_objects <= event.detections.size(), "dropped %u of %zu",
                 a.dropped_objects, event.detections.size());
      last_objects.push_back(static_cast<int64_t>(event.detections.size() - a.dropped_objects));
      if (last_objects.size() > kCountFrames) last_objects.pop_front();
    }
    for (size_t w = 0; w < monitor.window_count(); ++w) {
      check_window(monitor, w);
      const double fill = monitor.fill_ratio(w);
      FUZZ_CHECK(fill >= 0.0 && fill <= 1.0, "fill ratio %g", fill);
    }
    const core::Stats& count = monitor.window(1).totals();
    FUZZ_CHECK(count.frames() == static_cast<int64_t>(last_objects.size()),
               "count window holds %lld frames, expected %zu",
               static_cast<long long>(count.frames()), last_objects.size());
    const int64_t objects = std::accumulate(last_objects.begin(), last_objects.end(), int64_t{0});
    FUZZ_CHECK(count.objects() == objects, "count window holds %lld objects, expected %lld",
               static_cast<long long>(count.objects()), static_cast<long long>(objects));
  }
  return 0;
}
