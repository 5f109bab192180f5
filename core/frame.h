// A Frame is one image with its detections, classes resolved to dense ids. It is the unit
// every statistic in core/ consumes.
//
// Boxes are normalised: x and y are fractions of the image width and height, with
// 0 <= x_min <= x_max <= 1 and likewise for y (decoders clip and validate before building
// a Frame). Pixel sizes are recovered from width/height when those are known (non-zero).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace predwatch::core {

using ClassId = uint32_t;

// Marks a detection without a score (ground truth).
inline constexpr float kNoConfidence = -1.0f;
// Marks a detection without a mask.
inline constexpr float kNoMaskArea = -1.0f;

struct Box {
  float x_min = 0, y_min = 0, x_max = 0, y_max = 0;

  float width() const { return x_max - x_min; }
  float height() const { return y_max - y_min; }
  float area() const { return width() * height(); }
  float center_x() const { return 0.5f * (x_min + x_max); }
  float center_y() const { return 0.5f * (y_min + y_max); }
};

struct Detection {
  ClassId class_id = 0;
  float confidence = kNoConfidence;  // in [0, 1], or kNoConfidence
  Box box;                           // normalised
  float mask_area = kNoMaskArea;     // fraction of the image, or kNoMaskArea

  bool has_confidence() const { return confidence >= 0.0f; }
};

struct Frame {
  std::string frame_id;
  int64_t time_ms = 0;  // event time, milliseconds since the Unix epoch
  uint32_t width = 0;   // pixels, 0 when unknown
  uint32_t height = 0;
  std::string image_uri;  // empty when the event had none
  std::vector<Detection> detections;

  void clear() {
    frame_id.clear();
    image_uri.clear();
    time_ms = 0;
    width = height = 0;
    detections.clear();
  }
};

}  // namespace predwatch::core
