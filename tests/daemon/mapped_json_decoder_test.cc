#include "daemon/ingest/mapped_json_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "daemon/ingest/event_decoders.h"
#include "daemon/ingest/json_event_decoder.h"

namespace predwatch::daemon {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

const std::string kData = PREDWATCH_TEST_DATA;

EventMapping mapping_of(config::EventMappingSettings s) {
  std::string error;
  std::optional<EventMapping> m = resolve_mapping(s, error);
  EXPECT_TRUE(m) << error;
  return m ? std::move(*m) : EventMapping{};
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

// What a sample line must decode to, computed here from the raw detector output.
struct ExpectedDetection {
  std::string name;
  float confidence;
  double x_min, y_min, x_max, y_max;  // normalised
};
struct ExpectedFrame {
  int64_t image_id;
  std::vector<ExpectedDetection> detections;
};

// The first 12 images of coco128 with YOLOv5s predictions scored >= 0.25, straight from
// tests/data/coco128 (yolov5s_predictions.json: COCO results, category_id = the 0..79 index
// named by coco128.yaml; bbox [x, y, w, h] pixels of the sizes in instances_train2017.json):
// the same selection make_samples.py documents, recomputed independently of it.
std::vector<ExpectedFrame> expected_frames() {
  YAML::Node yaml = YAML::LoadFile(kData + "/coco128/coco128.yaml");
  std::map<int64_t, std::string> names;
  for (const auto& kv : yaml["names"]) names[kv.first.as<int64_t>()] = kv.second.as<std::string>();
  simdjson::dom::parser parser;
  std::map<int64_t, std::pair<double, double>> sizes;
  for (simdjson::dom::element im :
       parser.load(kData + "/coco128/instances_train2017.json")["images"].get_array()) {
    sizes[int64_t(im["id"])] = {double(im["width"]), double(im["height"])};
  }
  std::map<int64_t, ExpectedFrame> frames;
  simdjson::dom::parser preds_parser;
  for (simdjson::dom::element p :
       preds_parser.load(kData + "/coco128/yolov5s_predictions.json").get_array()) {
    const double score = double(p["score"]);
    if (score < 0.25) continue;
    const int64_t id = int64_t(p["image_id"]);
    const auto [w, h] = sizes.at(id);
    simdjson::dom::array bbox = p["bbox"];
    const double x = double(bbox.at(0)), y = double(bbox.at(1));
    const double bw = double(bbox.at(2)), bh = double(bbox.at(3));
    ExpectedFrame& f = frames[id];
    f.image_id = id;
    f.detections.push_back({names.at(int64_t(p["category_id"])), float(score), x / w, y / h,
                            (x + bw) / w, (y + bh) / h});
  }
  std::vector<ExpectedFrame> out;
  for (auto& [id, f] : frames) {
    if (sizes.count(id) && out.size() < 12) out.push_back(std::move(f));
  }
  return out;
}

void ExpectSampleDecodesAsTheRawPredictions(const std::string& file, MappedJsonDecoder& decoder,
                                            bool frame_id_is_number) {
  const std::vector<ExpectedFrame> expected = expected_frames();
  const std::vector<std::string> lines = lines_of(kData + "/mapping_samples/" + file);
  ASSERT_EQ(lines.size(), expected.size()) << file;
  constexpr int64_t kStartMs = 1'796'119'200'000;  // 2026-12-01T10:00:00Z, + 100 ms per frame
  size_t boxes = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    core::Event e;
    // What Kafka carries beside the payload (read by the kserve_v2 preset only).
    decoder.set_message(
        {.key = "cam", .has_key = true, .timestamp_ms = kStartMs + 100 * int64_t(i)});
    const DecodeResult r = decoder.decode(lines[i], e);
    ASSERT_TRUE(r.ok()) << file << ":" << i + 1 << ": " << r.message;
    EXPECT_EQ(e.frame_id, frame_id_is_number ? std::to_string(expected[i].image_id)
                                             : fmt::format("{:012d}", expected[i].image_id));
    EXPECT_EQ(e.time_ms, kStartMs + 100 * int64_t(i)) << file << ":" << i + 1;
    ASSERT_EQ(e.detections.size(), expected[i].detections.size()) << file << ":" << i + 1;
    for (size_t k = 0; k < e.detections.size(); ++k) {
      const core::NamedDetection& d = e.detections[k];
      const ExpectedDetection& x = expected[i].detections[k];
      EXPECT_EQ(d.class_name, x.name) << file << ":" << i + 1 << " #" << k;
      EXPECT_FLOAT_EQ(d.confidence, x.confidence);
      // The samples round corners to 3 decimals of a pixel (0.0005 / 640 < 1e-6) or to 6
      // decimals of the image side.
      EXPECT_NEAR(d.box.x_min, x.x_min, 2e-6);
      EXPECT_NEAR(d.box.y_min, x.y_min, 2e-6);
      EXPECT_NEAR(d.box.x_max, std::min(x.x_max, 1.0), 2e-6);
      EXPECT_NEAR(d.box.y_max, std::min(x.y_max, 1.0), 2e-6);
      ++boxes;
    }
    EXPECT_TRUE(decoder.unknown_fields().empty())
        << file << ":" << i + 1 << ": " << decoder.unknown_fields()[0];
  }
  EXPECT_EQ(boxes, 48u);  // the comparison saw every real detection of the 12 frames
}

TEST(MappedJsonDecoder, UltralyticsSampleDecodesAsTheRawPredictions) {
  MappedJsonDecoder decoder(
      mapping_of({.topic = "t", .preset = config::MappingPreset::kUltralytics}));
  ExpectSampleDecodesAsTheRawPredictions("ultralytics.jsonl", decoder, false);
}

TEST(MappedJsonDecoder, TorchvisionSampleWithCocoCategoriesDecodesAsTheRawPredictions) {
  // labels are COCO category ids (1..90), named by the categories of a COCO JSON file.
  MappedJsonDecoder decoder(
      mapping_of({.topic = "t",
                  .preset = config::MappingPreset::kTorchvision,
                  .class_names = kData + "/coco128/instances_train2017.json"}));
  ExpectSampleDecodesAsTheRawPredictions("torchvision.jsonl", decoder, false);
}

TEST(MappedJsonDecoder, CocoResultsSampleWithDataYamlDecodesAsTheRawPredictions) {
  MappedJsonDecoder decoder(mapping_of({.topic = "t",
                                        .preset = config::MappingPreset::kCocoResults,
                                        .class_names = kData + "/coco128/coco128.yaml"}));
  ExpectSampleDecodesAsTheRawPredictions("coco_results.jsonl", decoder, true);
}

TEST(MappedJsonDecoder, KserveV2SampleDecodesAsTheRawPredictions) {
  // A Triton response: outputs by name, the boxes one flat list of normalised corners; the
  // stream and time come from the Kafka message.
  MappedJsonDecoder decoder(mapping_of({.topic = "t",
                                        .preset = config::MappingPreset::kKserveV2,
                                        .box_units = config::BoxUnits::kNormalized,
                                        .class_names = kData + "/coco128/coco128.yaml"}));
  ExpectSampleDecodesAsTheRawPredictions("kserve_v2.jsonl", decoder, false);
  core::Event e;
  ASSERT_TRUE(decoder.decode(lines_of(kData + "/mapping_samples/kserve_v2.jsonl")[0], e).ok());
  EXPECT_EQ(e.stream, "cam");
  EXPECT_EQ(e.model_name, "yolov5s");
  EXPECT_EQ(e.model_version, "1");
  // A flat list that is not 4 numbers per box.
  const DecodeResult r = decoder.decode(
      R"({"id": "f", "outputs": [{"name": "boxes", "data": [0.1, 0.1, 0.2]},
          {"name": "labels", "data": [0]}]})",
      e);
  EXPECT_EQ(r.error, DecodeError::kBadValue);
  EXPECT_EQ(std::string(r.message),
            "outputs[name=boxes].data: 3 numbers, not 4 per box (a flat list of boxes)");
  // No output of that name: the boxes are missing, by path.
  const DecodeResult none =
      decoder.decode(R"({"id": "f", "outputs": [{"name": "detection_boxes", "data": []}]})", e);
  EXPECT_EQ(none.error, DecodeError::kMissingField);
  EXPECT_THAT(std::string(none.message), HasSubstr("outputs[name=boxes].data"));
}

