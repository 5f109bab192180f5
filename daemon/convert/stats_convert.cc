#include "daemon/convert/stats_convert.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/container/flat_hash_set.h"

namespace predwatch::daemon {
namespace {

template <class T, class R>
void put(const std::vector<T>& v, R* field) {
  field->Reserve(int(v.size()));
  for (const T& x : v) field->Add(x);
}

template <class T, class R>
void get(const R& field, std::vector<T>& v) {
  v.assign(field.begin(), field.end());
}

template <class R, class Span>
void put_span(Span s, R* field) {
  field->Reserve(int(s.size()));
  for (auto x : s) field->Add(x);
}

void summary_to_proto(const core::SizeSummary& s, v1::SizeSummary* p) {
  if (std::isnan(s.mean)) return;
  p->set_min(s.min);
  p->set_max(s.max);
  p->set_mean(s.mean);
}

// The values of tables whose sizes check_data accepted: what add() can produce. Counts are
// >= 0, per-class counts fit the frame and object totals, every histogram sums to what it
// bins, fixed-point sums lie in [0, count * kFixedScale] (every summed value is in [0, 1]),
// and box-size min/max are either the empty-class sentinels or in [0, 1]. Without this a
// corrupt baseline file overflowed Stats::objects_distribution (frames - images_with) and
// fed nonsense into every drift comparison.
std::string check_values(const core::StatsData& d) {
  using Int = __int128;
  const auto nonneg = [](const std::vector<int64_t>& v) {
    return std::all_of(v.begin(), v.end(), [](int64_t x) { return x >= 0; });
  };
  const auto total = [](const int64_t* p, size_t n) {
    Int t = 0;
    for (size_t i = 0; i < n; ++i) t += p[i];
    return t;
  };
  if (d.frames < 0 || d.objects < 0) return "frames and objects must be >= 0";
  struct Named {
    const char* name;
    const std::vector<int64_t>& v;
  };
  for (const Named& t :
       {Named{"objects_of", d.objects_of}, Named{"scored_objects", d.scored_objects},
        Named{"confidence_sum", d.confidence_sum}, Named{"area_sum", d.area_sum},
        Named{"width_sum", d.width_sum}, Named{"height_sum", d.height_sum},
        Named{"box_area_sum", d.box_area_sum}, Named{"cooccurrence", d.cooccurrence},
        Named{"objects_distribution", d.objects_distribution}, Named{"heatmap", d.heatmap},
        Named{"confidence_histogram", d.confidence_histogram},
        Named{"width_histogram", d.width_histogram}, Named{"height_histogram", d.height_histogram},
        Named{"area_histogram", d.area_histogram}, Named{"objects_per_frame", d.objects_per_frame},
        Named{"classes_per_frame", d.classes_per_frame}, Named{"covered_area", d.covered_area}}) {
    if (!nonneg(t.v)) return std::string(t.name) + " holds a negative value";
  }
  for (const Named& t :
       {Named{"objects_per_frame", d.objects_per_frame},
        Named{"classes_per_frame", d.classes_per_frame}, Named{"covered_area", d.covered_area}}) {
    if (total(t.v.data(), t.v.size()) != d.frames) {
      return std::string(t.name) + " does not sum to frames";
    }
  }
  if (total(d.objects_of.data(), d.objects_of.size()) != d.objects) {
    return "objects_of does not sum to objects";
  }
  const core::StatsLayout& l = d.layout;
  const size_t nb = l.objects_buckets(), cells = l.heatmap_cells();
  const Int fixed_one = static_cast<Int>(core::kFixedScale);
  for (size_t c = 0; c < d.num_classes; ++c) {
    const std::string cls = "class " + std::to_string(c) + ": ";
    const int64_t with = d.cooccurrence[c * (c + 1) / 2 + c], n = d.objects_of[c];
    if (with > d.frames || with > n) return cls + "images_with exceeds frames or objects";
    if (d.scored_objects[c] > n) return cls + "scored_objects exceeds objects_of";
    for (size_t b = 0; b < c; ++b) {
      const int64_t pair = d.cooccurrence[c * (c + 1) / 2 + b];
      if (pair > with || pair > d.cooccurrence[b * (b + 1) / 2 + b]) {
        return cls + "co-occurrence with class " + std::to_string(b) + " exceeds images_with";
      }
    }
    const int64_t* dist = d.objects_distribution.data() + c * nb;
    if (dist[0] != 0 || total(dist, nb) != with) {
      return cls + "objects_distribution does not sum to images_with";
    }
    const size_t sb = l.size_bins;
    if (total(d.heatmap.data() + c * cells, cells) != n ||
        total(d.width_histogram.data() + c * sb, sb) != n ||
        total(d.height_histogram.data() + c * sb, sb) != n ||
        total(d.area_histogram.data() + c * sb, sb) != n) {
      return cls + "a heatmap or size histogram does not sum to objects_of";
    }
    const size_t cb = l.confidence_bins;
    if (total(d.confidence_histogram.data() + c * cb, cb) != d.scored_objects[c]) {
      return cls + "confidence_histogram does not sum to scored_objects";
    }
    if (d.confidence_sum[c] > d.scored_objects[c] * fixed_one || d.area_sum[c] > with * fixed_one ||
        d.width_sum[c] > n * fixed_one || d.height_sum[c] > n * fixed_one ||
        d.box_area_sum[c] > n * fixed_one) {
      return cls + "a fixed-point sum exceeds its count";
    }
    const auto min_max_ok = [](float mn, float mx) {
      if (mn == INFINITY && mx == -INFINITY) return true;  // no box yet
      return mn >= 0.0f && mx <= 1.0f && mn <= mx;         // false for NaN
    };
    if (!min_max_ok(d.width_min[c], d.width_max[c]) ||
        !min_max_ok(d.height_min[c], d.height_max[c]) ||
        !min_max_ok(d.box_area_min[c], d.box_area_max[c])) {
      return cls + "box size min/max out of [0, 1]";
    }
  }
  return {};
}

}  // namespace

core::StatsLayout layout_from_proto(const v1::StatsLayout& p) {
  core::StatsLayout l;
  l.heatmap_grid = p.heatmap_grid();
  l.max_objects_bucket = p.max_objects_bucket();
  l.confidence_bins = p.confidence_bins();
  l.size_bins = p.size_bins();
  l.max_objects_per_frame = p.max_objects_per_frame();
  l.max_classes_per_frame = p.max_classes_per_frame();
  l.covered_area_bins = p.covered_area_bins();
  return l;
}

void layout_to_proto(const core::StatsLayout& l, v1::StatsLayout* p) {
  p->set_heatmap_grid(l.heatmap_grid);
  p->set_max_objects_bucket(l.max_objects_bucket);
  p->set_confidence_bins(l.confidence_bins);
  p->set_size_bins(l.size_bins);
  p->set_max_objects_per_frame(l.max_objects_per_frame);
  p->set_max_classes_per_frame(l.max_classes_per_frame);
  p->set_covered_area_bins(l.covered_area_bins);
}

void stats_to_proto(const core::Stats& stats, const std::vector<std::string>& class_names,
                    const StatsSections& sections, v1::Stats* out) {
  const core::StatsData& d = stats.data();
  layout_to_proto(d.layout, out->mutable_layout());
  const uint32_t C = d.num_classes;
  for (uint32_t c = 0; c < C; ++c) out->add_class_names(class_names[c]);
  out->set_frames(d.frames);
  out->set_objects(d.objects);

  if (sections.tables) {
    v1::StatsTables* t = out->mutable_tables();
    t->set_num_classes(C);
    t->set_frames(d.frames);
    t->set_objects(d.objects);
    put(d.objects_of, t->mutable_objects_of());
    put(d.scored_objects, t->mutable_scored_objects());
    put(d.confidence_sum, t->mutable_confidence_sum());
    put(d.area_sum, t->mutable_area_sum());
    put(d.width_sum, t->mutable_width_sum());
    put(d.height_sum, t->mutable_height_sum());
    put(d.box_area_sum, t->mutable_box_area_sum());
    put(d.width_min, t->mutable_width_min());
    put(d.width_max, t->mutable_width_max());
    put(d.height_min, t->mutable_height_min());
    put(d.height_max, t->mutable_height_max());
    put(d.box_area_min, t->mutable_box_area_min());
    put(d.box_area_max, t->mutable_box_area_max());
    put(d.cooccurrence, t->mutable_cooccurrence());
    put(d.objects_distribution, t->mutable_objects_distribution());
    put(d.heatmap, t->mutable_heatmap());
    put(d.confidence_histogram, t->mutable_confidence_histogram());
    put(d.width_histogram, t->mutable_width_histogram());
    put(d.height_histogram, t->mutable_height_histogram());
    put(d.area_histogram, t->mutable_area_histogram());
    put(d.objects_per_frame, t->mutable_objects_per_frame());
    put(d.classes_per_frame, t->mutable_classes_per_frame());
    put(d.covered_area, t->mutable_covered_area());
  }

  // Classes by images, descending (name breaks ties so the order is stable).
  std::vector<core::ClassId> order(C);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](core::ClassId a, core::ClassId b) {
    if (stats.images_with(a) != stats.images_with(b))
      return stats.images_with(a) > stats.images_with(b);
    return class_names[a] < class_names[b];
  });
  // One hash lookup per class (a request may list thousands of names, repeated or not).
  const absl::flat_hash_set<std::string_view> only(sections.only_classes.begin(),
                                                   sections.only_classes.end());
  auto wanted = [&](core::ClassId c) { return only.empty() || only.contains(class_names[c]); };
  const bool any_class_section = sections.class_balance || sections.objects_distribution ||
                                 sections.heatmaps || sections.sizes || sections.confidence;
  if (any_class_section) {
    for (core::ClassId c : order) {
      if (!wanted(c)) continue;
      v1::ClassStats* cs = out->add_classes();
      cs->set_name(class_names[c]);
      if (sections.class_balance) {
        cs->set_images(stats.images_with(c));
        cs->set_objects(stats.objects_of(c));
        cs->set_avg_count_on_image(stats.avg_count_on_image(c));
        cs->set_avg_area_pct(stats.avg_area_pct(c));
        const double mc = stats.mean_confidence(c);
        if (!std::isnan(mc)) cs->set_mean_confidence(mc);
        cs->set_scored_objects(stats.scored_objects(c));
        cs->set_share(d.objects ? double(stats.objects_of(c)) / double(d.objects) : 0.0);
      }
      if (sections.objects_distribution) {
        for (int64_t v : stats.objects_distribution(c)) cs->add_objects_distribution(v);
      }
      if (sections.heatmaps) put_span(stats.heatmap(c), cs->mutable_heatmap());
      if (sections.confidence) {
        put_span(stats.confidence_histogram(c), cs->mutable_confidence_histogram());
      }
      if (sections.sizes) {
        put_span(stats.width_histogram(c), cs->mutable_width_histogram());
        put_span(stats.height_histogram(c), cs->mutable_height_histogram());
        put_span(stats.area_histogram(c), cs->mutable_area_histogram());
        summary_to_proto(stats.width_summary(c), cs->mutable_width());
        summary_to_proto(stats.height_summary(c), cs->mutable_height());
        summary_to_proto(stats.area_summary(c), cs->mutable_area());
      }
    }
  }

  if (sections.cooccurrence) {
    struct Pair {
      core::ClassId a, b;
      int64_t images;
    };
    std::vector<Pair> pairs;
    for (core::ClassId a = 1; a < C; ++a)
      for (core::ClassId b = 0; b < a; ++b)
        if (int64_t n = stats.pair_images(a, b); n > 0) pairs.push_back({a, b, n});
    std::sort(pairs.begin(), pairs.end(), [&](const Pair& x, const Pair& y) {
      if (x.images != y.images) return x.images > y.images;
      return std::tie(class_names[x.a], class_names[x.b]) <
             std::tie(class_names[y.a], class_names[y.b]);
    });
    if (sections.top_pairs && pairs.size() > sections.top_pairs) pairs.resize(sections.top_pairs);
    for (const Pair& p : pairs) {
      v1::PairCount* pc = out->add_pairs();
      const std::string& na = class_names[p.a];
      const std::string& nb = class_names[p.b];
      pc->set_a(std::min(na, nb));
      pc->set_b(std::max(na, nb));
      pc->set_images(p.images);
    }
  }
  if (sections.per_image) {
    put_span(stats.objects_per_frame_histogram(), out->mutable_objects_per_frame());
    put_span(stats.classes_per_frame_histogram(), out->mutable_classes_per_frame());
    put_span(stats.covered_area_histogram(), out->mutable_covered_area());
  }
}

