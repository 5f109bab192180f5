#include "daemon/ingest/protobuf_event_decoder.h"

#include <limits>

#include "daemon/ingest/rfc3339.h"
#include "predwatch/v1/event.pb.h"

namespace predwatch::daemon {

ProtobufEventDecoder::ProtobufEventDecoder() : message_(std::make_unique<v1::PredictionEvent>()) {}

ProtobufEventDecoder::~ProtobufEventDecoder() = default;

DecodeResult ProtobufEventDecoder::decode(std::string_view payload, core::Event& out) {
  normalizer_.begin(out);
  if (payload.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !message_->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return normalizer_.fail(DecodeError::kUndecodable,
                            "not a predwatch.v1.PredictionEvent ({} bytes)", payload.size());
  }
  const v1::PredictionEvent& m = *message_;
  out.frame_id = m.frame_id();
  out.stream = m.stream();
  out.model_name = m.model().name();
  out.model_version = m.model().version();
  out.width = m.image().width();
  out.height = m.image().height();
  out.image_uri = m.image().uri();
  if (m.has_timestamp()) {
    const auto& ts = m.timestamp();
    if (ts.seconds() < kMinTimestampSeconds || ts.seconds() > kMaxTimestampSeconds ||
        ts.nanos() < 0 || ts.nanos() > 999'999'999) {
      return normalizer_.fail(DecodeError::kBadTimestamp,
                              "timestamp: seconds {} nanos {} out of range", ts.seconds(),
                              ts.nanos());
    }
    out.time_ms = to_unix_ms(UnixTime{ts.seconds(), ts.nanos()});
    normalizer_.set_has_timestamp();
  }
  out.detections.reserve(m.detections_size());
  for (const v1::Detection& det : m.detections()) {
    EventNormalizer::RawDetection* raw = nullptr;
    core::NamedDetection& d = normalizer_.add_detection(out, raw);
    d.class_name = det.class_name();
    if (det.has_class_id()) d.class_index = det.class_id();
    if (det.has_confidence()) {
      d.confidence = det.confidence();
      raw->has_confidence = true;
    }
    if (det.has_mask_area()) {
      d.mask_area = det.mask_area();
      raw->has_mask_area = true;
    }
    if (det.has_box()) {
      const v1::Box& b = det.box();
      d.box = core::Box{b.x_min(), b.y_min(), b.x_max(), b.y_max()};
      raw->has_box = true;
      raw->normalized = b.normalized();
    }
  }
  return normalizer_.finish(out);
}

}  // namespace predwatch::daemon
