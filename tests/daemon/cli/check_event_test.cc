// `predwatch check-event` (issue 16): what the decoder, the configuration's stream entries,
// class maps and min_confidence make of sample events, checked against what the samples say
// (hand-written events whose expected reading is stated next to them).
#include "daemon/cli/check_event.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/daemon/cli/cli_test_util.h"

namespace predwatch::daemon {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class CheckEventTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("check-event-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  // Runs check-event at a fixed clock (2025-12-06T05:20:00Z).
  int run(const fs::path& events, const fs::path& config, bool json, std::string& out,
          const std::string& topic = "") {
    CheckEventOptions o;
    o.events = events;
    o.config = config;
    o.topic = topic;
    o.json = json;
    o.now_ms = 1764998400000;
    std::ostringstream o_out, o_err;
    const int code = run_check_event(o, o_out, o_err);
    out = o_out.str() + o_err.str();
    return code;
  }
  fs::path dir_;
};

// A producer that writes `score` and pixel boxes: accepted, but its confidence is ignored.
// The second event is a seconds timestamp with `label` and `bbox`: rejected (no class).
TEST_F(CheckEventTest, ExplainsAcceptedAndRejectedEventsAndTheFieldsItIgnores) {
  const fs::path events = write(
      "e.jsonl",
      R"({"frame_id": "f1", "stream": "cam-1", "timestamp_ms": 1764998400000, "image": {"width": 640, "height": 480}, "detections": [{"class_name": "dog", "score": 0.91, "box": {"x_min": 64, "y_min": 48, "x_max": 128, "y_max": 96}}]})"
      "\n"
      R"({"frame_id": "f2", "stream": "cam-1", "timestamp_ms": 1764998400, "detections": [{"label": "dog", "bbox": [1, 2, 3, 4]}]})"
      "\n");
  std::string out;
  EXPECT_EQ(run(events, {}, false, out), 1) << out;
  EXPECT_THAT(out, HasSubstr("event 1 (line 1): accepted"));
  EXPECT_THAT(out, HasSubstr("ignored field detections[].score: did you mean "
                             "detections[].confidence?"));
  EXPECT_THAT(out, HasSubstr("no confidence: counted as ground truth"));
  // 64/640 = 0.1, 48/480 = 0.1, 128/640 = 0.2, 96/480 = 0.2.
  EXPECT_THAT(out, HasSubstr("0.1000  0.1000  0.2000  0.2000"));
  EXPECT_THAT(out, HasSubstr("event 2 (line 2): REJECTED (missing_field)"));
  EXPECT_THAT(out, HasSubstr("ignored field detections[].bbox"));
  EXPECT_THAT(out, HasSubstr("2 event(s), 1 accepted, 1 rejected"));
}

// With a configuration: the stream entry's class map renames and drops, its min_confidence
// leaves a low score out, a stream without an entry is rejected, a time in seconds and one
// ahead of the clock get notes. Read back from --json.
TEST_F(CheckEventTest, AppliesTheStreamEntryAndFlagsTimesInTheWrongUnit) {
  write("map.yaml", "map: {motorbike: motorcycle}\nignore: [dontcare]\n");
  const fs::path config = write("c.yaml",
                                "streams:\n"
                                "  entries:\n"
                                "    - key: cam-1\n"
                                "      class_map: map.yaml\n"
                                "      min_confidence: 0.4\n");
  const fs::path events = write(
      "e.jsonl",
      R"({"frame_id": "a", "stream": "cam-1", "timestamp_ms": 1764998400000, "detections": [)"
      R"({"class_name": "motorbike", "confidence": 0.9, "box": {"x_min": 0.1, "y_min": 0.1, "x_max": 0.2, "y_max": 0.2, "normalized": true}},)"
      R"({"class_name": "dontcare", "confidence": 0.9, "box": {"x_min": 0.1, "y_min": 0.1, "x_max": 0.2, "y_max": 0.2, "normalized": true}},)"
      R"({"class_name": "car", "confidence": 0.25, "box": {"x_min": 0.1, "y_min": 0.1, "x_max": 0.2, "y_max": 0.2, "normalized": true}}]})"
      "\n"
      R"({"frame_id": "b", "stream": "cam-2", "timestamp_ms": 1764998400000, "detections": []})"
      "\n"
      R"({"frame_id": "c", "stream": "cam-1", "timestamp_ms": 1764998400, "detections": []})"
      "\n"
      R"({"frame_id": "d", "stream": "cam-1", "timestamp_ms": 1764998400000000, "detections": []})"
      "\n");
  std::string out;
  EXPECT_EQ(run(events, config, true, out), 1) << out;
  std::vector<std::string> lines;
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 4u) << out;
  simdjson::dom::parser p;
  std::vector<simdjson::padded_string> docs;
  auto doc = [&](size_t i) {
    docs.emplace_back(lines[i]);
    return p.parse(docs.back()).value();
  };
  simdjson::dom::element a = doc(0);
  EXPECT_TRUE(bool(a["accepted"]));
  simdjson::dom::array dets = a["detections"];
  ASSERT_EQ(dets.size(), 3u);
  EXPECT_EQ(testing::str(dets.at(0)["counted_as"]), "motorcycle");
  EXPECT_TRUE(dets.at(0)["left_out"].is_null());
  EXPECT_TRUE(dets.at(1)["counted_as"].is_null());
  EXPECT_EQ(testing::str(dets.at(1)["left_out"]), "class_map");
  EXPECT_EQ(testing::str(dets.at(2)["counted_as"]), "car");
  EXPECT_EQ(testing::str(dets.at(2)["left_out"]), "min_confidence");  // 0.25 < 0.4
  EXPECT_EQ(double(dets.at(2)["confidence"]), 0.25);
  simdjson::dom::element b = doc(1);
  EXPECT_FALSE(bool(b["accepted"]));
  EXPECT_EQ(testing::str(b["reason"]), "unknown_stream");
  simdjson::dom::element c = doc(2);
  EXPECT_TRUE(bool(c["accepted"]));
  ASSERT_EQ(simdjson::dom::array(c["notes"]).size(), 1u);
  EXPECT_THAT(testing::str(simdjson::dom::array(c["notes"]).at(0)),
              HasSubstr("a time in seconds sent as timestamp_ms?"));
  simdjson::dom::element d = doc(3);
  ASSERT_EQ(simdjson::dom::array(d["notes"]).size(), 1u);
  EXPECT_THAT(testing::str(simdjson::dom::array(d["notes"]).at(0)),
              HasSubstr("rejected as clock_skew"));
  EXPECT_THAT(testing::str(simdjson::dom::array(d["notes"]).at(0)),
              HasSubstr("microseconds sent as timestamp_ms?"));
}