TEST(MappedJsonDecoder, PresetNoneReadsAPredictionEventAsTheNativeDecoderDoes) {
  const std::string event =
      R"({"frame_id": "f1", "stream": "cam", "timestamp": "2026-11-27T12:00:00.040Z",
          "model": {"name": "yolov5s", "version": "3"}, "image": {"width": 640, "height": 480,
          "uri": "s3://b/f1.jpg"}, "detections": [{"class_name": "person", "confidence": 0.91,
          "box": {"x_min": 12, "y_min": 40, "x_max": 200, "y_max": 380}},
          {"class_id": 7, "box": {"x_min": 0, "y_min": 0, "x_max": 640, "y_max": 480}}]})";
  JsonEventDecoder native;
  MappedJsonDecoder mapped(mapping_of({.topic = "t"}));
  core::Event a, b;
  ASSERT_TRUE(native.decode(event, a).ok());
  ASSERT_TRUE(mapped.decode(event, b).ok()) << mapped.decode(event, b).message;
  EXPECT_EQ(a.frame_id, b.frame_id);
  EXPECT_EQ(a.stream, b.stream);
  EXPECT_EQ(a.time_ms, b.time_ms);
  EXPECT_EQ(a.model_name, b.model_name);
  EXPECT_EQ(a.model_version, b.model_version);
  EXPECT_EQ(a.image_uri, b.image_uri);
  EXPECT_EQ(a.width, b.width);
  ASSERT_EQ(a.detections.size(), b.detections.size());
  for (size_t i = 0; i < a.detections.size(); ++i) {
    EXPECT_EQ(a.detections[i].class_name, b.detections[i].class_name);
    EXPECT_EQ(a.detections[i].class_index, b.detections[i].class_index);
    EXPECT_EQ(a.detections[i].confidence, b.detections[i].confidence);
    EXPECT_EQ(a.detections[i].box.x_min, b.detections[i].box.x_min);
    EXPECT_EQ(a.detections[i].box.y_max, b.detections[i].box.y_max);
  }
}

