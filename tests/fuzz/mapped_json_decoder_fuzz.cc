// Fuzzes the event-mapping decoder (daemon/ingest/mapped_json_decoder.h): one input decoded
// by five mappings (the presets ultralytics, torchvision, coco_results and kserve_v2 (flat
// boxes, outputs by name), and one reading the Kafka key and timestamp with a payload that
// is the list itself, centre boxes in fractions, a constant image size).
// Input: the payload, then optionally a NUL and the Kafka key (any bytes).
// Checks: no crash or sanitizer report; every result satisfies check_decoded_event (names
// are UTF-8: a binary key mapped to the stream is rejected);
// decoding is deterministic; and each decoder is not corrupted by the input: its known-good
// message decoded right after gives the expected values.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "daemon/ingest/mapped_json_decoder.h"
#include "tests/fuzz/event_invariants.h"

namespace {

using namespace predwatch;

struct Target {
  std::unique_ptr<daemon::MappedJsonDecoder> decoder;
  std::string_view good;  // decodes to one detection of class "car", x_min 0.25, conf 0.5
};

std::unique_ptr<daemon::MappedJsonDecoder> make(config::EventMappingSettings s) {
  std::string error;
  std::optional<daemon::EventMapping> m = daemon::resolve_mapping(s, error);
  FUZZ_CHECK(m.has_value(), "mapping: %s", error.c_str());
  return std::make_unique<daemon::MappedJsonDecoder>(std::move(*m));
}

std::array<Target, 5>& targets() {
  static std::array<Target, 5> t = {
      Target{make({.topic = "u", .preset = config::MappingPreset::kUltralytics}),
             R"({"stream": "s", "frame_id": "f", "timestamp": 1796119200000,
                 "image": {"width": 100, "height": 100}, "detections": [{"name": "car",
                 "class": 2, "confidence": 0.5, "box": {"x1": 25, "y1": 0, "x2": 50, "y2": 10}}]})"},
      Target{
          make(
              {.topic = "t", .preset = config::MappingPreset::kTorchvision, .class_name = "names"}),
          R"({"stream": "s", "frame_id": "f", "timestamp": "2026-12-01T10:00:00Z",
                 "image": {"width": 100, "height": 100}, "boxes": [[25, 0, 50, 10]],
                 "names": ["car"], "labels": [2], "scores": [0.5]})"},
      Target{
          make({.topic = "c", .preset = config::MappingPreset::kCocoResults, .class_name = "name"}),
          R"({"stream": "s", "image_id": 7, "timestamp": 1796119200.5,
                 "image": {"width": 100, "height": 100}, "detections": [{"image_id": 7,
                 "category_id": 2, "name": "car", "bbox": [25, 0, 25, 10], "score": 0.5}]})"},
      Target{make({.topic = "k",
                   .stream = "@key",
                   .frame_id = "@offset",
                   .timestamp = "@timestamp",
                   .detections = "$",
                   .class_name = "0",
                   .confidence = "1",
                   .box = "2",
                   .image_width = "=640",
                   .image_height = "=480",
                   .box_format = config::BoxFormat::kCxcywh,
                   .box_units = config::BoxUnits::kNormalized}),
             R"([["car", 0.5, [0.375, 0.5, 0.25, 0.5]]])"},
      Target{make({.topic = "tr",
                   .preset = config::MappingPreset::kKserveV2,
                   .class_name = "outputs[name=names].data",
                   .image_width = "=100",
                   .image_height = "=100"}),
             R"({"id": "f", "model_name": "m", "outputs": [{"name": "boxes", "shape": [1, 4],
                 "data": [25, 0, 50, 10]}, {"name": "names", "data": ["car"]},
                 {"name": "scores", "data": [0.5]}]})"},
  };
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Input: the payload, then optionally a NUL and the message key (any bytes, as Kafka keys
  // are; "cam" without one). The known-good message goes with the key "cam".
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string_view payload = input.substr(0, nul);
  const daemon::MessageMeta good_meta{.topic = "k",
                                      .key = "cam",
                                      .has_key = true,
                                      .timestamp_ms = 1796119200000,
                                      .partition = 1,
                                      .offset = 9};
  daemon::MessageMeta meta = good_meta;
  if (nul != std::string_view::npos) meta.key = input.substr(nul + 1);
  for (Target& t : targets()) {
    t.decoder->set_message(meta);
    core::Event event;
    const daemon::DecodeResult r = t.decoder->decode(payload, event);
    fuzz::check_decoded_event(r, event);
    const daemon::DecodeError first = r.error;
    const size_t first_detections = event.detections.size();
    core::Event again;
    const daemon::DecodeResult r2 = t.decoder->decode(payload, again);
    FUZZ_CHECK(r2.error == first, "second decode gave %d, first %d", static_cast<int>(r2.error),
               static_cast<int>(first));
    if (r2.ok()) FUZZ_CHECK(again.detections.size() == first_detections, "detection count");

    core::Event good;
    t.decoder->set_message(good_meta);
    const daemon::DecodeResult g = t.decoder->decode(t.good, good);
    FUZZ_CHECK(g.ok(), "known-good message rejected after the input: %.*s",
               static_cast<int>(g.message.size()), g.message.data());
    FUZZ_CHECK(good.detections.size() == 1 && good.detections[0].class_name == "car" &&
                   good.detections[0].box.x_min == 0.25f && good.detections[0].confidence == 0.5f,
               "known-good message decoded wrongly after the input");
  }
  return 0;
}
