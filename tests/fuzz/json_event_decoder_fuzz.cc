// Fuzzes the JSON event decoder (daemon/ingest/json_event_decoder.h) through EventDecoders,
// the path every Kafka message without a content-type takes.
// Checks: no crash or sanitizer report; an error carries a named kind and a message; a
// success satisfies check_decoded_event (non-empty frame_id and stream, boxes within
// [0, 1] and not inverted, confidence in [0, 1] or kNoConfidence, ...); decoding is
// deterministic; and the decoder is not corrupted by the input: a known-good event decoded
// right after it gives the expected values.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "daemon/ingest/event_decoders.h"
#include "tests/fuzz/event_invariants.h"

namespace {

constexpr std::string_view kGood =
    R"({"frame_id": "cam7/000123.jpg", "stream": "cam7", "timestamp": "2026-11-27T12:00:00.040Z",
        "image": {"width": 640, "height": 480}, "detections": [{"class_name": "person",
        "confidence": 0.5, "box": {"x_min": 64, "y_min": 48, "x_max": 320, "y_max": 240}}]})";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace predwatch;
  static daemon::EventDecoders decoders;
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  core::Event event;
  const daemon::DecodeResult r = decoders.decode("t", std::nullopt, payload, event);
  fuzz::check_decoded_event(r, event);
  const daemon::DecodeError first = r.error;
  const size_t first_detections = event.detections.size();

  core::Event again;
  const daemon::DecodeResult r2 = decoders.decode("t", std::nullopt, payload, again);
  FUZZ_CHECK(r2.error == first, "second decode gave %d, first %d", static_cast<int>(r2.error),
             static_cast<int>(first));
  if (r2.ok()) FUZZ_CHECK(again.detections.size() == first_detections, "detection count");

  core::Event good;
  const daemon::DecodeResult g = decoders.decode("t", std::nullopt, kGood, good);
  FUZZ_CHECK(g.ok(), "known-good event rejected after the input: %.*s",
             static_cast<int>(g.message.size()), g.message.data());
  FUZZ_CHECK(good.frame_id == "cam7/000123.jpg" && good.stream == "cam7" &&
                 good.detections.size() == 1 && good.detections[0].class_name == "person" &&
                 good.detections[0].box.x_min == 0.1f && good.detections[0].box.x_max == 0.5f &&
                 good.detections[0].confidence == 0.5f,
             "known-good event decoded wrongly after the input");
  return 0;
}