TEST(MappedJsonDecoder, MessageSourcesAndConstants) {
  // Ultralytics' Results.to_json(): the payload is the list; the camera is the message key,
  // the time its Kafka timestamp, the frame its offset; the image size is fixed.
  MappedJsonDecoder decoder(mapping_of({.topic = "cams",
                                        .preset = config::MappingPreset::kUltralytics,
                                        .stream = "@key",
                                        .frame_id = "@offset",
                                        .timestamp = "@timestamp",
                                        .detections = "$",
                                        .image_width = "=1920",
                                        .image_height = "=1080",
                                        .model_name = "=yolov8n",
                                        .model_version = "@topic"}));
  const std::string payload =
      R"([{"name": "car", "class": 2, "confidence": 0.5, "box": {"x1": 960, "y1": 540, "x2": 1920, "y2": 1080}}])";
  MessageMeta meta{.topic = "cams",
                   .key = "gate-3",
                   .has_key = true,
                   .timestamp_ms = 1234,
                   .partition = 2,
                   .offset = 99};
  decoder.set_message(meta);
  core::Event e;
  const DecodeResult r = decoder.decode(payload, e);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(e.stream, "gate-3");
  EXPECT_EQ(e.frame_id, "2:99");
  EXPECT_EQ(e.time_ms, 1234);
  EXPECT_EQ(e.model_name, "yolov8n");
  EXPECT_EQ(e.model_version, "cams");
  EXPECT_EQ(e.width, 1920u);
  ASSERT_EQ(e.detections.size(), 1u);
  EXPECT_FLOAT_EQ(e.detections[0].box.x_min, 0.5f);  // 960 / 1920
  EXPECT_FLOAT_EQ(e.detections[0].box.y_max, 1.0f);  // 1080 / 1080

  // Without a key (a file, or a producer that sent none) the stream is missing, by name.
  decoder.set_message({.topic = "cams", .timestamp_ms = 1234, .partition = 0, .offset = 1});
  const DecodeResult keyless = decoder.decode(payload, e);
  EXPECT_EQ(keyless.error, DecodeError::kMissingField);
  EXPECT_THAT(std::string(keyless.message), HasSubstr("stream: the message has no key"));
  // A binary key is not a name: rejected, never a stream no API answer could carry.
  const std::string binary_key("gate-\xff\xfe", 7);
  decoder.set_message({.topic = "cams",
                       .key = binary_key,
                       .has_key = true,
                       .timestamp_ms = 1234,
                       .partition = 0,
                       .offset = 1});
  const DecodeResult binary = decoder.decode(payload, e);
  EXPECT_EQ(binary.error, DecodeError::kBadValue);
  EXPECT_THAT(std::string(binary.message),
              HasSubstr("stream: the message key is not valid UTF-8 (mapped from @key)"));
  decoder.set_message({.topic = "cams", .key = "k", .has_key = true, .partition = 0, .offset = 1});
  const DecodeResult untimed = decoder.decode(payload, e);
  EXPECT_EQ(untimed.error, DecodeError::kMissingField);
  EXPECT_THAT(std::string(untimed.message), HasSubstr("no Kafka timestamp"));
}

