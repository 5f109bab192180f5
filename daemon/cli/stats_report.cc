#include "daemon/cli/stats_report.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "daemon/cli/heatmap_render.h"
#include "daemon/cli/text_table.h"

namespace predwatch::daemon {
namespace {

std::string name_of(const std::vector<std::string>& names, core::ClassId c) {
  if (c < names.size() && !names[c].empty()) return names[c];
  return "#" + std::to_string(c);
}

double pct(int64_t part, int64_t whole) {
  return whole > 0 ? 100.0 * double(part) / double(whole) : std::nan("");
}

struct Pair {
  std::string a, b;
  int64_t images;
};

// Every pair with images > 0, a < b by name; images desc, then a, then b.
std::vector<Pair> nonzero_pairs(const core::Stats& stats, const std::vector<std::string>& names) {
  std::vector<Pair> pairs;
  const uint32_t C = stats.num_classes();
  for (core::ClassId a = 0; a < C; ++a) {
    if (stats.images_with(a) == 0) continue;
    for (core::ClassId b = 0; b < a; ++b) {
      const int64_t n = stats.pair_images(a, b);
      if (n == 0) continue;
      std::string x = name_of(names, a), y = name_of(names, b);
      if (y < x) std::swap(x, y);
      pairs.push_back({std::move(x), std::move(y), n});
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& p, const Pair& q) {
    if (p.images != q.images) return p.images > q.images;
    if (p.a != q.a) return p.a < q.a;
    return p.b < q.b;
  });
  return pairs;
}

bool any_scored(const core::Stats& stats) {
  for (core::ClassId c = 0; c < stats.num_classes(); ++c)
    if (stats.scored_objects(c) > 0) return true;
  return false;
}

// {"0": n, ...} for a count histogram whose last bucket means ">= max".
void write_count_histogram(JsonWriter& w, std::span<const int64_t> h, bool always_zero) {
  w.begin_object();
  const uint32_t max = uint32_t(h.size()) - 1;
  for (uint32_t i = 0; i < h.size(); ++i) {
    if (h[i] == 0 && !(i == 0 && always_zero)) continue;
    w.key(core::StatsLayout::count_bucket_label(i, max)).value(h[i]);
  }
  w.end_object();
}

std::string pct_label(double lo, double hi) {
  return format_number(lo, 1) + "-" + format_number(hi, 1);
}

// A histogram as rows of a bar table: label, images, % of images, bar.
struct BarRow {
  std::string label;
  int64_t images;
};

std::string render_bars(const std::string& title, const std::string& what,
                        const std::vector<BarRow>& rows, int64_t total) {
  // Trailing empty rows say nothing.
  size_t n = rows.size();
  while (n > 1 && rows[n - 1].images == 0) --n;
  int64_t max = 0;
  for (size_t i = 0; i < n; ++i) max = std::max(max, rows[i].images);
  TextTable t({what, "images", "%", ""});
  for (size_t i = 0; i < n; ++i) {
    const int64_t v = rows[i].images;
    size_t len = max > 0 ? size_t(std::llround(30.0 * double(v) / double(max))) : 0;
    if (v > 0 && len == 0) len = 1;
    std::string bar;
    for (size_t k = 0; k < len; ++k) bar += "█";
    if (bar.empty()) bar = " ";  // keeps the column textual (left-aligned)
    t.add_row({rows[i].label, std::to_string(v), format_number(pct(v, total), 1), bar});
  }
  return title + "\n" + t.render();
}

// Groups a count histogram (last bucket ">= max") into readable ranges.
std::vector<BarRow> grouped_counts(std::span<const int64_t> h) {
  static const uint32_t kStarts[] = {0, 1, 2, 3, 4, 5, 6, 11, 21, 51};
  const uint32_t max = uint32_t(h.size()) - 1;
  std::vector<uint32_t> starts;
  for (uint32_t s : kStarts)
    if (s < max) starts.push_back(s);
  std::vector<BarRow> rows;
  for (size_t i = 0; i < starts.size(); ++i) {
    const uint32_t lo = starts[i], hi = i + 1 < starts.size() ? starts[i + 1] - 1 : max - 1;
    int64_t sum = 0;
    for (uint32_t k = lo; k <= hi; ++k) sum += h[k];
    rows.push_back(
        {lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi), sum});
  }
  rows.push_back({">=" + std::to_string(max), h[max]});
  return rows;
}

std::string render_class_balance(const core::Stats& stats, const std::vector<std::string>& names,
                                 const std::vector<core::ClassId>& order, size_t max_rows) {
  const bool scored = any_scored(stats);
  std::vector<std::string> headers = {"class",     "images",    "images %",  "objects",
                                      "objects %", "avg/image", "avg area %"};
  if (scored) headers.push_back("mean conf");
  TextTable t(headers);
  size_t shown = 0;
  for (core::ClassId c : order) {
    if (max_rows && shown == max_rows) break;
    ++shown;
    std::vector<std::string> row = {name_of(names, c),
                                    std::to_string(stats.images_with(c)),
                                    format_number(pct(stats.images_with(c), stats.frames()), 1),
                                    std::to_string(stats.objects_of(c)),
                                    format_number(pct(stats.objects_of(c), stats.objects()), 1),
                                    format_number(stats.avg_count_on_image(c), 2),
                                    format_number(stats.avg_area_pct(c), 1)};
    if (scored) row.push_back(format_number(stats.mean_confidence(c), 3));
    t.add_row(std::move(row));
  }
  std::string out =
      "Class balance (images: images with >= 1 object of the class; averages over "
      "those images)\n" +
      t.render();
  if (shown < order.size())
    out += "... " + std::to_string(order.size() - shown) + " more classes\n";
  return out;
}

std::string render_cooccurrence(const core::Stats& stats, const std::vector<std::string>& names,
                                const std::vector<core::ClassId>& order,
                                const StatsReportOptions& options) {
  std::vector<Pair> pairs = nonzero_pairs(stats, names);
  std::map<std::string, core::ClassId, std::less<>> id_of;
  for (core::ClassId c = 0; c < stats.num_classes(); ++c) id_of[name_of(names, c)] = c;
  std::string out = "Co-occurring pairs (" + std::to_string(pairs.size()) +
                    " pairs on >= 1 image; top " +
                    std::to_string(std::min(pairs.size(), options.top_pairs)) + ")\n";
  if (pairs.empty()) return out + "(no image holds two classes)\n";
  TextTable t({"a", "b", "images", "% of a", "% of b"});
  for (size_t i = 0; i < pairs.size() && i < options.top_pairs; ++i) {
    const Pair& p = pairs[i];
    t.add_row({p.a, p.b, std::to_string(p.images),
               format_number(pct(p.images, stats.images_with(id_of[p.a])), 1),
               format_number(pct(p.images, stats.images_with(id_of[p.b])), 1)});
  }
  out += t.render();
  const size_t n = std::min(options.heatmap_classes, order.size());
  if (n >= 2) {
    std::vector<uint64_t> cells(n * n, 0);
    std::vector<std::string> rows, cols;
    for (size_t i = 0; i < n; ++i) {
      rows.push_back(std::to_string(i + 1) + " " + name_of(names, order[i]));
      cols.push_back(std::to_string(i + 1));
      for (size_t j = 0; j < n; ++j)
        if (i != j) cells[i * n + j] = uint64_t(stats.pair_images(order[i], order[j]));
    }
    HeatmapStyle style;
    style.cell_width = 3;
    out += "\nCo-occurrence of the " + std::to_string(n) +
           " classes on most images (images with both; diagonal left blank)\n";
    out += render_heatmap(cells, n, n, rows, cols, style);
  }
  return out;
}

std::string render_objects_distribution(const core::Stats& stats,
                                        const std::vector<std::string>& names,
                                        const std::vector<core::ClassId>& order, size_t max_rows) {
  const uint32_t buckets = stats.layout().objects_buckets(), max = buckets - 1;
  std::vector<core::ClassId> shown;
  for (core::ClassId c : order)
    if (stats.images_with(c) > 0 && (!max_rows || shown.size() < max_rows)) shown.push_back(c);
  if (shown.empty()) return "Objects per image, by class\n(no objects)\n";
  // Columns 1..last non-zero bucket: images without the class (bucket 0) would dwarf the rest.
  uint32_t last = 1;
  std::vector<std::vector<int64_t>> dist;
  for (core::ClassId c : shown) {
    dist.push_back(stats.objects_distribution(c));
    for (uint32_t k = 1; k < buckets; ++k)
      if (dist.back()[k] > 0) last = std::max(last, k);
  }
  std::vector<uint64_t> cells;
  std::vector<std::string> rows, cols;
  for (uint32_t k = 1; k <= last; ++k)
    cols.push_back(k < max ? std::to_string(k) : std::to_string(max) + "+");
  for (size_t r = 0; r < shown.size(); ++r) {
    int64_t mode = 1;
    for (uint32_t k = 1; k <= last; ++k) {
      cells.push_back(uint64_t(dist[r][k]));
      if (dist[r][k] > dist[r][mode]) mode = k;
    }
    rows.push_back(name_of(names, shown[r]));
  }
  HeatmapStyle style;
  style.scale_rows_independently = true;
  style.cell_width = 3;
  std::string out =
      "Objects per image, by class (columns: number of the class's objects on an image, " +
      std::to_string(max) +
      "+ = that many or more; each row scaled to its own maximum; images without the class "
      "not drawn)\n";
  out += render_heatmap(cells, shown.size(), last, rows, cols, style);
  return out;
}

std::string render_per_image(const core::Stats& stats) {
  const int64_t frames = stats.frames();
  std::string out =
      render_bars("Objects per image (mean " +
                      format_number(frames ? double(stats.objects()) / frames : 0, 2) + ")",
                  "objects", grouped_counts(stats.objects_per_frame_histogram()), frames);
  out += "\n";
  out += render_bars("Distinct classes per image", "classes",
                     grouped_counts(stats.classes_per_frame_histogram()), frames);
  out += "\n";
  // Covered area: merge neighbouring bins so that at most ~10 rows remain.
  std::span<const int64_t> h = stats.covered_area_histogram();
  const std::vector<double> edges = stats.layout().covered_area_pct_edges();
  const size_t group = (h.size() + 9) / 10;
  std::vector<BarRow> rows;
  for (size_t i = 0; i < h.size(); i += group) {
    const size_t end = std::min(h.size(), i + group);
    int64_t sum = 0;
    for (size_t k = i; k < end; ++k) sum += h[k];
    rows.push_back({pct_label(edges[i], edges[end]), sum});
  }
  out += render_bars("Image area covered by boxes, %", "covered %", rows, frames);
  return out;
}

}  // namespace