// A pretty-printed event (one object over several lines) is one event.
// The same detector output (a torchvision-shaped message) read as a PredictionEvent and as
// the mapped topic it is meant for: the mapping gives each detection its class, score and
// box; without it the fields are ignored (and the event rejected).
TEST_F(CheckEventTest, ATopicWithAnEventMappingIsReadThroughIt) {
  const fs::path events = write(
      "tv.jsonl",
      R"({"stream": "cam-1", "frame_id": "f1", "timestamp": 1764998400000, "image": {"width": 640, "height": 480}, "boxes": [[64, 48, 128, 96]], "labels": [1], "scores": [0.75]})"
      "\n");
  write("names.txt", "person\nbicycle\n");
  const fs::path config =
      write("c.yaml",
            "kafka:\n  topics: [predictions, rcnn]\n  mappings:\n    - topic: rcnn\n"
            "      preset: torchvision\n      class_names: names.txt\n");
  std::string out;
  ASSERT_EQ(run(events, config, true, out, "rcnn"), 0) << out;
  simdjson::dom::parser parser;
  simdjson::dom::element e = parser.parse(out.substr(0, out.find('\n')));
  simdjson::dom::element d = e["detections"].at(0);
  EXPECT_EQ(std::string_view(d["class_name"]), "bicycle");  // index 1 of names.txt
  EXPECT_EQ(std::string_view(d["counted_as"]), "bicycle");
  EXPECT_DOUBLE_EQ(double(d["confidence"]), 0.75);
  EXPECT_DOUBLE_EQ(double(d["box"].at(2)), 0.2);  // 128 / 640
  EXPECT_EQ(e["ignored_fields"].get_array().size(), 0u);

  std::string text;
  EXPECT_EQ(run(events, config, false, text, "rcnn"), 0) << text;
  EXPECT_THAT(text, HasSubstr("decoded as messages of topic rcnn, with its event mapping"));
  EXPECT_EQ(run(events, config, false, text, "predictions"), 1) << text;
  EXPECT_THAT(text, HasSubstr("REJECTED (bad_value): timestamp: expected a string"));
  EXPECT_EQ(run(events, config, false, text, "nope"), 1);
  EXPECT_THAT(text, HasSubstr("--topic nope: not one of the configured kafka.topics"));
}

TEST_F(CheckEventTest, ReadsOneEventSpreadOverLines) {
  const fs::path events = write("pretty.json",
                                "{\n"
                                "  \"frame_id\": \"f\",\n"
                                "  \"stream\": \"s\",\n"
                                "  \"timestamp_ms\": 1764998400000,\n"
                                "  \"detections\": []\n"
                                "}\n");
  std::string out;
  EXPECT_EQ(run(events, {}, false, out), 0) << out;
  EXPECT_THAT(out, HasSubstr("1 event(s), 1 accepted, 0 rejected"));
  EXPECT_THAT(out, HasSubstr("no detections"));
}

}  // namespace
}  // namespace predwatch::daemon
