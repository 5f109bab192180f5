#include "core/stats.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <string>

namespace predwatch::core {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Grows capacity by 1.25x rather than std::vector's 2x: tables are large (the pair table
// is quadratic in classes) and there are as many copies as panes.
template <class T>
void grow_to(std::vector<T>& v, size_t n, T fill = T{}) {
  if (v.size() >= n) return;
  if (n > v.capacity()) v.reserve(std::max(n, v.capacity() + v.capacity() / 4));
  v.resize(n, fill);
}

template <class D, class S>
void add_prefix(std::vector<D>& dst, const std::vector<S>& src, int sign) {
  assert(dst.size() >= src.size());
  const size_t n = src.size();
  D* d = dst.data();
  const S* s = src.data();
  if (sign > 0) {
    for (size_t i = 0; i < n; ++i) d[i] += D(s[i]);
  } else {
    for (size_t i = 0; i < n; ++i) d[i] -= D(s[i]);
  }
}

void min_prefix(std::vector<float>& dst, const std::vector<float>& src) {
  for (size_t i = 0; i < src.size(); ++i) dst[i] = std::min(dst[i], src[i]);
}
void max_prefix(std::vector<float>& dst, const std::vector<float>& src) {
  for (size_t i = 0; i < src.size(); ++i) dst[i] = std::max(dst[i], src[i]);
}

}  // namespace

// ---- BasicStatsData -----------------------------------------------------------------------

template <class Count>
void BasicStatsData<Count>::init() {
  objects_per_frame.assign(layout.objects_per_frame_buckets(), 0);
  classes_per_frame.assign(layout.classes_per_frame_buckets(), 0);
  covered_area.assign(layout.covered_area_bins, 0);
}

template <class Count>
void BasicStatsData<Count>::grow(uint32_t classes) {
  if (classes <= num_classes) return;
  const size_t c = classes;
  for (auto* v : {&objects_of, &scored_objects}) grow_to(*v, c);
  for (auto* v : {&confidence_sum, &area_sum, &width_sum, &height_sum, &box_area_sum}) {
    grow_to(*v, c);
  }
  for (auto* v : {&width_min, &height_min, &box_area_min}) grow_to(*v, c, kInf);
  for (auto* v : {&width_max, &height_max, &box_area_max}) grow_to(*v, c, -kInf);
  grow_to(cooccurrence, c * (c + 1) / 2);
  grow_to(objects_distribution, c * layout.objects_buckets());
  grow_to(heatmap, c * layout.heatmap_cells());
  grow_to(confidence_histogram, c * layout.confidence_bins);
  for (auto* v : {&width_histogram, &height_histogram, &area_histogram}) {
    grow_to(*v, c * layout.size_bins);
  }
  num_classes = classes;
}

template <class Count>
void BasicStatsData<Count>::zero() {
  frames = objects = 0;
  for (auto* v : {&objects_of, &scored_objects, &cooccurrence, &objects_distribution, &heatmap,
                  &confidence_histogram, &width_histogram, &height_histogram, &area_histogram,
                  &objects_per_frame, &classes_per_frame, &covered_area}) {
    std::fill(v->begin(), v->end(), Count{0});
  }
  for (auto* v : {&confidence_sum, &area_sum, &width_sum, &height_sum, &box_area_sum}) {
    std::fill(v->begin(), v->end(), 0);
  }
  reset_min_max();
}

template <class Count>
void BasicStatsData<Count>::reset_min_max() {
  for (auto* v : {&width_min, &height_min, &box_area_min}) std::fill(v->begin(), v->end(), kInf);
  for (auto* v : {&width_max, &height_max, &box_area_max}) std::fill(v->begin(), v->end(), -kInf);
}

template <class Count>
template <class Other>
void BasicStatsData<Count>::combine_min_max(const BasicStatsData<Other>& o) {
  grow(o.num_classes);
  min_prefix(width_min, o.width_min);
  min_prefix(height_min, o.height_min);
  min_prefix(box_area_min, o.box_area_min);
  max_prefix(width_max, o.width_max);
  max_prefix(height_max, o.height_max);
  max_prefix(box_area_max, o.box_area_max);
}