std::vector<core::ClassId> classes_by_images(const core::Stats& stats,
                                             const std::vector<std::string>& names) {
  std::vector<core::ClassId> order(stats.num_classes());
  for (core::ClassId c = 0; c < order.size(); ++c) order[c] = c;
  std::sort(order.begin(), order.end(), [&](core::ClassId a, core::ClassId b) {
    if (stats.images_with(a) != stats.images_with(b))
      return stats.images_with(a) > stats.images_with(b);
    if (stats.objects_of(a) != stats.objects_of(b))
      return stats.objects_of(a) > stats.objects_of(b);
    return name_of(names, a) < name_of(names, b);
  });
  return order;
}

std::string render_stats_tables(const core::Stats& stats, const std::vector<std::string>& names,
                                const StatsReportOptions& options) {
  const std::vector<core::ClassId> order = classes_by_images(stats, names);
  size_t used = 0;
  for (core::ClassId c : order) used += stats.images_with(c) > 0;
  std::string out = std::to_string(stats.frames()) + " images, " + std::to_string(stats.objects()) +
                    " objects, " + std::to_string(used) + " classes\n";
  if (options.class_balance)
    out += "\n" + render_class_balance(stats, names, order, options.max_classes);
  if (options.cooccurrence) out += "\n" + render_cooccurrence(stats, names, order, options);
  if (options.objects_distribution)
    out += "\n" + render_objects_distribution(stats, names, order, options.max_classes);
  if (options.per_image) out += "\n" + render_per_image(stats);
  return out;
}

