#include "daemon/convert/stats_convert.h"

#include <algorithm>
#include <cmath>
#include <numeric>

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
  auto wanted = [&](core::ClassId c) {
    return sections.only_classes.empty() ||
           std::find(sections.only_classes.begin(), sections.only_classes.end(), class_names[c]) !=
               sections.only_classes.end();
  };
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
  class_names->assign(p.class_names().begin(), p.class_names().end());
  *out = std::move(d);
  return {};
}

}  // namespace predwatch::daemon