std::string stats_from_proto(const v1::Stats& p, core::StatsData* out,
                             std::vector<std::string>* class_names) {
  if (!p.has_layout()) return "stats.layout is missing";
  if (!p.has_tables()) return "stats.tables is missing (not an exact statistics record)";
  core::StatsData d;
  d.layout = layout_from_proto(p.layout());
  if (std::string err = d.layout.check(); !err.empty()) return "stats.layout: " + err;
  const v1::StatsTables& t = p.tables();
  if (t.num_classes() != uint32_t(p.class_names_size())) {
    return "stats.tables.num_classes is " + std::to_string(t.num_classes()) + " but " +
           std::to_string(p.class_names_size()) + " class names are given";
  }
  d.num_classes = t.num_classes();
  d.frames = t.frames();
  d.objects = t.objects();
  get(t.objects_of(), d.objects_of);
  get(t.scored_objects(), d.scored_objects);
  get(t.confidence_sum(), d.confidence_sum);
  get(t.area_sum(), d.area_sum);
  get(t.width_sum(), d.width_sum);
  get(t.height_sum(), d.height_sum);
  get(t.box_area_sum(), d.box_area_sum);
  get(t.width_min(), d.width_min);
  get(t.width_max(), d.width_max);
  get(t.height_min(), d.height_min);
  get(t.height_max(), d.height_max);
  get(t.box_area_min(), d.box_area_min);
  get(t.box_area_max(), d.box_area_max);
  get(t.cooccurrence(), d.cooccurrence);
  get(t.objects_distribution(), d.objects_distribution);
  get(t.heatmap(), d.heatmap);
  get(t.confidence_histogram(), d.confidence_histogram);
  get(t.width_histogram(), d.width_histogram);
  get(t.height_histogram(), d.height_histogram);
  get(t.area_histogram(), d.area_histogram);
  get(t.objects_per_frame(), d.objects_per_frame);
  get(t.classes_per_frame(), d.classes_per_frame);
  get(t.covered_area(), d.covered_area);
  if (std::string err = core::Stats::check_data(d); !err.empty()) return "stats.tables: " + err;
  if (std::string err = check_values(d); !err.empty()) return "stats.tables: " + err;
  class_names->assign(p.class_names().begin(), p.class_names().end());
  *out = std::move(d);
  return {};
}

}  // namespace predwatch::daemon