void write_stats_members(JsonWriter& w, const core::Stats& stats,
                         const std::vector<std::string>& names) {
  const std::vector<core::ClassId> order = classes_by_images(stats, names);
  const bool scored = any_scored(stats);
  w.key("images").value(stats.frames());
  w.key("objects").value(stats.objects());
  w.key("classes").begin_array();
  for (core::ClassId c : order) {
    w.begin_object();
    w.key("name").value(name_of(names, c));
    w.key("images").value(stats.images_with(c));
    w.key("objects").value(stats.objects_of(c));
    w.key("avg_count_on_image").value(stats.avg_count_on_image(c));
    w.key("avg_area_pct").value(stats.avg_area_pct(c));
    if (scored) w.key("mean_confidence").value(stats.mean_confidence(c));
    w.end_object();
  }
  w.end_array();
  w.key("cooccurrence").begin_array();
  for (const Pair& p : nonzero_pairs(stats, names)) {
    w.begin_object().key("a").value(p.a).key("b").value(p.b).key("images").value(p.images);
    w.end_object();
  }
  w.end_array();
  w.key("objects_distribution").begin_object();
  for (core::ClassId c : order) {
    const std::vector<int64_t> dist = stats.objects_distribution(c);
    w.key(name_of(names, c));
    write_count_histogram(w, dist, true);
  }
  w.end_object();
  w.key("per_image").begin_object();
  w.key("objects");
  write_count_histogram(w, stats.objects_per_frame_histogram(), false);
  w.key("classes");
  write_count_histogram(w, stats.classes_per_frame_histogram(), false);
  w.key("covered_area_pct").begin_object();
  const std::vector<double> edges = stats.layout().covered_area_pct_edges();
  std::span<const int64_t> cov = stats.covered_area_histogram();
  for (size_t i = 0; i < cov.size(); ++i)
    if (cov[i] > 0) w.key(pct_label(edges[i], edges[i + 1])).value(cov[i]);
  w.end_object();
  w.end_object();
}