template <class Count>
size_t BasicStatsData<Count>::bytes() const {
  size_t n = 0;
  for (auto* v : {&objects_of, &scored_objects, &cooccurrence, &objects_distribution, &heatmap,
                  &confidence_histogram, &width_histogram, &height_histogram, &area_histogram,
                  &objects_per_frame, &classes_per_frame, &covered_area}) {
    n += v->capacity() * sizeof(Count);
  }
  for (auto* v : {&confidence_sum, &area_sum, &width_sum, &height_sum, &box_area_sum}) {
    n += v->capacity() * sizeof(int64_t);
  }
  for (auto* v : {&width_min, &height_min, &box_area_min, &width_max, &height_max, &box_area_max}) {
    n += v->capacity() * sizeof(float);
  }
  return n;
}

template struct BasicStatsData<int64_t>;
template struct BasicStatsData<uint32_t>;
template void BasicStatsData<int64_t>::combine_min_max(const BasicStatsData<uint32_t>&);
template void BasicStatsData<int64_t>::combine_min_max(const BasicStatsData<int64_t>&);

// ---- FrameDigester ------------------------------------------------------------------------

namespace {

// Maps a float to a uint32 whose unsigned order is the float order.
uint32_t sortable(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

// Sorts the 2n edge keys (value bits << 32 | box << 1 | is_max) and writes the distinct
// values to `values` and each box's edge ranks to lo/hi.
void rank_edges(std::vector<uint64_t>& keys, std::vector<float>& values, std::vector<uint32_t>& lo,
                std::vector<uint32_t>& hi) {
  std::sort(keys.begin(), keys.end());
  values.clear();
  uint32_t prev = 0;
  for (uint64_t k : keys) {
    const uint32_t bits = uint32_t(k >> 32);
    if (values.empty() || bits != prev) {
      const uint32_t u = (bits & 0x80000000u) ? (bits & 0x7fffffffu) : ~bits;
      float f;
      std::memcpy(&f, &u, sizeof f);
      values.push_back(f);
      prev = bits;
    }
    const uint32_t tag = uint32_t(k);
    (tag & 1 ? hi : lo)[tag >> 1] = uint32_t(values.size() - 1);
  }
}

}  // namespace

// Union area by coordinate compression: the distinct x edges cut the plane into slabs, the
// distinct y edges into intervals; each slab gets a bitmask of the y intervals some box
// covers, and the covered length is summed over the runs of set bits. These are the slabs
// and merged runs of core::union_area's sweep, with the same floating-point operations in
// the same order, hence bit-identical results (the tests rely on it), but without
// allocating and without the sweep's O(k) branchy scan and sort per slab. The bitmasks cost
// O(n^3 / 16) word operations and n^2 / 4 bytes, so above kSlabBoxes boxes the segment-tree
// sweep takes over (O(n log n); equal up to rounding).
double FrameDigester::union_area(std::span<const Box> boxes) {
  const size_t n = boxes.size();
  if (n == 0) return 0.0;
  if (n == 1) return std::max(0.0, double(boxes[0].area()));
  if (n > kSlabBoxes) return union_area_swept(boxes, swept_);
  xkeys_.clear();
  ykeys_.clear();
  for (size_t i = 0; i < n; ++i) {
    const Box& b = boxes[i];
    xkeys_.push_back(uint64_t(sortable(b.x_min)) << 32 | (i << 1));
    xkeys_.push_back(uint64_t(sortable(b.x_max)) << 32 | (i << 1 | 1));
    ykeys_.push_back(uint64_t(sortable(b.y_min)) << 32 | (i << 1));
    ykeys_.push_back(uint64_t(sortable(b.y_max)) << 32 | (i << 1 | 1));
  }
  x0_.resize(n);
  x1_.resize(n);
  y0_.resize(n);
  y1_.resize(n);
  rank_edges(xkeys_, xs_, x0_, x1_);
  rank_edges(ykeys_, ys_, y0_, y1_);
  if (xs_.size() < 2 || ys_.size() < 2) return 0.0;
  const size_t slabs = xs_.size() - 1, intervals = ys_.size() - 1;
  const size_t words = (intervals + 63) / 64;
  cols_.assign(slabs * words, 0);
  for (size_t i = 0; i < n; ++i) {
    const size_t xa = x0_[i], xb = x1_[i], ya = y0_[i], yb = y1_[i];
    if (xb <= xa || yb <= ya) continue;  // no area: the sweep skips it too
    for (size_t w = ya / 64; w * 64 < yb; ++w) {
      const size_t lo = std::max(ya, w * 64) - w * 64, hi = std::min(yb, w * 64 + 64) - w * 64;
      const uint64_t upto_hi = hi == 64 ? ~uint64_t{0} : (uint64_t{1} << hi) - 1;
      const uint64_t mask = upto_hi & ~((uint64_t{1} << lo) - 1);
      uint64_t* col = cols_.data() + w;
      for (size_t s = xa; s < xb; ++s) col[s * words] |= mask;
    }
  }
  double total = 0.0;
  for (size_t s = 0; s < slabs; ++s) {
    const uint64_t* col = cols_.data() + s * words;
    // Runs of set bits: a run starts at a set bit whose lower neighbour is clear and ends at
    // a set bit whose upper neighbour is clear (neighbours may be in the adjacent word).
    double covered = 0.0;
    bool any = false;
    size_t run_start = 0;
    for (size_t w = 0; w < words; ++w) {
      const uint64_t m = col[w];
      if (m == 0) continue;
      const uint64_t below = (m << 1) | (w > 0 ? col[w - 1] >> 63 : 0);
      const uint64_t above = (m >> 1) | (w + 1 < words ? col[w + 1] << 63 : 0);
      uint64_t starts = m & ~below, ends = m & ~above;
      // Starts and ends alternate: start <= end within a run.
      while (starts | ends) {
        const size_t si = starts ? size_t(__builtin_ctzll(starts)) : 64;
        const size_t ei = ends ? size_t(__builtin_ctzll(ends)) : 64;
        if (si <= ei && starts) {
          run_start = w * 64 + si;
          starts &= starts - 1;
        } else {
          covered += double(ys_[w * 64 + ei + 1]) - ys_[run_start];
          any = true;
          ends &= ends - 1;
        }
      }
    }
    if (!any) continue;
    total += covered * (double(xs_[s + 1]) - xs_[s]);
  }
  return total;
}

namespace {
// First raster column (or row) whose centre (i + 0.5) / kRaster is >= v, clamped to
// [0, kRaster]. v * kRaster - 0.5 is exact in double for a float v.
int raster_edge(float v) {
  const double x = double(v) * FrameDigester::kRaster - 0.5;
  if (!(x > 0)) return 0;  // also NaN
  if (x >= FrameDigester::kRaster) return FrameDigester::kRaster;
  const int t = int(x);  // x > 0: truncation is floor; ceil without libm or SSE4.1
  return t + (double(t) < x);
}
}  // namespace

// raster_ is all zero between calls: the rows touched are counted and cleared together.
double FrameDigester::covered_fraction(const std::vector<Detection>& dets) {
  int row_lo = kRaster, row_hi = 0;
  for (const Detection& d : dets) {
    const Box& b = d.box;
    const int x0 = raster_edge(b.x_min), x1 = raster_edge(b.x_max);
    const int y0 = raster_edge(b.y_min), y1 = raster_edge(b.y_max);
    if (x1 <= x0 || y1 <= y0) continue;
    const uint64_t upto = x1 == 64 ? ~uint64_t{0} : (uint64_t{1} << x1) - 1;
    const uint64_t mask = upto & ~((uint64_t{1} << x0) - 1);
    for (int y = y0; y < y1; ++y) raster_[y] |= mask;
    row_lo = std::min(row_lo, y0);
    row_hi = std::max(row_hi, y1);
  }
  int cells = 0;
  for (int y = row_lo; y < row_hi; ++y) {
    // Population count without relying on the POPCNT instruction (not in baseline x86-64).
    uint64_t v = raster_[y];
    raster_[y] = 0;
    v = v - ((v >> 1) & 0x5555555555555555ull);
    v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
    v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
    cells += int((v * 0x0101010101010101ull) >> 56);
  }
  return double(cells) / (kRaster * kRaster);
}

void FrameDigester::digest(const Frame& frame, const StatsLayout& layout, FrameDigest& out) {
  const std::vector<Detection>& dets = frame.detections;
  const size_t n = dets.size();
  out.objects.resize(n);
  out.classes.clear();
  keys_.resize(n);
  uint32_t limit = 0;
  for (size_t i = 0; i < n; ++i) {
    const Detection& d = dets[i];
    FrameDigest::Object& o = out.objects[i];
    o.class_id = d.class_id;
    o.cell = uint16_t(layout.heatmap_cell(d.box));
    o.confidence = d.confidence;
    o.confidence_bin =
        d.has_confidence() ? uint8_t(layout.confidence_bin(d.confidence)) : FrameDigest::kUnscored;
    o.width = d.box.width();
    o.height = d.box.height();
    o.area = d.box.area();
    o.width_bin = uint8_t(layout.size_bin(o.width));
    o.height_bin = uint8_t(layout.size_bin(o.height));
    o.area_bin = uint8_t(layout.size_bin(o.area));
    keys_[i] = uint64_t(d.class_id) << 32 | i;
    limit = std::max(limit, d.class_id + 1);
  }
  out.class_limit = limit;
  std::sort(keys_.begin(), keys_.end());
  for (size_t i = 0; i < n;) {
    const ClassId c = ClassId(keys_[i] >> 32);
    size_t j = i + 1;
    while (j < n && ClassId(keys_[j] >> 32) == c) ++j;
    double u;
    if (j - i == 1) {
      u = std::max(0.0, double(dets[uint32_t(keys_[i])].box.area()));  // as union_area does
    } else {
      boxes_.clear();
      for (size_t k = i; k < j; ++k) boxes_.push_back(dets[uint32_t(keys_[k])].box);
      u = union_area(boxes_);
    }
    out.classes.push_back({c, uint32_t(j - i), to_fixed(u)});
    i = j;
  }
  out.covered_bin = layout.covered_area_bin(covered_fraction(dets));
  out.objects_bucket = StatsLayout::count_bucket(n, layout.max_objects_per_frame);
  out.classes_bucket = StatsLayout::count_bucket(out.classes.size(), layout.max_classes_per_frame);
}

// ---- apply / merge ------------------------------------------------------------------------

template <class Count>
void apply_digest(BasicStatsData<Count>& d, const FrameDigest& g, int sign, bool update_min_max) {
  d.grow(g.class_limit);
  const Count s = sign > 0 ? Count(1) : Count(-1);  // modular for unsigned counters
  const int64_t s64 = sign > 0 ? 1 : -1;
  const StatsLayout& L = d.layout;
  const size_t cells = L.heatmap_cells(), cbins = L.confidence_bins, sbins = L.size_bins;
  const size_t obuckets = L.objects_buckets();
  d.frames += s;
  d.objects += s * Count(g.objects.size());
  for (const FrameDigest::Object& o : g.objects) {
    const size_t c = o.class_id;
    d.objects_of[c] += s;
    d.heatmap[c * cells + o.cell] += s;
    if (o.confidence_bin != FrameDigest::kUnscored) {
      d.scored_objects[c] += s;
      d.confidence_sum[c] += s64 * to_fixed(o.confidence);
      d.confidence_histogram[c * cbins + o.confidence_bin] += s;
    }
    d.width_histogram[c * sbins + o.width_bin] += s;
    d.height_histogram[c * sbins + o.height_bin] += s;
    d.area_histogram[c * sbins + o.area_bin] += s;
    d.width_sum[c] += s64 * to_fixed(o.width);
    d.height_sum[c] += s64 * to_fixed(o.height);
    d.box_area_sum[c] += s64 * to_fixed(o.area);
    if (update_min_max) fold_min_max(d, o);
  }
  Count* co = d.cooccurrence.data();
  const size_t m = g.classes.size();
  for (size_t j = 0; j < m; ++j) {
    const FrameDigest::Class& e = g.classes[j];
    const size_t a = e.class_id;
    const size_t row = a * (a + 1) / 2;
    co[row + a] += s;
    for (size_t i = 0; i < j; ++i) co[row + g.classes[i].class_id] += s;
    d.area_sum[a] += s64 * e.area_fixed;
    d.objects_distribution[a * obuckets +
                           StatsLayout::count_bucket(e.count, L.max_objects_bucket)] += s;
  }
  d.objects_per_frame[g.objects_bucket] += s;
  d.classes_per_frame[g.classes_bucket] += s;
  d.covered_area[g.covered_bin] += s;
}

template void apply_digest(BasicStatsData<int64_t>&, const FrameDigest&, int, bool);
template void apply_digest(BasicStatsData<uint32_t>&, const FrameDigest&, int, bool);

template <class Dst, class Src>
void merge_data(BasicStatsData<Dst>& dst, const BasicStatsData<Src>& src, int sign) {
  assert(dst.layout == src.layout);
  dst.grow(src.num_classes);
  if (sign > 0) {
    dst.frames += Dst(src.frames);
    dst.objects += Dst(src.objects);
  } else {
    dst.frames -= Dst(src.frames);
    dst.objects -= Dst(src.objects);
  }
  add_prefix(dst.objects_of, src.objects_of, sign);
  add_prefix(dst.scored_objects, src.scored_objects, sign);
  add_prefix(dst.confidence_sum, src.confidence_sum, sign);
  add_prefix(dst.area_sum, src.area_sum, sign);
  add_prefix(dst.width_sum, src.width_sum, sign);
  add_prefix(dst.height_sum, src.height_sum, sign);
  add_prefix(dst.box_area_sum, src.box_area_sum, sign);
  add_prefix(dst.cooccurrence, src.cooccurrence, sign);
  add_prefix(dst.objects_distribution, src.objects_distribution, sign);
  add_prefix(dst.heatmap, src.heatmap, sign);
  add_prefix(dst.confidence_histogram, src.confidence_histogram, sign);
  add_prefix(dst.width_histogram, src.width_histogram, sign);
  add_prefix(dst.height_histogram, src.height_histogram, sign);
  add_prefix(dst.area_histogram, src.area_histogram, sign);
  add_prefix(dst.objects_per_frame, src.objects_per_frame, sign);
  add_prefix(dst.classes_per_frame, src.classes_per_frame, sign);
  add_prefix(dst.covered_area, src.covered_area, sign);
  if (sign > 0) dst.combine_min_max(src);
}

template void merge_data(BasicStatsData<int64_t>&, const BasicStatsData<int64_t>&, int);
template void merge_data(BasicStatsData<int64_t>&, const BasicStatsData<uint32_t>&, int);

// ---- Stats --------------------------------------------------------------------------------

Stats::Stats(const StatsLayout& layout) {
  assert(layout.check().empty());
  d_.layout = layout;
  d_.init();
  zeros_.assign(std::max({size_t(layout.heatmap_cells()), size_t(layout.confidence_bins),
                          size_t(layout.size_bins)}),
                0);
}

void Stats::add(const Frame& frame) {
  digester_.digest(frame, d_.layout, digest_);
  apply_digest(d_, digest_, +1, true);
}

void Stats::subtract(const Frame& frame) {
  digester_.digest(frame, d_.layout, digest_);
  apply_digest(d_, digest_, -1, false);
}

void Stats::apply(const FrameDigest& digest, int sign, bool update_min_max) {
  apply_digest(d_, digest, sign, update_min_max && sign > 0);
}

void Stats::merge(const Stats& other, int sign) { merge_data(d_, other.d_, sign); }

double Stats::avg_count_on_image(ClassId c) const {
  const int64_t images = images_with(c);
  return images > 0 ? double(d_.objects_of[c]) / double(images)
                    : std::numeric_limits<double>::quiet_NaN();
}

double Stats::avg_area_pct(ClassId c) const {
  const int64_t images = images_with(c);
  return images > 0 ? 100.0 * (double(d_.area_sum[c]) / kFixedScale) / double(images)
                    : std::numeric_limits<double>::quiet_NaN();
}

double Stats::mean_confidence(ClassId c) const {
  const int64_t n = scored_objects(c);
  return n > 0 ? double(d_.confidence_sum[c]) / kFixedScale / double(n)
               : std::numeric_limits<double>::quiet_NaN();
}

int64_t Stats::pair_images(ClassId a, ClassId b) const {
  if (a < b) std::swap(a, b);
  return a < d_.num_classes ? d_.cooccurrence[tri(a, b)] : 0;
}

std::vector<int64_t> Stats::objects_distribution(ClassId c) const {
  const size_t nb = d_.layout.objects_buckets();
  std::vector<int64_t> out(nb, 0);
  if (c < d_.num_classes) {
    std::copy_n(d_.objects_distribution.begin() + c * nb, nb, out.begin());
  }
  out[0] = d_.frames - images_with(c);
  return out;
}

std::span<const int64_t> Stats::per_class(const std::vector<int64_t>& v, ClassId c,
                                          size_t n) const {
  if (c >= d_.num_classes) return {zeros_.data(), n};
  return {v.data() + size_t(c) * n, n};
}

std::span<const int64_t> Stats::heatmap(ClassId c) const {
  return per_class(d_.heatmap, c, d_.layout.heatmap_cells());
}
std::span<const int64_t> Stats::confidence_histogram(ClassId c) const {
  return per_class(d_.confidence_histogram, c, d_.layout.confidence_bins);
}
std::span<const int64_t> Stats::width_histogram(ClassId c) const {
  return per_class(d_.width_histogram, c, d_.layout.size_bins);
}
std::span<const int64_t> Stats::height_histogram(ClassId c) const {
  return per_class(d_.height_histogram, c, d_.layout.size_bins);
}
std::span<const int64_t> Stats::area_histogram(ClassId c) const {
  return per_class(d_.area_histogram, c, d_.layout.size_bins);
}

SizeSummary Stats::summary(ClassId c, const std::vector<int64_t>& sum, const std::vector<float>& mn,
                           const std::vector<float>& mx) const {
  SizeSummary s;
  if (c >= d_.num_classes || d_.objects_of[c] <= 0) return s;
  s.mean = double(sum[c]) / kFixedScale / double(d_.objects_of[c]);
  if (mn[c] <= mx[c]) {
    s.min = mn[c];
    s.max = mx[c];
  }
  return s;
}

SizeSummary Stats::width_summary(ClassId c) const {
  return summary(c, d_.width_sum, d_.width_min, d_.width_max);
}
SizeSummary Stats::height_summary(ClassId c) const {
  return summary(c, d_.height_sum, d_.height_min, d_.height_max);
}
SizeSummary Stats::area_summary(ClassId c) const {
  return summary(c, d_.box_area_sum, d_.box_area_min, d_.box_area_max);
}

Stats Stats::from_data(const StatsData& data) {
  assert(check_data(data).empty());
  Stats s(data.layout);
  s.d_ = data;
  return s;
}

std::string Stats::check_data(const StatsData& d) {
  if (std::string e = d.layout.check(); !e.empty()) return "stats layout: " + e;
  const size_t c = d.num_classes;
  auto bad = [&](const char* name, size_t have, size_t want) -> std::string {
    if (have == want) return {};
    return std::string("stats table ") + name + ": " + std::to_string(have) + " values, expected " +
           std::to_string(want);
  };
  std::string e;
  auto check = [&](const char* name, size_t have, size_t want) {
    if (e.empty()) e = bad(name, have, want);
  };
  check("objects_of", d.objects_of.size(), c);
  check("scored_objects", d.scored_objects.size(), c);
  check("confidence_sum", d.confidence_sum.size(), c);
  check("area_sum", d.area_sum.size(), c);
  check("width_sum", d.width_sum.size(), c);
  check("height_sum", d.height_sum.size(), c);
  check("box_area_sum", d.box_area_sum.size(), c);
  check("width_min", d.width_min.size(), c);
  check("width_max", d.width_max.size(), c);
  check("height_min", d.height_min.size(), c);
  check("height_max", d.height_max.size(), c);
  check("box_area_min", d.box_area_min.size(), c);
  check("box_area_max", d.box_area_max.size(), c);
  check("cooccurrence", d.cooccurrence.size(), c * (c + 1) / 2);
  check("objects_distribution", d.objects_distribution.size(), c * d.layout.objects_buckets());
  check("heatmap", d.heatmap.size(), c * d.layout.heatmap_cells());
  check("confidence_histogram", d.confidence_histogram.size(), c * d.layout.confidence_bins);
  check("width_histogram", d.width_histogram.size(), c * d.layout.size_bins);
  check("height_histogram", d.height_histogram.size(), c * d.layout.size_bins);
  check("area_histogram", d.area_histogram.size(), c * d.layout.size_bins);
  check("objects_per_frame", d.objects_per_frame.size(), d.layout.objects_per_frame_buckets());
  check("classes_per_frame", d.classes_per_frame.size(), d.layout.classes_per_frame_buckets());
  check("covered_area", d.covered_area.size(), d.layout.covered_area_bins);
  return e;
}

}  // namespace predwatch::core
