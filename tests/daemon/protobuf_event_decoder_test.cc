#include "daemon/ingest/protobuf_event_decoder.h"

#include <gmock/gmock.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "daemon/ingest/event_decoders.h"
#include "daemon/ingest/json_event_decoder.h"
#include "predwatch/v1/event.pb.h"

namespace predwatch::daemon {
namespace {

using ::testing::HasSubstr;

// The issue's example event, built as a protobuf message.
v1::PredictionEvent IssueExample() {
  v1::PredictionEvent m;
  m.set_frame_id("cam7/000123.jpg");
  m.set_stream("cam7");
  m.mutable_model()->set_name("yolov5s");
  m.mutable_model()->set_version("3");
  m.mutable_timestamp()->set_seconds(1795780800);  // 2026-11-27T12:00:00Z (rfc3339_test.cc)
  m.mutable_timestamp()->set_nanos(40'000'000);
  m.mutable_image()->set_width(640);
  m.mutable_image()->set_height(480);
  v1::Detection* d = m.add_detections();
  d->set_class_name("person");
  d->set_confidence(0.91f);
  d->mutable_box()->set_x_min(12);
  d->mutable_box()->set_y_min(40);
  d->mutable_box()->set_x_max(200);
  d->mutable_box()->set_y_max(380);
  return m;
}

TEST(ProtobufEventDecoder, DecodesTheIssueExample) {
  ProtobufEventDecoder decoder;
  core::Event e;
  const std::string bytes = IssueExample().SerializeAsString();
  DecodeResult r = decoder.decode(bytes, e);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(e.frame_id, "cam7/000123.jpg");
  EXPECT_EQ(e.stream, "cam7");
  EXPECT_EQ(e.model_name, "yolov5s");
  EXPECT_EQ(e.model_version, "3");
  EXPECT_EQ(e.time_ms, 1795780800040);
  ASSERT_EQ(e.detections.size(), 1u);
  EXPECT_EQ(e.detections[0].class_name, "person");
  EXPECT_FLOAT_EQ(e.detections[0].confidence, 0.91f);
  EXPECT_FLOAT_EQ(e.detections[0].box.x_min, 12.0f / 640.0f);
  EXPECT_FLOAT_EQ(e.detections[0].box.y_max, 380.0f / 480.0f);
}

TEST(ProtobufEventDecoder, ImageUriIsOptionalAndBounded) {
  ProtobufEventDecoder decoder;
  core::Event e;
  v1::PredictionEvent m = IssueExample();
  m.mutable_image()->set_uri("https://img.example/cam7/000123.jpg");
  ASSERT_TRUE(decoder.decode(m.SerializeAsString(), e).ok());
  EXPECT_EQ(e.image_uri, "https://img.example/cam7/000123.jpg");
  ASSERT_TRUE(decoder.decode(IssueExample().SerializeAsString(), e).ok());
  EXPECT_EQ(e.image_uri, "");
  m.mutable_image()->set_uri(std::string(2049, 'u'));
  const DecodeResult r = decoder.decode(m.SerializeAsString(), e);
  EXPECT_EQ(r.error, DecodeError::kBadValue);
  EXPECT_NE(std::string(r.message).find("image.uri: 2049 bytes; at most 2048"), std::string::npos)
      << r.message;
}

TEST(ProtobufEventDecoder, RejectsGarbageAndMissingFields) {
  ProtobufEventDecoder decoder;
  core::Event e;
  EXPECT_EQ(decoder.decode("\xff\xff\xff\xff", e).error, DecodeError::kUndecodable);
  EXPECT_EQ(decoder.decode(R"({"frame_id":"f"})", e).error, DecodeError::kUndecodable);

  v1::PredictionEvent m = IssueExample();
  m.clear_timestamp();
  DecodeResult r = decoder.decode(m.SerializeAsString(), e);
  EXPECT_EQ(r.error, DecodeError::kMissingField);
  EXPECT_THAT(std::string(r.message), HasSubstr("timestamp"));

  m = IssueExample();
  m.mutable_timestamp()->set_nanos(1'000'000'000);
  EXPECT_EQ(decoder.decode(m.SerializeAsString(), e).error, DecodeError::kBadTimestamp);

  m = IssueExample();
  m.mutable_detections(0)->clear_box();
  r = decoder.decode(m.SerializeAsString(), e);
  EXPECT_EQ(r.error, DecodeError::kMissingField);
  EXPECT_THAT(std::string(r.message), HasSubstr("detections[0].box"));

  m = IssueExample();
  m.mutable_detections(0)->set_confidence(-0.5f);
  EXPECT_EQ(decoder.decode(m.SerializeAsString(), e).error, DecodeError::kBadConfidence);

  m = IssueExample();
  m.clear_image();
  EXPECT_EQ(decoder.decode(m.SerializeAsString(), e).error, DecodeError::kMissingField);
}

// Random events, some valid and some not, drawn from a fixed seed.
v1::PredictionEvent RandomEvent(std::mt19937& rng, int index) {
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::uniform_int_distribution<int> small(0, 9);
  v1::PredictionEvent m;
  m.set_frame_id("cam" + std::to_string(index % 3) + "/" + std::to_string(index) + ".jpg");
  m.set_stream("cam" + std::to_string(index % 3));
  m.mutable_model()->set_name("yolov8n");
  if (small(rng) > 2) m.mutable_model()->set_version("v" + std::to_string(small(rng)));
  m.mutable_timestamp()->set_seconds(1795780800 + index);
  const int nanos_kind = small(rng) % 4;  // 0, ms, us and ns precision
  m.mutable_timestamp()->set_nanos(nanos_kind == 0   ? 0
                                   : nanos_kind == 1 ? small(rng) * 100'000'000
                                   : nanos_kind == 2 ? 123'456'000
                                                     : 987'654'321);
  const bool pixels = small(rng) < 6;
  if (pixels || small(rng) < 3) {
    m.mutable_image()->set_width(1920);
    m.mutable_image()->set_height(1080);
  }
  const int n = small(rng);
  for (int i = 0; i < n; ++i) {
    v1::Detection* d = m.add_detections();
    if (small(rng) < 8) d->set_class_name(small(rng) < 5 ? "person" : "traffic light");
    if (small(rng) < 5 || d->class_name().empty()) d->set_class_id(small(rng));
    if (small(rng) < 8) d->set_confidence(unit(rng));
    float x0 = unit(rng), x1 = unit(rng), y0 = unit(rng), y1 = unit(rng);
    if (x0 > x1) std::swap(x0, x1);
    if (y0 > y1) std::swap(y0, y1);
    v1::Box* b = d->mutable_box();
    if (pixels) {
      b->set_x_min(std::round(x0 * 1920));
      b->set_x_max(std::round(x1 * 1920));
      b->set_y_min(y0 * 1080);
      b->set_y_max(y1 * 1080);
    } else {
      b->set_x_min(x0);
      b->set_x_max(x1);
      b->set_y_min(y0);
      b->set_y_max(y1);
      b->set_normalized(true);
    }
    if (small(rng) < 2) d->set_mask_area(unit(rng) * (pixels ? 1920.0f * 1080.0f : 1.0f));
  }
  // About one event in eight is broken in one of several ways.
  if (n > 0 && small(rng) == 0) {
    switch (small(rng) % 4) {
      case 0:
        m.mutable_detections(0)->set_confidence(1.25f);
        break;
      case 1:
        m.mutable_detections(0)->mutable_box()->set_x_min(5000);
        break;
      case 2:
        m.mutable_detections(0)->clear_box();
        break;
      case 3:
        m.clear_stream();
        break;
    }
  }
  return m;
}

void ExpectSameEvent(const core::Event& a, const core::Event& b) {
  EXPECT_EQ(a.frame_id, b.frame_id);
  EXPECT_EQ(a.stream, b.stream);
  EXPECT_EQ(a.model_name, b.model_name);
  EXPECT_EQ(a.model_version, b.model_version);
  EXPECT_EQ(a.time_ms, b.time_ms);
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.height, b.height);
  ASSERT_EQ(a.detections.size(), b.detections.size());
  for (size_t i = 0; i < a.detections.size(); ++i) {
    const core::NamedDetection& x = a.detections[i];
    const core::NamedDetection& y = b.detections[i];
    EXPECT_EQ(x.class_name, y.class_name) << i;
    EXPECT_EQ(x.class_index, y.class_index) << i;
    EXPECT_EQ(x.confidence, y.confidence) << i;  // bit-identical, not just close
    EXPECT_EQ(x.box.x_min, y.box.x_min) << i;
    EXPECT_EQ(x.box.y_min, y.box.y_min) << i;
    EXPECT_EQ(x.box.x_max, y.box.x_max) << i;
    EXPECT_EQ(x.box.y_max, y.box.y_max) << i;
    EXPECT_EQ(x.mask_area, y.mask_area) << i;
  }
}

// The same events encoded as binary protobuf and as JSON (by protobuf's own JSON printer,
// in both field-name styles) decode to identical core::Events, or fail with the same reason
// and message.
TEST(DecoderParity, JsonAndProtobufDecodeToTheSameEvent) {
  std::mt19937 rng(20261127);
  ProtobufEventDecoder proto_decoder;
  JsonEventDecoder json_decoder;
  core::Event from_proto, from_json;
  int valid = 0, invalid = 0;
  for (int i = 0; i < 400; ++i) {
    const v1::PredictionEvent m = RandomEvent(rng, i);
    const std::string bytes = m.SerializeAsString();
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = (i % 2 == 0);  // snake_case, else lowerCamelCase
    std::string json;
    ASSERT_TRUE(google::protobuf::util::MessageToJsonString(m, &json, options).ok());

    const DecodeResult rp = proto_decoder.decode(bytes, from_proto);
    const DecodeResult rj = json_decoder.decode(json, from_json);
    ASSERT_EQ(rp.error, rj.error) << json << "\nproto: " << rp.message << "\njson: " << rj.message;
    EXPECT_EQ(rp.message, rj.message);
    if (rp.ok()) {
      ++valid;
      SCOPED_TRACE(json);
      ExpectSameEvent(from_proto, from_json);
    } else {
      ++invalid;
    }
  }
  // The generator must exercise both paths.
  EXPECT_GT(valid, 300);
  EXPECT_GT(invalid, 10);
}

TEST(EventDecoders, SelectsByContentTypeThenTopicThenDefault) {
  EventDecoders decoders(Encoding::kJson, {{"proto-topic", Encoding::kProtobuf}});
  EXPECT_EQ(decoders.select("any", std::nullopt), Encoding::kJson);
  EXPECT_EQ(decoders.select("proto-topic", std::nullopt), Encoding::kProtobuf);
  EXPECT_EQ(decoders.select("proto-topic", "application/json; charset=utf-8"), Encoding::kJson);
  EXPECT_EQ(decoders.select("any", "Application/X-Protobuf"), Encoding::kProtobuf);
  EXPECT_EQ(decoders.select("any", "application/vnd.predwatch+json"), Encoding::kJson);
  EXPECT_EQ(decoders.select("any", "text/plain"), std::nullopt);

  core::Event e;
  const std::string bytes = IssueExample().SerializeAsString();
  EXPECT_TRUE(decoders.decode("proto-topic", std::nullopt, bytes, e).ok());
  EXPECT_EQ(e.frame_id, "cam7/000123.jpg");
  EXPECT_TRUE(decoders.decode("any", "application/x-protobuf", bytes, e).ok());
  EXPECT_EQ(decoders.decode("any", std::nullopt, bytes, e).error, DecodeError::kUndecodable);
  DecodeResult r = decoders.decode("any", "text/plain", bytes, e);
  EXPECT_EQ(r.error, DecodeError::kUnknownContentType);
  EXPECT_EQ(std::string(r.message),
            "content-type: \"text/plain\" is neither application/json nor application/x-protobuf");
  // A producer's bytes go to logs and to the dead-letter copy's predwatch-error header:
  // control bytes, quotes and non-ASCII escaped, long values cut after 64 bytes.
  r = decoders.decode("any", std::string_view("te\"xt\n\x00\xff\\", 9), bytes, e);
  EXPECT_EQ(std::string(r.message),
            "content-type: \"te\\\"xt\\x0a\\x00\\xff\\\\\" is neither "
            "application/json nor application/x-protobuf");
  r = decoders.decode("any", std::string(100, 'a'), bytes, e);
  EXPECT_EQ(std::string(r.message), "content-type: \"" + std::string(64, 'a') +
                                        "\"... (36 more bytes) is neither application/json nor "
                                        "application/x-protobuf");
}

}  // namespace
}  // namespace predwatch::daemon