std::string stats_report_json(const core::Stats& stats, const std::vector<std::string>& names,
                              const std::function<void(JsonWriter&)>& extra) {
  JsonWriter w;
  w.begin_object();
  write_stats_members(w, stats, names);
  if (extra) extra(w);
  w.end_object();
  return w.str();
}

std::string render_suspicious_summary(std::span<const core::SuspiciousRecord> records,
                                      size_t max_rows) {
  if (records.empty()) return "Suspicious findings: none\n";
  std::map<std::string_view, size_t> by_reason;
  for (const auto& r : records) ++by_reason[core::suspicion_reason_name(r.reason)];
  std::string out = "Suspicious findings: " + std::to_string(records.size()) + " (";
  bool first = true;
  for (const auto& [reason, n] : by_reason) {
    out += (first ? "" : ", ") + std::string(reason) + " " + std::to_string(n);
    first = false;
  }
  out += ")\n";
  TextTable t({"image", "reason", "class", "detail"});
  for (size_t i = 0; i < records.size() && i < max_rows; ++i) {
    const auto& r = records[i];
    t.add_row({r.image.empty() ? "-" : r.image, std::string(core::suspicion_reason_name(r.reason)),
               r.class_name.empty() ? "-" : r.class_name, r.detail.empty() ? "-" : r.detail});
  }
  out += t.render();
  if (records.size() > max_rows)
    out += "... " + std::to_string(records.size() - max_rows) + " more (--json lists all)\n";
  return out;
}

void write_suspicious(JsonWriter& w, std::span<const core::SuspiciousRecord> records) {
  w.begin_array();
  for (const auto& r : records) {
    w.begin_object();
    w.key("image").value(r.image);
    w.key("reason").value(core::suspicion_reason_name(r.reason));
    w.key("class").value(r.class_name);
    w.key("detail").value(r.detail);
    w.end_object();
  }
  w.end_array();
}

}  // namespace predwatch::daemon
