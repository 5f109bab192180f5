// The validation and box normalisation shared by every wire decoder, so that the same
// event sent as JSON or as protobuf decodes to the same core::Event (or the same error).
//
// A decoder calls begin(), copies the raw values into the Event (boxes as sent: pixels
// or fractions), records per detection what was present with add_detection(), and ends
// with finish(), which checks the required fields and turns every box into a normalised
// one in place:
//   - frame_id, stream, timestamp required (missing_field);
//   - image.uri, when present, at most kMaxImageUriBytes (bad_value);
//   - each detection needs class_name or class_id >= 0 (missing_field), a box
//     (missing_field); class_id < -1 is bad_value;
//   - confidence, when present, finite in [0, 1] (bad_confidence);
//   - pixel boxes need image.width and image.height > 0 (missing_field) and are divided by
//     them; `normalized` boxes are kept;
//   - a box must be finite with x_min <= x_max, y_min <= y_max (invalid_box); coordinates
//     up to kBoxClipTolerance (a fraction of the image side) outside [0, 1] are clipped,
//     anything further out is invalid_box;
//   - mask_area, when present, finite and >= 0 (bad_value); in pixels² for pixel boxes,
//     divided by width*height; clipped to at most 1.
// Error messages are built into a buffer owned here (reused: no allocation in steady
// state once it has grown).
//
// Not thread-safe: one per decoder.
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "daemon/ingest/decode_result.h"

namespace predwatch::daemon {

// How far outside the image a box coordinate may lie (as a fraction of the image width or
// height) and still be clipped rather than rejected.
inline constexpr float kBoxClipTolerance = 0.05f;

// An image side as decoders accept it: a whole number of pixels in [0, 2^32 - 1].
inline bool is_pixel_count(double v) { return v >= 0 && v <= 4294967295.0 && v == std::floor(v); }

// The longest image.uri accepted (every exemplar of a frame keeps it).
inline constexpr size_t kMaxImageUriBytes = 2048;

class EventNormalizer {
 public:
  // What the wire format said about one detection beyond the values stored in the Event.
  struct RawDetection {
    bool has_box = false;
    bool normalized = false;
    bool has_confidence = false;
    bool has_mask_area = false;
  };

  // Starts an event: clears `event` (keeping capacity) and the per-detection records.
  void begin(core::Event& event);

  // Appends a detection to `event` and its raw record; returns both for filling in.
  core::NamedDetection& add_detection(core::Event& event, RawDetection*& raw);

  void set_has_timestamp() { has_timestamp_ = true; }

  // Validates and normalises `event` in place (see the file comment).
  DecodeResult finish(core::Event& event);

  // Records an error; the message is formatted into the owned buffer.
  template <typename... Args>
  DecodeResult fail(DecodeError error, fmt::format_string<Args...> format, Args&&... args) {
    message_.clear();
    fmt::format_to(std::back_inserter(message_), format, std::forward<Args>(args)...);
    return DecodeResult{error, message_};
  }

 private:
  DecodeResult normalize_box(core::Event& event, size_t i);

  std::vector<RawDetection> raw_;
  bool has_timestamp_ = false;
  std::string message_;
};

}  // namespace predwatch::daemon