TEST(MappedJsonDecoder, BoxFormatsAndUnits) {
  // One box, centre (0.5, 0.25), size 0.2 x 0.1 of a 1000 x 800 image, in every form.
  struct Case {
    config::BoxFormat format;
    config::BoxUnits units;
    std::vector<std::string> keys;
    std::string box;
  };
  const Case cases[] = {
      {config::BoxFormat::kXyxy, config::BoxUnits::kPixels, {}, "[400, 160, 600, 240]"},
      {config::BoxFormat::kXywh, config::BoxUnits::kPixels, {}, "[400, 160, 200, 80]"},
      {config::BoxFormat::kCxcywh, config::BoxUnits::kNormalized, {}, "[0.5, 0.25, 0.2, 0.1]"},
      {config::BoxFormat::kCxcywh,
       config::BoxUnits::kNormalized,
       {},
       R"({"cx": 0.5, "cy": 0.25, "w": 0.2, "h": 0.1})"},
      {config::BoxFormat::kXywh,
       config::BoxUnits::kPixels,
       {"left", "top", "width", "height"},
       R"({"left": 400, "top": 160, "width": 200, "height": 80})"},
      // A longer row ([x1, y1, x2, y2, conf, cls], Ultralytics' boxes.data): its first 4.
      {config::BoxFormat::kXyxy, config::BoxUnits::kPixels, {}, "[400, 160, 600, 240, 0.9, 2]"},
  };
  for (const Case& c : cases) {
    MappedJsonDecoder decoder(mapping_of({.topic = "t",
                                          .class_name = "label",
                                          .box = "b",
                                          .box_format = c.format,
                                          .box_units = c.units,
                                          .box_keys = c.keys}));
    const std::string payload =
        R"({"stream": "s", "frame_id": "f", "timestamp": 5, "image": {"width": 1000, "height": 800},
            "detections": [{"label": "car", "b": )" +
        c.box + "}]}";
    core::Event e;
    const DecodeResult r = decoder.decode(payload, e);
    ASSERT_TRUE(r.ok()) << c.box << ": " << r.message;
    ASSERT_EQ(e.detections.size(), 1u);
    EXPECT_FLOAT_EQ(e.detections[0].box.x_min, 0.4f) << c.box;
    EXPECT_FLOAT_EQ(e.detections[0].box.y_min, 0.2f) << c.box;
    EXPECT_FLOAT_EQ(e.detections[0].box.x_max, 0.6f) << c.box;
    EXPECT_FLOAT_EQ(e.detections[0].box.y_max, 0.3f) << c.box;
  }
}

TEST(MappedJsonDecoder, RowsThatAreListsAreReadByIndex) {
  // Ultralytics' boxes.data.tolist(): [x1, y1, x2, y2, conf, cls] per detection.
  MappedJsonDecoder decoder(mapping_of({.topic = "t",
                                        .detections = "boxes",
                                        .class_id = "5",
                                        .confidence = "4",
                                        .box = "$",
                                        .image_width = "=200",
                                        .image_height = "=100"}));
  core::Event e;
  const DecodeResult r = decoder.decode(
      R"({"stream": "s", "frame_id": "f", "timestamp": 1,
          "boxes": [[50, 10, 100, 60, 0.875, 2], [0, 0, 200, 100, 0.25, 0]]})",
      e);
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_EQ(e.detections.size(), 2u);
  EXPECT_EQ(e.detections[0].class_index, 2);
  EXPECT_FLOAT_EQ(e.detections[0].confidence, 0.875f);
  EXPECT_FLOAT_EQ(e.detections[0].box.x_min, 0.25f);  // 50 / 200
  EXPECT_FLOAT_EQ(e.detections[0].box.y_max, 0.6f);   // 60 / 100
  EXPECT_EQ(e.detections[1].class_index, 0);
  EXPECT_FLOAT_EQ(e.detections[1].box.x_max, 1.0f);
  // A row that is neither an object nor a list.
  const DecodeResult bad =
      decoder.decode(R"({"stream": "s", "frame_id": "f", "timestamp": 1, "boxes": [7]})", e);
  EXPECT_EQ(bad.error, DecodeError::kBadValue);
  EXPECT_EQ(std::string(bad.message), "detections[0]: expected an object or a list at boxes");
}

