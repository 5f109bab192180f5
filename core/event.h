// Decoded prediction events, the form in which every source (Kafka decoders, dataset
// importers, the demo generator) hands frames to the rest of predwatch.
//
// An Event names its classes by string; the stream's ClassRegistry turns it into a Frame
// (core/frame.h) with dense class ids before statistics see it. Strings are views: they
// point into the buffer the event was decoded from and are valid only while that buffer
// lives. Decoders reuse one Event per thread so that the hot path does not allocate.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/frame.h"

namespace predwatch::core {

// A detection as decoded: class by name (and optionally by the model's index), box
// already normalised to [0, 1] of the image.
struct NamedDetection {
  std::string_view class_name;  // may be empty when class_index >= 0
  int32_t class_index = -1;     // the model's class index, -1 when not given
  float confidence = kNoConfidence;
  Box box;                        // normalised
  float mask_area = kNoMaskArea;  // fraction of the image area, or kNoMaskArea
};

struct Event {
  std::string_view frame_id;
  std::string_view stream;
  std::string_view model_name;
  std::string_view model_version;
  int64_t time_ms = 0;  // event time, milliseconds since the Unix epoch
  uint32_t width = 0;   // pixels; 0 when the producer sent only normalised boxes
  uint32_t height = 0;
  std::string_view image_uri;  // where a person can open the image; may be empty
  std::vector<NamedDetection> detections;

  // Empties the event but keeps the detections' capacity.
  void clear() {
    frame_id = stream = model_name = model_version = image_uri = {};
    time_ms = 0;
    width = height = 0;
    detections.clear();
  }
};

}  // namespace predwatch::core
