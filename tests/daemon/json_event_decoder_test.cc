#include "daemon/ingest/json_event_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace predwatch::daemon {
namespace {

using ::testing::HasSubstr;

// The example event from the Kafka ingestion issue.
constexpr std::string_view kIssueExample =
    R"({"frame_id": "cam7/000123.jpg", "stream": "cam7", "model": {"name": "yolov5s", "version": "3"}, "timestamp": "2026-11-27T12:00:00.040Z", "image": {"width": 640, "height": 480}, "detections": [{"class_name": "person", "confidence": 0.91, "box": {"x_min": 12, "y_min": 40, "x_max": 200, "y_max": 380}}]})";

void ExpectIssueExample(const core::Event& e) {
  EXPECT_EQ(e.frame_id, "cam7/000123.jpg");
  EXPECT_EQ(e.stream, "cam7");
  EXPECT_EQ(e.model_name, "yolov5s");
  EXPECT_EQ(e.model_version, "3");
  EXPECT_EQ(e.time_ms, 1795780800040);  // see rfc3339_test.cc for the Python derivation
  EXPECT_EQ(e.width, 640u);
  EXPECT_EQ(e.height, 480u);
  ASSERT_EQ(e.detections.size(), 1u);
  const core::NamedDetection& d = e.detections[0];
  EXPECT_EQ(d.class_name, "person");
  EXPECT_EQ(d.class_index, -1);
  EXPECT_FLOAT_EQ(d.confidence, 0.91f);
  // Pixels divided by the image size: 12/640, 40/480, 200/640, 380/480.
  EXPECT_FLOAT_EQ(d.box.x_min, 0.01875f);
  EXPECT_FLOAT_EQ(d.box.y_min, 0.0833333333f);
  EXPECT_FLOAT_EQ(d.box.x_max, 0.3125f);
  EXPECT_FLOAT_EQ(d.box.y_max, 0.7916666667f);
  EXPECT_EQ(d.mask_area, core::kNoMaskArea);
}

TEST(JsonEventDecoder, ImageUriIsOptionalAndBounded) {
  JsonEventDecoder decoder;
  core::Event e;
  const std::string head =
      R"({"frame_id": "f", "stream": "s", "timestamp": "2026-11-27T12:00:00Z", "image": )";
  const std::string tail = R"(, "detections": []})";
  ASSERT_TRUE(
      decoder.decode(head + R"({"width": 640, "height": 480, "uri": "https://x/f.jpg"})" + tail, e)
          .ok());
  EXPECT_EQ(e.image_uri, "https://x/f.jpg");
  EXPECT_EQ(e.width, 640u);
  ASSERT_TRUE(decoder.decode(head + R"({"uri": "s3:\/\/b\/k\u00e9.png"})" + tail, e).ok());
  EXPECT_EQ(e.image_uri, "s3://b/k\xc3\xa9.png");
  ASSERT_TRUE(decoder.decode(head + R"({"width": 640, "height": 480})" + tail, e).ok());
  EXPECT_EQ(e.image_uri, "");  // cleared from the previous event
  const DecodeResult too_long =
      decoder.decode(head + R"({"uri": ")" + std::string(2049, 'u') + R"("})" + tail, e);
  EXPECT_EQ(too_long.error, DecodeError::kBadValue);
  EXPECT_THAT(std::string(too_long.message), HasSubstr("image.uri: 2049 bytes; at most 2048"));
  const DecodeResult not_string = decoder.decode(head + R"({"uri": 7})" + tail, e);
  EXPECT_FALSE(not_string.ok());
  EXPECT_THAT(std::string(not_string.message), HasSubstr("image.uri"));
}

// Issue 16: a field with another name was ignored without a word (`score` for `confidence`
// turns predictions into ground truth). The decoder still ignores it, and lists it, once per
// event, with detections collapsed; unknown_field_hint names what it usually means.
TEST(JsonEventDecoder, ListsTheFieldsItIgnores) {
  JsonEventDecoder decoder;
  core::Event e;
  const std::string ultralytics_like =
      R"({"frame_id": "f", "stream": "s", "camera": "c1", "timestamp_ms": 1000,)"
      R"( "model": {"name": "yolo", "id": 3}, "image": {"width": 640, "height": 480, "format": "jpg"},)"
      R"( "detections": [)"
      R"({"class_name": "dog", "score": 0.9, "box": {"x_min": 1, "y_min": 2, "x_max": 3, "y_max": 4, "w": 2}},)"
      R"({"class_name": "cat", "score": 0.8, "box": {"x_min": 1, "y_min": 2, "x_max": 3, "y_max": 4}}]})";
  const DecodeResult r = decoder.decode(ultralytics_like, e);
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_EQ(e.detections.size(), 2u);
  EXPECT_EQ(e.detections[0].confidence, core::kNoConfidence);  // ignored, as before
  auto listed = [&] {
    return std::vector<std::string>(decoder.unknown_fields().begin(),
                                    decoder.unknown_fields().end());
  };
  EXPECT_THAT(listed(), ::testing::ElementsAre("camera", "model.id", "image.format",
                                               "detections[].score", "detections[].box.w"));
  // A rejected event lists its ignored fields too (here the reason it was rejected).
  const DecodeResult no_box = decoder.decode(
      R"({"frame_id": "f", "stream": "s", "timestamp_ms": 1000, "image": {"width": 640, "height": 480},)"
      R"( "detections": [{"class_name": "cat", "bbox": [1, 2, 3, 4]}]})",
      e);
  EXPECT_EQ(no_box.error, DecodeError::kMissingField);
  EXPECT_THAT(listed(), ::testing::ElementsAre("detections[].bbox"));
  // A clean event lists nothing (the list is per decode).
  ASSERT_TRUE(decoder.decode(kIssueExample, e).ok());
  EXPECT_TRUE(decoder.unknown_fields().empty());
  EXPECT_EQ(unknown_field_hint("detections[].score"), "detections[].confidence");
  EXPECT_EQ(unknown_field_hint("camera"), "stream");
  EXPECT_THAT(std::string(unknown_field_hint("detections[].bbox")), HasSubstr("detections[].box"));
  EXPECT_EQ(unknown_field_hint("model.id"), "");
}

TEST(JsonEventDecoder, DecodesTheIssueExample) {
  JsonEventDecoder decoder;
  core::Event e;
  DecodeResult r = decoder.decode(kIssueExample, e);
  ASSERT_TRUE(r.ok()) << r.message;
  ExpectIssueExample(e);
}

TEST(JsonEventDecoder, DecodesLowerCamelCaseAndNumbersAsStrings) {
  constexpr std::string_view camel =
      R"({"frameId": "cam7/000123.jpg", "stream": "cam7", "model": {"name": "yolov5s", "version": "3"},
          "timestamp": "2026-11-27T13:00:00.040+01:00", "image": {"width": "640", "height": 480},
          "detections": [{"className": "person", "confidence": "0.91",
                          "box": {"xMin": 12, "yMin": 40.0, "xMax": 200, "yMax": "380"}}],
          "someFutureField": {"nested": [1, 2, 3]}})";
  JsonEventDecoder decoder;
  core::Event e;
  DecodeResult r = decoder.decode(camel, e);
  ASSERT_TRUE(r.ok()) << r.message;
  ExpectIssueExample(e);
}