TEST(MappedJsonDecoder, TimestampUnits) {
  // 2026-12-01T10:00:00.250Z = 1796119200250 ms (make_samples.py's start + 250 ms).
  struct Case {
    config::TimestampUnit unit;
    std::string value;
    int64_t ms;
  };
  const Case cases[] = {
      {config::TimestampUnit::kAuto, R"("2026-12-01T10:00:00.250Z")", 1796119200250},
      {config::TimestampUnit::kAuto, "1796119200.25", 1796119200250},        // seconds
      {config::TimestampUnit::kAuto, "1796119200250", 1796119200250},        // ms
      {config::TimestampUnit::kAuto, "1796119200250000", 1796119200250},     // µs
      {config::TimestampUnit::kAuto, "1796119200250000000", 1796119200250},  // ns
      {config::TimestampUnit::kAuto, R"("1796119200250")", 1796119200250},   // as a string
      {config::TimestampUnit::kSeconds, "30", 30000},  // explicit: small numbers too
      {config::TimestampUnit::kMicros, "1796119200250999", 1796119200250},
  };
  for (const Case& c : cases) {
    MappedJsonDecoder decoder(
        mapping_of({.topic = "t", .timestamp = "ts", .timestamp_unit = c.unit}));
    core::Event e;
    const DecodeResult r = decoder.decode(
        R"({"stream": "s", "frame_id": "f", "detections": [], "ts": )" + c.value + "}", e);
    ASSERT_TRUE(r.ok()) << c.value << ": " << r.message;
    EXPECT_EQ(e.time_ms, c.ms) << c.value;
  }
  MappedJsonDecoder rfc(mapping_of(
      {.topic = "t", .timestamp = "ts", .timestamp_unit = config::TimestampUnit::kRfc3339}));
  core::Event e;
  const DecodeResult r = rfc.decode(R"({"stream": "s", "frame_id": "f", "ts": 1796119200})", e);
  EXPECT_EQ(r.error, DecodeError::kBadTimestamp);
  EXPECT_THAT(std::string(r.message), HasSubstr("expected an RFC 3339 string at ts"));
}

