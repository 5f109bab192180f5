// Fuzzes the binary protobuf event decoder (daemon/ingest/protobuf_event_decoder.h) through
// EventDecoders with content-type application/x-protobuf.
// Checks: as json_event_decoder_fuzz (error kinds and messages, check_decoded_event on
// success, determinism, a known-good event still decodes after the input), plus parity: the
// header comment of event_normalizer.h promises that the same event sent as JSON or as
// protobuf decodes to the same core::Event or the same error, so every input that parses as
// a PredictionEvent is also converted to protobuf's JSON mapping and decoded as JSON.
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "daemon/ingest/event_decoders.h"
#include "predwatch/v1/event.pb.h"
#include "tests/fuzz/event_invariants.h"

namespace {

using predwatch::core::Event;

bool same_float(float a, float b) {
  return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b));
}

void check_same_event(const Event& p, const Event& j) {
  FUZZ_CHECK(p.frame_id == j.frame_id && p.stream == j.stream && p.model_name == j.model_name &&
                 p.model_version == j.model_version,
             "parity: strings differ");
  FUZZ_CHECK(p.time_ms == j.time_ms, "parity: time %lld vs %lld", static_cast<long long>(p.time_ms),
             static_cast<long long>(j.time_ms));
  FUZZ_CHECK(p.width == j.width && p.height == j.height, "parity: image size");
  FUZZ_CHECK(p.detections.size() == j.detections.size(), "parity: detection count");
  for (size_t i = 0; i < p.detections.size(); ++i) {
    const auto &a = p.detections[i], &b = j.detections[i];
    FUZZ_CHECK(a.class_name == b.class_name && a.class_index == b.class_index,
               "parity: detections[%zu] class", i);
    FUZZ_CHECK(same_float(a.confidence, b.confidence) && same_float(a.mask_area, b.mask_area),
               "parity: detections[%zu] confidence %g/%g mask %g/%g", i, a.confidence, b.confidence,
               a.mask_area, b.mask_area);
    FUZZ_CHECK(same_float(a.box.x_min, b.box.x_min) && same_float(a.box.y_min, b.box.y_min) &&
                   same_float(a.box.x_max, b.box.x_max) && same_float(a.box.y_max, b.box.y_max),
               "parity: detections[%zu] box", i);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace predwatch;
  static daemon::EventDecoders decoders;
  static daemon::EventDecoders json_decoders;
  static const bool quiet = [] {
    google::protobuf::SetLogHandler(nullptr);  // no "invalid UTF-8" log per input
    return true;
  }();
  (void)quiet;
  static const std::string kProto = "application/x-protobuf";
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  Event event;
  const daemon::DecodeResult r = decoders.decode("t", kProto, payload, event);
  fuzz::check_decoded_event(r, event);
  const daemon::DecodeError first = r.error;

  Event again;
  FUZZ_CHECK(decoders.decode("t", kProto, payload, again).error == first, "nondeterministic");

  // Parity with the JSON decoder.
  v1::PredictionEvent message;
  if (message.ParseFromArray(data, static_cast<int>(size))) {
    std::string json;
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = (size % 2) == 0;  // both spellings
    if (google::protobuf::util::MessageToJsonString(message, &json, options).ok()) {
      Event j;
      const daemon::DecodeResult rj = json_decoders.decode("t", std::nullopt, json, j);
      FUZZ_CHECK(rj.error == first, "parity: protobuf gives %s, JSON %s (%.*s) for %s",
                 std::string(daemon::decode_error_name(first)).c_str(),
                 std::string(daemon::decode_error_name(rj.error)).c_str(),
                 static_cast<int>(rj.message.size()), rj.message.data(), json.c_str());
      if (rj.ok()) check_same_event(again, j);
    }
  }

  // A known-good event still decodes.
  v1::PredictionEvent good;
  good.set_frame_id("f1");
  good.set_stream("s");
  good.mutable_timestamp()->set_seconds(1795780800);
  good.mutable_image()->set_width(100);
  good.mutable_image()->set_height(50);
  v1::Detection* d = good.add_detections();
  d->set_class_name("car");
  d->mutable_box()->set_x_min(10);
  d->mutable_box()->set_x_max(20);
  d->mutable_box()->set_y_min(5);
  d->mutable_box()->set_y_max(25);
  const std::string bytes = good.SerializeAsString();
  Event g;
  FUZZ_CHECK(decoders.decode("t", kProto, bytes, g).ok() && g.frame_id == "f1" &&
                 g.detections.size() == 1 && g.detections[0].box.x_max == 0.2f &&
                 g.detections[0].box.y_max == 0.5f && g.time_ms == 1795780800000,
             "known-good event decoded wrongly after the input");
  return 0;
}