TEST(JsonEventDecoder, KeepsNormalizedBoxesAndReadsOptionalFields) {
  constexpr std::string_view json =
      R"({"frame_id": "f", "stream": "s", "timestampMs": 1795780800040,
          "detections": [
            {"class_id": 3, "box": {"x_min": 0.1, "y_min": 0.2, "x_max": 0.5, "y_max": 0.6, "normalized": true},
             "mask_area": 0.05},
            {"class_name": "dog", "classId": 16, "confidence": 0, "box": {"xMin": 0, "yMin": 0, "xMax": 1, "yMax": 1, "normalized": true}}
          ]})";
  JsonEventDecoder decoder;
  core::Event e;
  DecodeResult r = decoder.decode(json, e);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(e.time_ms, 1795780800040);
  EXPECT_EQ(e.width, 0u);
  ASSERT_EQ(e.detections.size(), 2u);
  EXPECT_EQ(e.detections[0].class_name, "");
  EXPECT_EQ(e.detections[0].class_index, 3);
  EXPECT_EQ(e.detections[0].confidence, core::kNoConfidence);  // ground truth: no score
  EXPECT_FLOAT_EQ(e.detections[0].box.x_min, 0.1f);
  EXPECT_FLOAT_EQ(e.detections[0].box.y_max, 0.6f);
  EXPECT_FLOAT_EQ(e.detections[0].mask_area, 0.05f);
  EXPECT_EQ(e.detections[1].class_name, "dog");
  EXPECT_EQ(e.detections[1].class_index, 16);
  EXPECT_EQ(e.detections[1].confidence, 0.0f);
}

TEST(JsonEventDecoder, TimestampWinsOverTimestampMs) {
  JsonEventDecoder decoder;
  core::Event e;
  ASSERT_TRUE(decoder
                  .decode(R"({"frame_id":"f","stream":"s","timestamp_ms":5,
                             "timestamp":"1970-01-01T00:00:01Z"})",
                          e)
                  .ok());
  EXPECT_EQ(e.time_ms, 1000);
}

