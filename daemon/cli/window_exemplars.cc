#include "daemon/cli/window_exemplars.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>
#include <utility>

namespace predwatch::daemon {
namespace {

using Frames = std::vector<v1::Exemplar>;
// Per class: key (bucket label or bin / cell index) -> frames, in ascending key order.
using PerClass = std::map<std::string, std::vector<std::pair<uint32_t, Frames>>>;

void write_frames(JsonWriter& w, const Frames& frames) {
  w.begin_array();
  for (const v1::Exemplar& e : frames) {
    w.begin_object();
    w.key("frame").value(e.frame_id());
    w.key("time").value(google::protobuf::util::TimeUtil::ToString(e.time()));
    w.key("uri").value(e.image_uri());
    w.end_object();
  }
  w.end_array();
}

}  // namespace

WindowExemplarsResult write_window_exemplars(JsonWriter& w, const core::Stats& stats,
                                             const std::vector<std::string>& names,
                                             const std::string& stream, const std::string& window,
                                             size_t max_cells, const ExemplarFetcher& fetch,
                                             Progress* progress) {
  WindowExemplarsResult r;
  const core::StatsLayout& layout = stats.layout();
  const uint32_t C = std::min<uint32_t>(stats.num_classes(), uint32_t(names.size()));
  // One request; nullopt when over budget or failed.
  auto ask = [&](v1::GetExemplarsRequest& req) -> std::optional<Frames> {
    if (r.cells >= max_cells) {
      ++r.skipped;
      return std::nullopt;
    }
    ++r.cells;
    req.set_stream(stream);
    req.set_window(window);
    v1::GetExemplarsResponse resp;
    const grpc::Status s = fetch(req, &resp);
    if (progress) progress->update(std::to_string(r.cells) + " cells");
    if (!s.ok()) {
      if (r.first_error.empty()) r.first_error = s.error_message();
      return std::nullopt;
    }
    return Frames(resp.exemplars().begin(), resp.exemplars().end());
  };

  std::map<std::string, Frames> by_class;
  for (core::ClassId c = 0; c < C; ++c) {
    if (stats.images_with(c) == 0) continue;
    v1::GetExemplarsRequest req;
    req.set_class_name(names[c]);
    if (auto f = ask(req)) by_class[names[c]] = std::move(*f);
  }

  // Pairs, most frames first (ties by name), nested by the smaller name.
  std::vector<std::tuple<int64_t, std::string, std::string>> pairs;
  for (core::ClassId a = 0; a < C; ++a) {
    for (core::ClassId b = a + 1; b < C; ++b) {
      if (const int64_t n = stats.pair_images(a, b); n > 0) {
        pairs.emplace_back(-n, std::min(names[a], names[b]), std::max(names[a], names[b]));
      }
    }
  }
  std::sort(pairs.begin(), pairs.end());
  std::map<std::string, std::map<std::string, Frames>> by_pair;
  for (const auto& [neg, a, b] : pairs) {
    v1::GetExemplarsRequest req;
    req.mutable_pair()->set_a(a);
    req.mutable_pair()->set_b(b);
    if (auto f = ask(req)) by_pair[a][b] = std::move(*f);
  }

  PerClass by_count;
  for (core::ClassId c = 0; c < C; ++c) {
    const std::vector<int64_t> dist = stats.objects_distribution(c);
    for (uint32_t k = 1; k < dist.size(); ++k) {
      if (dist[k] == 0) continue;
      v1::GetExemplarsRequest req;
      req.mutable_count_bucket()->set_class_name(names[c]);
      req.mutable_count_bucket()->set_count(k);
      if (auto f = ask(req)) by_count[names[c]].emplace_back(k, std::move(*f));
    }
  }

  // No pointers to member functions here: GCC 12.2 with -O1 -fsanitize=address,undefined
  // miscompiled a call through one in this loop (docs/SANITIZERS.md).
  struct Histogram {
    const char* name;
    v1::ObjectHistogram which;
  };
  const Histogram histograms[] = {{"area", v1::OBJECT_HISTOGRAM_AREA},
                                  {"width", v1::OBJECT_HISTOGRAM_WIDTH},
                                  {"height", v1::OBJECT_HISTOGRAM_HEIGHT}};
  auto bins_of = [&](v1::ObjectHistogram which, core::ClassId c) {
    switch (which) {
      case v1::OBJECT_HISTOGRAM_WIDTH:
        return stats.width_histogram(c);
      case v1::OBJECT_HISTOGRAM_HEIGHT:
        return stats.height_histogram(c);
      default:
        return stats.area_histogram(c);
    }
  };
  std::vector<PerClass> by_bin(std::size(histograms));
  for (size_t h = 0; h < std::size(histograms); ++h) {
    for (core::ClassId c = 0; c < C; ++c) {
      const std::span<const int64_t> bins = bins_of(histograms[h].which, c);
      for (uint32_t k = 0; k < bins.size(); ++k) {
        if (bins[k] == 0) continue;
        v1::GetExemplarsRequest req;
        auto* hb = req.mutable_histogram_bin();
        hb->set_class_name(names[c]);
        hb->set_histogram(histograms[h].which);
        hb->set_bin(k);
        if (auto f = ask(req)) by_bin[h][names[c]].emplace_back(k, std::move(*f));
      }
    }
  }

  PerClass by_cell;
  const uint32_t G = layout.heatmap_grid;
  for (core::ClassId c = 0; c < C; ++c) {
    const std::span<const int64_t> cells = stats.heatmap(c);
    for (uint32_t k = 0; k < cells.size(); ++k) {
      if (cells[k] == 0) continue;
      v1::GetExemplarsRequest req;
      auto* hc = req.mutable_heatmap_cell();
      hc->set_class_name(names[c]);
      hc->set_row(k / G);
      hc->set_col(k % G);
      if (auto f = ask(req)) by_cell[names[c]].emplace_back(k, std::move(*f));
    }
  }

  auto write_per_class = [&](const PerClass& m, bool count_labels) {
    w.begin_object();
    for (const auto& [cls, keyed] : m) {
      w.key(cls).begin_object();
      for (const auto& [k, frames] : keyed) {
        w.key(count_labels ? core::StatsLayout::count_bucket_label(k, layout.max_objects_bucket)
                           : std::to_string(k));
        write_frames(w, frames);
      }
      w.end_object();
    }
    w.end_object();
  };
  w.begin_object();
  w.key("max_cells").value(uint64_t(max_cells));
  w.key("cells").value(uint64_t(r.cells));
  w.key("skipped").value(uint64_t(r.skipped));
  w.key("class").begin_object();
  for (const auto& [cls, frames] : by_class) {
    w.key(cls);
    write_frames(w, frames);
  }
  w.end_object();
  w.key("pair").begin_object();
  for (const auto& [a, row] : by_pair) {
    w.key(a).begin_object();
    for (const auto& [b, frames] : row) {
      w.key(b);
      write_frames(w, frames);
    }
    w.end_object();
  }
  w.end_object();
  w.key("count");
  write_per_class(by_count, true);
  for (size_t h = 0; h < std::size(histograms); ++h) {
    w.key(histograms[h].name);
    write_per_class(by_bin[h], false);
  }
  w.key("cell");
  write_per_class(by_cell, false);
  w.end_object();
  return r;
}

}  // namespace predwatch::daemon
