#include "daemon/ingest/event_normalizer.h"

#include <algorithm>
#include <cmath>

namespace predwatch::daemon {

void EventNormalizer::begin(core::Event& event) {
  event.clear();
  raw_.clear();
  has_timestamp_ = false;
}

core::NamedDetection& EventNormalizer::add_detection(core::Event& event, RawDetection*& raw) {
  raw = &raw_.emplace_back();
  return event.detections.emplace_back();
}

DecodeResult EventNormalizer::finish(core::Event& event) {
  if (event.frame_id.empty()) return fail(DecodeError::kMissingField, "frame_id: missing");
  if (event.stream.empty()) return fail(DecodeError::kMissingField, "stream: missing");
  if (!has_timestamp_) return fail(DecodeError::kMissingField, "timestamp: missing");
  if (event.image_uri.size() > kMaxImageUriBytes) {
    return fail(DecodeError::kBadValue, "image.uri: {} bytes; at most {}", event.image_uri.size(),
                kMaxImageUriBytes);
  }
  for (size_t i = 0; i < event.detections.size(); ++i) {
    core::NamedDetection& d = event.detections[i];
    if (d.class_index < -1) {
      return fail(DecodeError::kBadValue, "detections[{}].class_id: {} is negative", i,
                  d.class_index);
    }
    if (d.class_name.empty() && d.class_index < 0) {
      return fail(DecodeError::kMissingField,
                  "detections[{}].class_name: missing (and no class_id)", i);
    }
    if (raw_[i].has_confidence) {
      const float c = d.confidence;
      if (!std::isfinite(c) || c < 0.0f || c > 1.0f) {
        return fail(DecodeError::kBadConfidence, "detections[{}].confidence: {} is not in [0, 1]",
                    i, c);
      }
    } else {
      d.confidence = core::kNoConfidence;
    }
    if (DecodeResult r = normalize_box(event, i); !r.ok()) return r;
  }
  return DecodeResult{};
}

DecodeResult EventNormalizer::normalize_box(core::Event& event, size_t i) {
  core::NamedDetection& d = event.detections[i];
  const RawDetection& raw = raw_[i];
  if (!raw.has_box) return fail(DecodeError::kMissingField, "detections[{}].box: missing", i);
  core::Box& b = d.box;
  if (!std::isfinite(b.x_min) || !std::isfinite(b.y_min) || !std::isfinite(b.x_max) ||
      !std::isfinite(b.y_max)) {
    return fail(DecodeError::kInvalidBox, "detections[{}].box: coordinate is not finite", i);
  }
  if (b.x_min > b.x_max) {
    return fail(DecodeError::kInvalidBox, "detections[{}].box: x_min {} > x_max {}", i, b.x_min,
                b.x_max);
  }
  if (b.y_min > b.y_max) {
    return fail(DecodeError::kInvalidBox, "detections[{}].box: y_min {} > y_max {}", i, b.y_min,
                b.y_max);
  }
  float area_scale = 1.0f;
  if (!raw.normalized) {
    if (event.width == 0 || event.height == 0) {
      return fail(DecodeError::kMissingField,
                  "image: width and height are required for the pixel box of detections[{}]", i);
    }
    const float w = static_cast<float>(event.width);
    const float h = static_cast<float>(event.height);
    b.x_min /= w;
    b.x_max /= w;
    b.y_min /= h;
    b.y_max /= h;
    area_scale = w * h;
  }
  constexpr float kLo = -kBoxClipTolerance, kHi = 1.0f + kBoxClipTolerance;
  if (b.x_min < kLo || b.y_min < kLo || b.x_max > kHi || b.y_max > kHi) {
    return fail(DecodeError::kInvalidBox,
                "detections[{}].box: ({}, {})-({}, {}) lies outside the image by more than {}", i,
                b.x_min, b.y_min, b.x_max, b.y_max, kBoxClipTolerance);
  }
  b.x_min = std::clamp(b.x_min, 0.0f, 1.0f);
  b.y_min = std::clamp(b.y_min, 0.0f, 1.0f);
  b.x_max = std::clamp(b.x_max, 0.0f, 1.0f);
  b.y_max = std::clamp(b.y_max, 0.0f, 1.0f);
  if (raw.has_mask_area) {
    if (!std::isfinite(d.mask_area) || d.mask_area < 0.0f) {
      return fail(DecodeError::kBadValue, "detections[{}].mask_area: {} is not a finite area >= 0",
                  i, d.mask_area);
    }
    d.mask_area = std::min(d.mask_area / area_scale, 1.0f);
  } else {
    d.mask_area = core::kNoMaskArea;
  }
  return DecodeResult{};
}

}  // namespace predwatch::daemon
