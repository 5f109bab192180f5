#include "core/suspicious.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>

#include "core/box_geometry.h"

namespace predwatch::core {
namespace {

constexpr double kEdgeSlack = 1e-6;

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
  char buf[256];
  va_list args;
  va_start(args, fmt);
  int n = std::vsnprintf(buf, sizeof(buf), fmt, args);
  va_end(args);
  return std::string(buf, static_cast<size_t>(std::clamp(n, 0, int(sizeof(buf)) - 1)));
}

// NumPy's default percentile (linear, "type 7") on sorted values.
double quantile_sorted(const std::vector<uint32_t>& v, double p) {
  double h = (static_cast<double>(v.size()) - 1) * p;
  size_t lo = static_cast<size_t>(std::floor(h));
  size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (h - static_cast<double>(lo)) * (static_cast<double>(v[hi]) - v[lo]);
}

std::string class_key(const NamedDetection& d) {
  if (!d.class_name.empty()) return std::string(d.class_name);
  return "#" + std::to_string(d.class_index);
}

}  // namespace

std::string_view suspicion_reason_name(SuspicionReason reason) {
  switch (reason) {
    case SuspicionReason::kDuplicateBox:
      return "duplicate_box";
    case SuspicionReason::kDegenerateBox:
      return "degenerate_box";
    case SuspicionReason::kUnknownCategory:
      return "unknown_category";
    case SuspicionReason::kClassCountOutlier:
      return "class_count_outlier";
  }
  return "unknown";
}

double class_count_threshold(std::vector<uint32_t>& counts, const SuspiciousOptions& options) {
  std::sort(counts.begin(), counts.end());
  double q1 = quantile_sorted(counts, 0.25), q3 = quantile_sorted(counts, 0.75);
  return std::max(q3 + options.outlier_iqr_factor * (q3 - q1),
                  static_cast<double>(options.outlier_floor));
}

SuspiciousChecker::SuspiciousChecker(SuspiciousOptions options) : options_(options) {}

SuspiciousRecord SuspiciousChecker::make_record(std::string_view image, SuspicionReason reason,
                                                std::string_view class_name,
                                                std::string_view detail) {
  return {std::string(image), reason, std::string(class_name), std::string(detail)};
}

uint32_t SuspiciousChecker::class_slot(const NamedDetection& d) {
  key_ = class_key(d);
  auto [it, inserted] = class_ids_.try_emplace(key_, static_cast<uint32_t>(classes_.size()));
  if (inserted) classes_.push_back({key_, {}});
  return it->second;
}

std::string_view SuspiciousChecker::image_name(uint32_t ordinal) const {
  uint32_t begin = ordinal == 0 ? 0 : image_name_end_[ordinal - 1];
  return std::string_view(image_names_).substr(begin, image_name_end_[ordinal] - begin);
}

void SuspiciousChecker::check_image(const Event& event, std::vector<SuspiciousRecord>& out) {
  const auto& dets = event.detections;
  uint32_t ordinal = static_cast<uint32_t>(image_name_end_.size());
  image_names_.append(event.frame_id);
  image_name_end_.push_back(static_cast<uint32_t>(image_names_.size()));

  slot_of_detection_.resize(dets.size());
  for (size_t i = 0; i < dets.size(); ++i) {
    slot_of_detection_[i] = class_slot(dets[i]);
    const Box& b = dets[i].box;
    const char* problem = nullptr;
    if (!std::isfinite(b.x_min) || !std::isfinite(b.y_min) || !std::isfinite(b.x_max) ||
        !std::isfinite(b.y_max)) {
      problem = "has a non-finite coordinate";
    } else if (!(b.x_max > b.x_min) || !(b.y_max > b.y_min)) {
      problem = "has non-positive width or height";
    } else if (b.x_min < -kEdgeSlack || b.y_min < -kEdgeSlack || b.x_max > 1 + kEdgeSlack ||
               b.y_max > 1 + kEdgeSlack) {
      problem = "lies partly outside the image";
    }
    if (problem) {
      out.push_back({std::string(event.frame_id), SuspicionReason::kDegenerateBox,
                     classes_[slot_of_detection_[i]].name,
                     format("box #%zu (%.4g, %.4g)-(%.4g, %.4g) %s", i, b.x_min, b.y_min, b.x_max,
                            b.y_max, problem)});
    }
  }

  // Group detections by class: order_ holds detection indices sorted by class slot.
  order_.resize(dets.size());
  for (size_t i = 0; i < dets.size(); ++i) order_[i] = static_cast<uint32_t>(i);
  std::stable_sort(order_.begin(), order_.end(), [&](uint32_t a, uint32_t b) {
    return slot_of_detection_[a] < slot_of_detection_[b];
  });
  for (size_t g = 0; g < order_.size();) {
    uint32_t slot = slot_of_detection_[order_[g]];
    size_t end = g;
    while (end < order_.size() && slot_of_detection_[order_[end]] == slot) ++end;
    classes_[slot].per_image.emplace_back(ordinal, static_cast<uint32_t>(end - g));
    for (size_t a = g; a < end; ++a) {
      for (size_t b = a + 1; b < end; ++b) {
        double overlap = iou(dets[order_[a]].box, dets[order_[b]].box);
        if (overlap >= options_.duplicate_iou) {
          out.push_back(
              {std::string(event.frame_id), SuspicionReason::kDuplicateBox, classes_[slot].name,
               format("boxes #%u and #%u overlap with IoU %.3f", order_[a], order_[b], overlap)});
        }
      }
    }
    g = end;
  }
}

std::vector<SuspiciousRecord> SuspiciousChecker::finish() const {
  std::vector<uint32_t> by_name(classes_.size());
  for (size_t i = 0; i < by_name.size(); ++i) by_name[i] = static_cast<uint32_t>(i);
  std::sort(by_name.begin(), by_name.end(),
            [&](uint32_t a, uint32_t b) { return classes_[a].name < classes_[b].name; });
  std::vector<SuspiciousRecord> out;
  std::vector<uint32_t> counts;
  for (uint32_t c : by_name) {
    const ClassCounts& cc = classes_[c];
    if (cc.per_image.size() < options_.outlier_min_images || cc.per_image.empty()) continue;
    counts.clear();
    for (auto [img, n] : cc.per_image) counts.push_back(n);
    double q1, q3;
    double threshold = class_count_threshold(counts, options_);
    q1 = quantile_sorted(counts, 0.25);
    q3 = quantile_sorted(counts, 0.75);
    for (auto [img, n] : cc.per_image) {
      if (n > threshold) {
        out.push_back(
            {std::string(image_name(img)), SuspicionReason::kClassCountOutlier, cc.name,
             format("%u objects; usual range over the %zu images with the class: Q1 %.4g, Q3 %.4g, "
                    "threshold %.4g",
                    n, cc.per_image.size(), q1, q3, threshold)});
      }
    }
  }
  return out;
}

}  // namespace predwatch::core