TEST(JsonEventDecoder, ClipsSlightlyOutOfRangeBoxes) {
  // x_min -8 px of 640 = -0.0125 (within the 0.05 tolerance) -> 0;
  // y_max 490 px of 480 = 1.0208 -> 1; pixel mask area 3072 / (640*480) = 0.01.
  constexpr std::string_view json =
      R"({"frame_id": "f", "stream": "s", "timestamp": "2026-11-27T12:00:00Z",
          "image": {"width": 640, "height": 480},
          "detections": [{"class_name": "car", "confidence": 1,
                          "box": {"x_min": -8, "y_min": 10, "x_max": 100, "y_max": 490},
                          "mask_area": 3072}]})";
  JsonEventDecoder decoder;
  core::Event e;
  DecodeResult r = decoder.decode(json, e);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(e.detections[0].box.x_min, 0.0f);
  EXPECT_EQ(e.detections[0].box.y_max, 1.0f);
  EXPECT_FLOAT_EQ(e.detections[0].box.x_max, 100.0f / 640.0f);
  EXPECT_FLOAT_EQ(e.detections[0].mask_area, 0.01f);
}

TEST(JsonEventDecoder, EmptyDetectionsIsAValidFrame) {
  JsonEventDecoder decoder;
  core::Event e;
  DecodeResult r = decoder.decode(
      R"({"frame_id":"f","stream":"s","timestamp":"2026-11-27T12:00:00Z","detections":[]})", e);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_TRUE(e.detections.empty());
}

TEST(JsonEventDecoder, ReusesTheEventAcrossCalls) {
  JsonEventDecoder decoder;
  core::Event e;
  ASSERT_TRUE(decoder.decode(kIssueExample, e).ok());
  ASSERT_FALSE(decoder.decode("{", e).ok());
  EXPECT_TRUE(e.detections.empty() || e.frame_id.empty());
  ASSERT_TRUE(decoder.decode(kIssueExample, e).ok());
  ExpectIssueExample(e);
}

struct Malformed {
  const char* name;
  std::string json;
  DecodeError error;
  const char* message_part;
};

std::string WithDetection(const std::string& detection,
                          const std::string& image = R"({"width": 640, "height": 480})") {
  return R"({"frame_id": "f", "stream": "s", "timestamp": "2026-11-27T12:00:00Z", "image": )" +
         image + R"(, "detections": [)" + detection + "]}";
}

class JsonMalformed : public ::testing::TestWithParam<Malformed> {};

TEST_P(JsonMalformed, IsRejectedWithItsReason) {
  JsonEventDecoder decoder;
  core::Event e;
  DecodeResult r = decoder.decode(GetParam().json, e);
  EXPECT_EQ(r.error, GetParam().error)
      << decode_error_name(r.error) << " (" << r.message << ") for " << GetParam().json;
  EXPECT_THAT(std::string(r.message), HasSubstr(GetParam().message_part));
}

const std::string kBox = R"("box": {"x_min": 10, "y_min": 10, "x_max": 20, "y_max": 20})";

