// The invariants every successfully decoded core::Event must satisfy (event_normalizer.h,
// core/frame.h), shared by the decoder fuzz targets.
#pragma once

#include <simdjson.h>

#include <cmath>
#include <string>
#include <string_view>

#include "core/event.h"
#include "daemon/ingest/decode_result.h"
#include "tests/fuzz/fuzz_check.h"

namespace predwatch::fuzz {

inline bool in_unit(float v) { return std::isfinite(v) && v >= 0.0f && v <= 1.0f; }

inline void check_decoded_event(const daemon::DecodeResult& r, const core::Event& e) {
  if (!r.ok()) {
    FUZZ_CHECK(!r.message.empty(), "error %d without a message", static_cast<int>(r.error));
    FUZZ_CHECK(static_cast<size_t>(r.error) < daemon::kDecodeErrorCount, "error %d",
               static_cast<int>(r.error));
    FUZZ_CHECK(!daemon::decode_error_name(r.error).empty(), "unnamed error");
    return;
  }
  FUZZ_CHECK(r.message.empty(), "ok with a message");
  FUZZ_CHECK(!e.frame_id.empty(), "ok without frame_id");
  FUZZ_CHECK(!e.stream.empty(), "ok without stream");
  for (size_t i = 0; i < e.detections.size(); ++i) {
    const core::NamedDetection& d = e.detections[i];
    const core::Box& b = d.box;
    FUZZ_CHECK(in_unit(b.x_min) && in_unit(b.y_min) && in_unit(b.x_max) && in_unit(b.y_max),
               "detections[%zu].box (%g, %g)-(%g, %g) not in [0, 1]", i, b.x_min, b.y_min, b.x_max,
               b.y_max);
    FUZZ_CHECK(b.x_min <= b.x_max && b.y_min <= b.y_max, "detections[%zu].box inverted", i);
    FUZZ_CHECK(d.confidence == core::kNoConfidence || in_unit(d.confidence),
               "detections[%zu].confidence %g", i, d.confidence);
    FUZZ_CHECK(d.mask_area == core::kNoMaskArea || in_unit(d.mask_area),
               "detections[%zu].mask_area %g", i, d.mask_area);
    FUZZ_CHECK(!d.class_name.empty() || d.class_index >= 0,
               "detections[%zu] has neither class name nor index", i);
    FUZZ_CHECK(d.class_index >= -1, "detections[%zu].class_index %d", i, d.class_index);
  }
  // The views must be readable (ASan catches a dangling one here).
  std::string copy(e.frame_id);
  copy.append(e.stream).append(e.model_name).append(e.model_version);
  for (const auto& d : e.detections) copy.append(d.class_name);
  FUZZ_CHECK(copy.size() >= e.frame_id.size() + e.stream.size(), "copy");
  // Every name is UTF-8: the gRPC API (proto3 strings), the metrics' labels and the web
  // view's JSON carry them, and one invalid name makes every answer that lists it fail.
  auto utf8 = [](std::string_view v) { return simdjson::validate_utf8(v.data(), v.size()); };
  FUZZ_CHECK(utf8(e.frame_id) && utf8(e.stream) && utf8(e.model_name) && utf8(e.model_version) &&
                 utf8(e.image_uri),
             "a name or URI that is not UTF-8");
  for (size_t i = 0; i < e.detections.size(); ++i)
    FUZZ_CHECK(utf8(e.detections[i].class_name), "detections[%zu].class_name not UTF-8", i);
}

}  // namespace predwatch::fuzz