TEST(MappedJsonDecoder, ColumnsMustAgreeInLength) {
  MappedJsonDecoder decoder(
      mapping_of({.topic = "t", .preset = config::MappingPreset::kTorchvision}));
  core::Event e;
  const DecodeResult r = decoder.decode(
      R"({"stream": "s", "frame_id": "f", "timestamp": 1, "image": {"width": 10, "height": 10},
          "boxes": [[0, 0, 5, 5], [1, 1, 2, 2]], "labels": [1, 2], "scores": [0.5]})",
      e);
  EXPECT_EQ(r.error, DecodeError::kBadValue);
  EXPECT_EQ(std::string(r.message), "scores: 1 entries, but boxes has 2 boxes");
  const DecodeResult ok = decoder.decode(
      R"({"stream": "s", "frame_id": "f", "timestamp": 1, "image": {"width": 10, "height": 10},
          "boxes": [[0, 0, 5, 5], [1, 1, 2, 2]], "labels": [1, 2], "scores": [0.5, 0.25]})",
      e);
  ASSERT_TRUE(ok.ok()) << ok.message;
  ASSERT_EQ(e.detections.size(), 2u);
  EXPECT_EQ(e.detections[1].class_index, 2);  // no class_names: the index stays an index
  EXPECT_FLOAT_EQ(e.detections[1].confidence, 0.25f);
  EXPECT_FLOAT_EQ(e.detections[1].box.x_max, 0.2f);
}

TEST(MappedJsonDecoder, AWrongMappingShowsOnTheFirstEvent) {
  // A typo in the detections path: missing_field naming the path, not an empty frame.
  MappedJsonDecoder typo(mapping_of(
      {.topic = "t", .preset = config::MappingPreset::kUltralytics, .detections = "preds"}));
  core::Event e;
  const DecodeResult r =
      typo.decode(R"({"stream": "s", "frame_id": "f", "timestamp": 1, "predictions": []})", e);
  EXPECT_EQ(r.error, DecodeError::kMissingField);
  EXPECT_EQ(std::string(r.message),
            "detections: nothing at \"preds\" (where the mapping reads it)");
  EXPECT_THAT(typo.unknown_fields(), ::testing::ElementsAre("predictions"));
  // An explicit null is an empty frame.
  const DecodeResult empty =
      typo.decode(R"({"stream": "s", "frame_id": "f", "timestamp": 1, "preds": null})", e);
  ASSERT_TRUE(empty.ok()) << empty.message;
  EXPECT_TRUE(e.detections.empty());
  // A box object without the preset's keys.
  MappedJsonDecoder ultra(
      mapping_of({.topic = "t", .preset = config::MappingPreset::kUltralytics}));
  const DecodeResult keys = ultra.decode(
      R"({"stream": "s", "frame_id": "f", "timestamp": 1, "image": {"width": 10, "height": 10},
          "detections": [{"name": "car", "box": {"x_min": 0, "y_min": 0, "x_max": 1, "y_max": 1}}]})",
      e);
  EXPECT_EQ(keys.error, DecodeError::kMissingField);
  EXPECT_THAT(std::string(keys.message),
              HasSubstr("detections[0].box: no x1 at box (box_keys: x1, y1, x2, y2)"));
  // Unknown keys of detections are listed with the list's path; COCO's own extras are not.
  const DecodeResult extra = ultra.decode(
      R"({"stream": "s", "frame_id": "f", "timestamp": 1, "image": {"width": 10, "height": 10},
          "detections": [{"name": "car", "track_id": 4, "box": {"x1": 0, "y1": 0, "x2": 1, "y2": 1}}]})",
      e);
  ASSERT_TRUE(extra.ok()) << extra.message;
  EXPECT_THAT(ultra.unknown_fields(), ::testing::ElementsAre("detections[].track_id"));
}