INSTANTIATE_TEST_SUITE_P(
    Table, JsonMalformed,
    ::testing::Values(
        Malformed{"empty", "", DecodeError::kUndecodable, "JSON"},
        Malformed{"truncated", std::string(kIssueExample.substr(0, 60)), DecodeError::kUndecodable,
                  ""},
        Malformed{"not_object", "[1,2]", DecodeError::kUndecodable, "object"},
        Malformed{"garbage", "\x08\x01\x12\x03", DecodeError::kUndecodable, ""},
        Malformed{"no_frame_id", R"({"stream":"s","timestamp":"2026-11-27T12:00:00Z"})",
                  DecodeError::kMissingField, "frame_id"},
        Malformed{"empty_stream",
                  R"({"frame_id":"f","stream":"","timestamp":"2026-11-27T12:00:00Z"})",
                  DecodeError::kMissingField, "stream"},
        Malformed{"no_timestamp", R"({"frame_id":"f","stream":"s"})", DecodeError::kMissingField,
                  "timestamp"},
        Malformed{"bad_timestamp", R"({"frame_id":"f","stream":"s","timestamp":"yesterday"})",
                  DecodeError::kBadTimestamp, "timestamp"},
        Malformed{"timestamp_number", R"({"frame_id":"f","stream":"s","timestamp":1795780800})",
                  DecodeError::kBadValue, "timestamp"},
        Malformed{"frame_id_number",
                  R"({"frame_id":5,"stream":"s","timestamp":"2026-11-27T12:00:00Z"})",
                  DecodeError::kBadValue, "frame_id"},
        Malformed{"no_class", WithDetection(R"({"confidence": 0.5, )" + kBox + "}"),
                  DecodeError::kMissingField, "detections[0].class_name"},
        Malformed{"no_box", WithDetection(R"({"class_name": "a", "confidence": 0.5})"),
                  DecodeError::kMissingField, "detections[0].box"},
        Malformed{"pixel_box_no_image",
                  WithDetection(R"({"class_name": "a", )" + kBox + "}", "null"),
                  DecodeError::kMissingField, "image"},
        Malformed{"confidence_above_one",
                  WithDetection(R"({"class_name": "a", "confidence": 1.5, )" + kBox + "}"),
                  DecodeError::kBadConfidence, "detections[0].confidence"},
        Malformed{"confidence_negative",
                  WithDetection(R"({"class_name": "a", "confidence": -0.1, )" + kBox + "}"),
                  DecodeError::kBadConfidence, "confidence"},
        Malformed{"confidence_nan",
                  WithDetection(R"({"class_name": "a", "confidence": "NaN", )" + kBox + "}"),
                  DecodeError::kBadConfidence, "confidence"},
        Malformed{"confidence_word",
                  WithDetection(R"({"class_name": "a", "confidence": "high", )" + kBox + "}"),
                  DecodeError::kBadValue, "detections[0].confidence"},
        Malformed{
            "inverted_box",
            WithDetection(
                R"({"class_name": "a", "box": {"x_min": 50, "y_min": 10, "x_max": 20, "y_max": 20}})"),
            DecodeError::kInvalidBox, "x_min 50 > x_max 20"},
        Malformed{
            "far_outside",
            WithDetection(
                R"({"class_name": "a", "box": {"x_min": 10, "y_min": 10, "x_max": 700, "y_max": 20}})"),
            DecodeError::kInvalidBox, "outside the image"},
        Malformed{
            "normalized_far_outside",
            WithDetection(
                R"({"class_name": "a", "box": {"x_min": -0.2, "y_min": 0, "x_max": 0.5, "y_max": 0.5, "normalized": true}})"),
            DecodeError::kInvalidBox, "detections[0].box"},
        Malformed{
            "infinite_box",
            WithDetection(
                R"({"class_name": "a", "box": {"x_min": "-Infinity", "y_min": 0, "x_max": 5, "y_max": 5}})"),
            DecodeError::kInvalidBox, "not finite"},
        Malformed{"box_not_object", WithDetection(R"({"class_name": "a", "box": [1,2,3,4]})"),
                  DecodeError::kBadValue, "detections[0].box"},
        Malformed{
            "normalized_not_bool",
            WithDetection(
                R"({"class_name": "a", "box": {"x_min": 1, "y_min": 1, "x_max": 2, "y_max": 2, "normalized": 1}})"),
            DecodeError::kBadValue, "normalized"},
        Malformed{"negative_mask",
                  WithDetection(R"({"class_name": "a", "mask_area": -3, )" + kBox + "}"),
                  DecodeError::kBadValue, "mask_area"},
        Malformed{"class_id_fraction", WithDetection(R"({"class_id": 1.5, )" + kBox + "}"),
                  DecodeError::kBadValue, "class_id"},
        Malformed{"class_id_negative", WithDetection(R"({"class_id": -7, )" + kBox + "}"),
                  DecodeError::kBadValue, "class_id"},
        Malformed{"width_negative",
                  WithDetection(R"({"class_name": "a", )" + kBox + "}",
                                R"({"width": -640, "height": 480})"),
                  DecodeError::kBadValue, "image.width"},
        Malformed{
            "detections_object",
            R"({"frame_id":"f","stream":"s","timestamp":"2026-11-27T12:00:00Z","detections":{}})",
            DecodeError::kBadValue, "detections"},
        Malformed{"detection_not_object", WithDetection("42"), DecodeError::kBadValue,
                  "detections[0]"},
        Malformed{"second_detection_bad",
                  WithDetection(R"({"class_name": "a", )" + kBox + R"(}, {"class_name": "b"})"),
                  DecodeError::kMissingField, "detections[1].box"}),
    [](const ::testing::TestParamInfo<Malformed>& info) { return std::string(info.param.name); });

TEST(DecodeErrorName, NamesEveryReason) {
  EXPECT_EQ(decode_error_name(DecodeError::kUndecodable), "undecodable");
  EXPECT_EQ(decode_error_name(DecodeError::kMissingField), "missing_field");
  EXPECT_EQ(decode_error_name(DecodeError::kInvalidBox), "invalid_box");
  EXPECT_EQ(decode_error_name(DecodeError::kBadConfidence), "bad_confidence");
  EXPECT_EQ(decode_error_name(DecodeError::kBadTimestamp), "bad_timestamp");
  EXPECT_EQ(decode_error_name(DecodeError::kBadValue), "bad_value");
  EXPECT_EQ(decode_error_name(DecodeError::kUnknownContentType), "unknown_content_type");
}

}  // namespace
}  // namespace predwatch::daemon