TEST(MappedJsonDecoder, ClassIndicesOutsideTheNamesAreRejected) {
  MappedJsonDecoder decoder(mapping_of({.topic = "t",
                                        .preset = config::MappingPreset::kCocoResults,
                                        .class_names = kData + "/coco128/coco128.yaml"}));
  core::Event e;
  const DecodeResult r = decoder.decode(
      R"({"stream": "s", "image_id": 1, "timestamp": 1, "image": {"width": 10, "height": 10},
          "detections": [{"category_id": 80, "bbox": [0, 0, 1, 1], "score": 0.5}]})",
      e);
  EXPECT_EQ(r.error, DecodeError::kBadValue);
  EXPECT_THAT(std::string(r.message),
              HasSubstr("detections[0].class_id: 80 is not among the 80 class names of"));
}

TEST(ClassNamesFile, ReadsYamlListsAndMapsTextAndCocoCategories) {
  const fs::path dir =
      fs::temp_directory_path() /
      ("predwatch_names_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  fs::create_directories(dir);
  std::ofstream(dir / "list.yaml") << "names: [person, bicycle]\n";
  std::ofstream(dir / "map.yaml") << "names:\n  0: person\n  5: bus\n";
  std::ofstream(dir / "classes.txt") << "person\nbicycle\n\ncar\n";
  std::ofstream(dir / "broken.json") << R"({"categories": [{"id": 1}]})";
  std::map<int64_t, std::string> names;
  std::string error;
  ASSERT_TRUE(load_class_names((dir / "list.yaml").string(), names, error)) << error;
  EXPECT_EQ(names, (std::map<int64_t, std::string>{{0, "person"}, {1, "bicycle"}}));
  ASSERT_TRUE(load_class_names((dir / "map.yaml").string(), names, error)) << error;
  EXPECT_EQ(names, (std::map<int64_t, std::string>{{0, "person"}, {5, "bus"}}));
  ASSERT_TRUE(load_class_names((dir / "classes.txt").string(), names, error)) << error;
  EXPECT_EQ(names.size(), 3u);
  ASSERT_TRUE(load_class_names(kData + "/coco128/instances_train2017.json", names, error));
  EXPECT_EQ(names.size(), 80u);
  EXPECT_EQ(names.at(90), "toothbrush");  // COCO ids skip 12, 26, ...: 80 names up to 90
  EXPECT_FALSE(load_class_names((dir / "broken.json").string(), names, error));
  EXPECT_THAT(error, HasSubstr("categories[0] needs an integer id and a name"));
  fs::remove_all(dir);
}

TEST(EventDecoders, AMappedTopicDecodesItsJsonWithTheMapping) {
  std::vector<EventMapping> mappings;
  mappings.push_back(
      mapping_of({.topic = "tv", .preset = config::MappingPreset::kTorchvision, .stream = "@key"}));
  EventDecoders decoders(Encoding::kJson, {}, std::move(mappings));
  EXPECT_TRUE(decoders.mapped("tv"));
  EXPECT_FALSE(decoders.mapped("predictions"));
  const std::string payload =
      R"({"frame_id": "f", "timestamp": 1, "image": {"width": 10, "height": 10},
          "boxes": [[0, 0, 5, 5]], "labels": [3], "scores": [0.5], "score": 1})";
  core::Event e;
  const DecodeResult r =
      decoders.decode("tv", std::nullopt, payload, e, {.key = "cam-9", .has_key = true});
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(e.stream, "cam-9");
  ASSERT_EQ(e.detections.size(), 1u);
  // The mapping's own names: no PredictionEvent hint for a field it does not read.
  ASSERT_EQ(decoders.unknown_fields().size(), 1u);
  EXPECT_EQ(decoders.unknown_fields()[0], "score");
  EXPECT_EQ(decoders.field_hint("score"), "");
  // Another topic: a PredictionEvent, which this payload is not (a numeric timestamp).
  const DecodeResult native = decoders.decode("predictions", std::nullopt, payload, e);
  EXPECT_EQ(native.error, DecodeError::kBadValue);
  EXPECT_EQ(decoders.field_hint("detections[].score"), "detections[].confidence");
}

}  // namespace
}  // namespace predwatch::daemon
