#include "config/loader.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/settings.h"

namespace predwatch::config {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

LoadResult load(const std::string& yaml) { return load_config_string(yaml, "t.yaml"); }

// ---- invalid configurations: each must fail with a message containing `expect` ----
//
// Positions are 1-based line:column of the offending key or value, counted by hand from the
// YAML text (column = characters before the token + 1).

struct InvalidCase {
  const char* name;
  const char* yaml;
  const char* expect;
};

const InvalidCase kInvalid[] = {
    {"unknown top-level key suggests", "kafak:\n  brokers: a:1\n",
     R"(t.yaml:1:1: kafak: unknown key "kafak" (did you mean "kafka"?))"},
    {"unknown nested key suggests", "kafka:\n  brokrs: a:1\n",
     R"(t.yaml:2:3: kafka.brokrs: unknown key "brokrs" (did you mean "brokers"?))"},
    {"unknown key lists allowed keys", "logging:\n  colour: red\n",
     R"(t.yaml:2:3: logging.colour: unknown key "colour"; allowed keys: level, format)"},
    {"duplicate key", "logging:\n  level: info\n  level: warn\n",
     R"(t.yaml:3:3: logging.level: duplicate key "level" (first at line 2))"},
    // "  evaluation_interval: " is 23 characters -> value at column 24.
    {"malformed duration", "drift:\n  evaluation_interval: 10 seconds\n",
     "t.yaml:2:24: drift.evaluation_interval: must be a duration like 10s, 5m, 1h"},
    {"duration out of bounds", "drift:\n  evaluation_interval: 2h\n",
     R"(t.yaml:2:24: drift.evaluation_interval: must be between 1s and 1h (got "2h"))"},
    // "  heatmap_grid: " is 16 characters.
    {"integer out of range", "statistics:\n  heatmap_grid: 65\n",
     R"(t.yaml:2:17: statistics.heatmap_grid: must be an integer in [2, 64] (got "65"))"},
    {"integer given a list", "statistics:\n  heatmap_grid: [1]\n",
     "t.yaml:2:17: statistics.heatmap_grid: must be an integer in [2, 64] (got a list)"},
    {"integer given a fraction", "alerting:\n  for_evaluations: 2.5\n",
     R"(t.yaml:2:20: alerting.for_evaluations: must be an integer in [1, 1000] (got "2.5"))"},
    {"enum value", "kafka:\n  decoder: xml\n",
     R"(t.yaml:2:12: kafka.decoder: must be one of: json, protobuf, auto (got "xml"))"},
    {"enum value suggests", "logging:\n  level: warnig\n",
     R"(t.yaml:2:10: logging.level: must be one of: trace, debug, info, warn, error (got "warnig") (did you mean "warn"?))"},
    {"number outside open interval", "alerting:\n  resolve_ratio: 0\n",
     R"(t.yaml:2:18: alerting.resolve_ratio: must be a number in (0, 1] (got "0"))"},
    {"bool spelled yes", "kafka:\n  embedded: yes\n",
     R"(t.yaml:2:13: kafka.embedded: must be true or false (got "yes"))"},
    // Window entries: "  - name: w" puts the entry map at line 2 column 5.
    {"length not a multiple of pane", "windows:\n  - name: w\n    length: 5m\n    pane: 7s\n",
     "t.yaml:4:11: windows[0].pane: must divide length 5m evenly (got 7s)"},
    {"more than 3600 panes", "windows:\n  - name: w\n    length: 2h\n    pane: 1s\n",
     "t.yaml:4:11: windows[0].pane: gives 7200 panes of 1s in length 2h; at most 3600"},
    {"pane longer than length", "windows:\n  - name: w\n    length: 10s\n    pane: 1m\n",
     "t.yaml:4:11: windows[0].pane: must not exceed length 10s (got 1m)"},
    {"duplicate window names",
     "windows:\n  - name: a\n    type: count\n    frames: 5\n  - name: a\n    type: count\n"
     "    frames: 6\n",
     R"(t.yaml:5:11: windows[1].name: duplicate window name "a" (first at line 2))"},
    {"time window without pane", "windows:\n  - name: w\n    length: 5m\n",
     "t.yaml:2:5: windows[0]: time window needs pane (a duration like 10s)"},
    {"frames on a time window",
     "windows:\n  - name: w\n    length: 5m\n    pane: 1m\n    frames: 3\n",
     "t.yaml:5:5: windows[0].frames: applies only to windows with type: count"},
    {"pane on a count window",
     "windows:\n  - name: w\n    type: count\n    frames: 3\n    pane: 1m\n",
     "t.yaml:5:5: windows[0].pane: applies only to windows with type: time"},
    {"window without name", "windows:\n  - type: count\n    frames: 3\n",
     "t.yaml:2:5: windows[0]: window needs a name"},
    {"lateness beyond length",
     "windows:\n  - name: w\n    length: 1m\n    pane: 10s\n    allowed_lateness: 2m\n",
     "t.yaml:5:23: windows[0].allowed_lateness: must not exceed length 1m (got 2m)"},
    {"empty window list", "windows: []\n", "t.yaml:1:10: windows: must be a non-empty list"},
    {"stream references unknown window",
     "streams:\n  entries:\n    - key: cam\n      windows: [5m, 5min]\n",
     R"(t.yaml:4:21: streams.entries[0].windows[1]: unknown window "5min" (did you mean "5m"?); defined windows: 5m, 1h, last10k)"},
    {"duplicate stream keys", "streams:\n  entries:\n    - key: cam\n    - key: cam\n",
     R"(t.yaml:4:12: streams.entries[1].key: duplicate stream key "cam" (first at line 3))"},
    {"stream without key", "streams:\n  entries:\n    - classes: auto\n",
     R"(t.yaml:3:7: streams.entries[0]: stream needs a key (a stream key, or "*" for all unlisted streams))"},
    {"classes neither auto nor list", "streams:\n  entries:\n    - key: cam\n      classes: 5\n",
     R"(t.yaml:4:16: streams.entries[0].classes: must be "auto" or a list of class names (got "5"))"},
    {"more classes than max_classes",
     "statistics:\n  max_classes: 2\nmetrics:\n  max_classes_exported: 1\nstreams:\n  entries:\n"
     "    - key: cam\n      classes: [a, b, c]\n",
     "t.yaml:8:16: streams.entries[0].classes: lists 3 classes; statistics.max_classes is 2"},
    {"more streams than max_streams",
     "streams:\n  max_streams: 1\n  entries:\n    - key: a\n    - key: b\n    - key: \"*\"\n",
     "t.yaml:2:16: streams.max_streams: is 1 but streams.entries lists 2 streams"},
    {"tls without key", "grpc:\n  tls:\n    cert: a.pem\n",
     "t.yaml:3:5: grpc.tls: needs both cert and key (PEM file paths); missing: key"},
    {"bind without port", "metrics:\n  bind: localhost\n",
     "t.yaml:2:9: metrics.bind: must be host:port with port in [0, 65535]"},
    {"bind port out of range", "grpc:\n  bind: 0.0.0.0:70000\n",
     "t.yaml:2:9: grpc.bind: must be host:port with port in [0, 65535]"},
    {"metrics and grpc on one port",
     "metrics:\n  bind: 0.0.0.0:9000\ngrpc:\n  bind: 127.0.0.1:9000\n",
     "t.yaml:4:9: grpc.bind: uses port 9000, which metrics.bind uses too"},
    {"web on the gRPC port", "grpc:\n  bind: 0.0.0.0:9001\nweb:\n  bind: 127.0.0.1:9001\n",
     "t.yaml:4:9: web.bind: uses port 9001, which grpc.bind uses too"},
    {"web on the default metrics port", "web:\n  bind: 127.0.0.1:9464\n",
     "t.yaml:2:9: web.bind: uses port 9464, which metrics.bind uses too"},
    {"web bind without port", "web:\n  bind: localhost\n",
     "t.yaml:2:9: web.bind: must be host:port with port in [0, 65535]"},
    {"web enabled is a bool", "web:\n  enabled: sometimes\n", "t.yaml:2:12: web.enabled"},
    {"psi_warn above psi", "drift:\n  thresholds:\n    psi_warn: 0.3\n",
     "t.yaml:3:15: drift.thresholds.psi_warn: psi_warn (0.3) must not exceed psi (0.25)"},
    {"per-stream override breaks psi order", "drift:\n  per_stream:\n    cam:\n      psi: 0.05\n",
     R"(t.yaml:4:7: drift.per_stream["cam"]: resolved psi_warn (0.1) must not exceed psi (0.05))"},
    {"per-stream and per-class combine to break psi order",
     "drift:\n  per_stream:\n    cam: {psi_warn: 0.2}\n  per_class:\n    car:\n      psi: 0.15\n",
     R"(t.yaml:6:7: drift.per_class["car"]: for stream "cam", resolved psi_warn (0.2) must not exceed psi (0.15))"},
    {"per-class unknown key suggests", "drift:\n  per_class:\n    person: {psi_wrn: 0.1}\n",
     R"(t.yaml:3:14: drift.per_class["person"].psi_wrn: unknown key "psi_wrn" (did you mean "psi_warn"?))"},
    {"correction enum", "drift:\n  thresholds:\n    correction: holm\n",
     R"(t.yaml:3:17: drift.thresholds.correction: must be one of: bh, bonferroni, bh_kinds, bh_presence (got "holm"))"},
    {"alpha out of range", "drift:\n  thresholds:\n    alpha: 0.9\n",
     R"(t.yaml:3:12: drift.thresholds.alpha: must be a number in (0, 0.5] (got "0.9"))"},
    {"unknown drift kind suggests", "drift:\n  kinds: [class_distribution, spacial]\n",
     R"(t.yaml:2:31: drift.kinds[1]: must be one of: class_distribution, pair_rate, novel_pair, objects_per_image, spatial, confidence, box_size, class_appeared, class_vanished, objects_per_frame (got "spacial") (did you mean "spatial"?))"},
    {"duplicate drift kind", "drift:\n  kinds: [spatial, spatial]\n",
     R"(t.yaml:2:20: drift.kinds[1]: duplicate entry "spatial")"},
    {"health listener on the API port",
     "grpc:\n  bind: 0.0.0.0:7000\n  health_bind: 0.0.0.0:7000\n",
     "t.yaml:3:16: grpc.health_bind: uses port 7000, which grpc.bind uses too"},
    {"health listener without a port", "grpc:\n  health_bind: probes\n",
     "t.yaml:2:16: grpc.health_bind: must be host:port"},
    {"write token from a file and a variable",
     "grpc:\n  auth:\n    token_file: /t\n    token_env: T\n",
     "t.yaml:4:16: grpc.auth.token_env: give the write token by token_file or token_env, not "
     "both"},
    {"read token without a write token", "grpc:\n  auth:\n    read_token_env: READ\n",
     "t.yaml:3:21: grpc.auth.read_token_env: a read token needs a write token"},
    {"token variable name", "grpc:\n  auth:\n    token_env: 1-bad\n",
     R"(t.yaml:3:16: grpc.auth.token_env: must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*), got "1-bad")"},
    {"auth flag spelled yes", "grpc:\n  auth:\n    allow_unauthenticated_mutations: yes\n",
     R"(grpc.auth.allow_unauthenticated_mutations: must be true or false (got "yes"))"},
    {"unknown auth key suggests", "grpc:\n  auth:\n    token: abc\n",
     R"(grpc.auth.token: unknown key "token")"},
    {"secret reference of an unknown kind",
     "kafka:\n  properties:\n    sasl.password: ${vault:x}\n",
     R"(t.yaml:3:20: kafka.properties["sasl.password"]: a secret reference is written ${env:NAME} or ${file:PATH})"},
    {"secret reference without its brace", "kafka:\n  properties:\n    sasl.password: ${env:PW\n",
     R"(kafka.properties["sasl.password"]: a secret reference is written ${env:NAME} or ${file:PATH}, alone in the value)"},
    {"secret reference with a bad variable name",
     "kafka:\n  properties:\n    sasl.password: ${env:}\n",
     R"(kafka.properties["sasl.password"]: ${env:NAME}: NAME must be an environment variable name)"},
    {"embedded with brokers", "kafka:\n  brokers: k:9092\n  embedded: true\n",
     "t.yaml:2:12: kafka.brokers: must be empty (or left out) when kafka.embedded is true"},
    {"brokers with a trailing comma", "kafka:\n  brokers: \"a:1,\"\n",
     "t.yaml:2:12: kafka.brokers: must be a comma-separated list of host:port"},
    {"brokers empty without embedded", "kafka:\n  brokers: \"\"\n",
     "t.yaml:2:12: kafka.brokers: must be a comma-separated list of host:port (or empty with "
     "kafka.embedded: true)"},
    {"no topics", "kafka:\n  topics: []\n",
     "t.yaml:2:11: kafka.topics: must be a non-empty list of Kafka topic names"},
    {"invalid topic name", "kafka:\n  topics: [ok, \"bad topic\"]\n",
     R"(t.yaml:2:16: kafka.topics[1]: must be a Kafka topic name ([A-Za-z0-9._-], at most 249 chars) (got "bad topic"))"},
    {"dead letter topic consumed", "kafka:\n  topics: [p]\n  dead_letter_topic: p\n",
     R"(t.yaml:3:22: kafka.dead_letter_topic: must differ from the consumed kafka.topics (got "p"))"},
    {"managed librdkafka property", "kafka:\n  properties:\n    group.id: x\n",
     R"(t.yaml:3:5: kafka.properties["group.id"]: is set by predwatch; use kafka.group_id instead)"},
    {"producer property predwatch sets",
     "kafka:\n  dead_letter_topic: d\n  dead_letter_properties:\n    bootstrap.servers: x:1\n",
     R"(t.yaml:4:5: kafka.dead_letter_properties["bootstrap.servers"]: is set by predwatch; use kafka.brokers instead)"},
    {"producer properties without a dead-letter topic",
     "kafka:\n  dead_letter_properties:\n    acks: all\n",
     "t.yaml:3:5: kafka.dead_letter_properties: configures the dead-letter producer, but "
     "kafka.dead_letter_topic is not set"},
    {"producer property that is a list",
     "kafka:\n  dead_letter_topic: d\n  dead_letter_properties:\n    acks: [all]\n",
     R"(t.yaml:4:11: kafka.dead_letter_properties["acks"]: must be a string value (got a list))"},
    {"producer secret reference of an unknown kind",
     "kafka:\n  dead_letter_topic: d\n  dead_letter_properties:\n    sasl.password: ${x:y}\n",
     R"(kafka.dead_letter_properties["sasl.password"]: a secret reference is written ${env:NAME} or ${file:PATH})"},
    {"byte size unit", "grpc:\n  max_message_bytes: 16MB\n",
     R"(t.yaml:2:22: grpc.max_message_bytes: must be a byte size like 1048576, 512KiB, 16MiB (got "16MB"))"},
    {"byte size out of range", "limits:\n  max_message_bytes: 1GiB\n",
     R"(t.yaml:2:22: limits.max_message_bytes: must be in [1KiB, 256MiB] (got "1GiB"))"},
    {"removed setting", "limits:\n  max_classes: 20000\n",
     "t.yaml:2:3: limits.max_classes: was removed: it meant the same as statistics.max_classes"},
    {"stream label reserved", "streams:\n  entries:\n    - {key: a, labels: {stream: x}}\n",
     "t.yaml:3:25: streams.entries[0].labels[\"stream\"]: is a label of predwatch's alert series"},
    {"stream label not a label name", "streams:\n  entries:\n    - {key: a, labels: {1x: y}}\n",
     "t.yaml:3:25: streams.entries[0].labels[\"1x\"]: is not a Prometheus label name"},
    {"stream label not a string", "streams:\n  entries:\n    - {key: a, labels: {team: [x]}}\n",
     "t.yaml:3:31: streams.entries[0].labels[\"team\"]: must be a string value"},
    {"moved setting", "reference:\n  state_dir: /tmp/refs\n",
     "t.yaml:2:3: reference.state_dir: moved to state.dir, which keeps the learned references"},
    {"exported classes above tracked classes", "metrics:\n  max_classes_exported: 2000\n",
     "t.yaml:2:25: metrics.max_classes_exported: (2000) must not exceed statistics.max_classes "
     "(1000)"},
    // Default windows: 5m (lateness 10s), 1h (lateness 1m), last10k, and max_future_skew 5m:
    // 1h 6m is covered.
    {"rebuild horizon shorter than the time windows", "kafka:\n  rebuild_horizon: 1h\n",
     "t.yaml:2:20: kafka.rebuild_horizon: (1h) must be 0 (automatic) or at least the longest "
     "time window plus its lateness and limits.max_future_skew (1h6m)"},
    {"idle expiry shorter than a window", "streams:\n  idle_expiry: 30m\n",
     "t.yaml:2:16: streams.idle_expiry: (30m) must be 0 or at least the longest time window "
     "(1h: 1h)"},
    {"class window unknown", "metrics:\n  class_windows: [5m, 1hr]\n",
     R"(t.yaml:2:23: metrics.class_windows[1]: unknown window "1hr" (did you mean "1h"?); defined windows: 5m, 1h, last10k)"},
    {"class windows star with others", "metrics:\n  class_windows: [\"*\", 5m]\n",
     R"(t.yaml:2:19: metrics.class_windows[0]: "*" (every window) must be the only entry)"},
    {"class scores value", "metrics:\n  class_scores: all\n",
     "t.yaml:2:17: metrics.class_scores: must be one of"},
    {"section is a scalar", "kafka: 5\n", "t.yaml:1:8: kafka: must be a map with keys: brokers,"},
    {"document is a list", "- a\n- b\n", "t.yaml:1:1: must be a map with keys: kafka, streams,"},
    {"two documents", "kafka:\n  group_id: a\n---\nstreams:\n  max_streams: 5\n",
     "t.yaml:4:1: expected one YAML document; a second one starts here"},
    // yaml-cpp reports the unterminated flow sequence at the end of input (line 2, column 1).
    {"YAML syntax error", "kafka:\n  topics: [a, b\n",
     "t.yaml:3:1: YAML syntax error: end of sequence flow not found"},
    {"reference min_frames above frames", "reference:\n  frames: 100\n  min_frames: 200\n",
     "t.yaml:3:15: reference.min_frames: (200) must not exceed reference.frames (100)"},
    {"reference frames negative", "reference:\n  frames: -1\n",
     "t.yaml:2:11: reference.frames: must be an integer in [0, 100000000]"},
    {"reference unknown kind", "reference:\n  kinds: [confidense]\n",
     R"(t.yaml:2:11: reference.kinds[0]: must be one of: class_distribution,)"},
    {"reference duplicate kind", "reference:\n  kinds: [box_size, box_size]\n",
     R"(t.yaml:2:21: reference.kinds[1]: duplicate entry "box_size")"},
    {"reference duration unit", "reference:\n  duration: 1 hour\n",
     R"(t.yaml:2:13: reference.duration: must be a duration like 10s, 5m, 1h)"},
    {"required string given null", "kafka:\n  group_id:\n",
     "t.yaml:2:3: kafka.group_id: must be a non-empty string (got nothing)"},
    // kafka.mappings (docs/EVENTS.md "Other shapes")
    {"mapping of a topic not consumed", "kafka:\n  topics: [dets]\n  mappings:\n    - topic: det\n",
     R"(t.yaml:4:14: kafka.mappings[0].topic: must be one of kafka.topics (dets); got "det" (did you mean "dets"?))"},
    {"two mappings of one topic",
     "kafka:\n  mappings:\n    - topic: predictions\n    - topic: predictions\n",
     R"(t.yaml:4:14: kafka.mappings[1].topic: topic "predictions" already has a mapping (line 3))"},
    {"mapping without a topic", "kafka:\n  mappings:\n    - preset: torchvision\n",
     "kafka.mappings[0]: mapping needs a topic"},
    {"stream from the message timestamp",
     "kafka:\n  mappings:\n    - topic: predictions\n      stream: \"@timestamp\"\n",
     R"(kafka.mappings[0].stream: must be a JSON path (a.b.0.c, $ = the payload), @key, @topic, =text (a constant); got "@timestamp")"},
    {"a constant detection field",
     "kafka:\n  mappings:\n    - topic: predictions\n      confidence: \"=0.5\"\n",
     R"(kafka.mappings[0].confidence: must be a JSON path (a.b.0.c, $ = the payload); got "=0.5")"},
    {"empty path segment", "kafka:\n  mappings:\n    - topic: predictions\n      box: a..b\n",
     R"(kafka.mappings[0].box: must be a JSON path (a.b.0.c, $ = the payload); got "a..b" (an empty path segment))"},
    {"selector without its bracket",
     "kafka:\n  mappings:\n    - topic: predictions\n      detections: outputs[name=boxes\n",
     R"(kafka.mappings[0].detections: must be a JSON path (a.b.0.c, $ = the payload); got "outputs[name=boxes" (a list selector reads [field=value], e.g. outputs[name=boxes], with no '.' in the value; got "[name=boxes"))"},
    {"selector without a value",
     "kafka:\n  mappings:\n    - topic: predictions\n      box: outputs[name].data\n",
     R"(got "[name]"))"},
    {"selector value with a dot",
     "kafka:\n  mappings:\n    - topic: predictions\n      box: outputs[name=a.b].data\n",
     R"(got "[name=a"))"},
    {"closing bracket alone",
     "kafka:\n  mappings:\n    - topic: predictions\n      box: outputs.name]\n",
     R"((a ']' without its '['))"},
    {"text after a selector",
     "kafka:\n  mappings:\n    - topic: predictions\n      box: outputs[name=b]x\n",
     R"(got "[name=b]x"))"},
    {"three box keys", "kafka:\n  mappings:\n    - topic: predictions\n      box_keys: [x, y, w]\n",
     "kafka.mappings[0].box_keys: must list exactly 4 keys, in box_format's order (got 3)"},
    {"unknown box format",
     "kafka:\n  mappings:\n    - topic: predictions\n      box_format: xxyy\n",
     "kafka.mappings[0].box_format: must be one of: xyxy, xywh, cxcywh"},
    {"zero image width",
     "kafka:\n  mappings:\n    - topic: predictions\n      image_width: \"=0\"\n",
     R"(kafka.mappings[0].image_width: a constant image size must be a pixel count in [1, 4294967295]; got "0")"},
    {"unknown mapping key", "kafka:\n  mappings:\n    - topic: predictions\n      scores: score\n",
     "kafka.mappings[0].scores"},
    {"memory budget neither bytes nor auto", "streams:\n  max_memory: lots\n",
     R"(streams.max_memory: must be a byte size like 1048576, 512KiB, 16MiB (got "lots"))"},
    {"peer without a port", "grpc:\n  peers: [replica-1]\n",
     R"(grpc.peers[0]: must be host:port with port in [1, 65535] (got "replica-1"))"},
};

TEST(LoadConfigInvalid, EachCaseFailsWithItsMessage) {
  ASSERT_GE(std::size(kInvalid), 25u);
  for (const InvalidCase& c : kInvalid) {
    const LoadResult r = load(c.yaml);
    EXPECT_FALSE(r.ok()) << c.name;
    EXPECT_FALSE(r.settings.has_value()) << c.name;
    EXPECT_NE(r.error_text().find(c.expect), std::string::npos)
        << c.name << "\n  expected: " << c.expect << "\n  got:\n"
        << r.error_text();
  }
}

TEST(LoadConfigInvalid, CollectsEveryErrorSortedByPosition) {
  const LoadResult r = load(
      "logging:\n  format: xml\n"         // line 2
      "statistics:\n  heatmap_grid: 1\n"  // line 4
      "kafka:\n  topicz: [a]\n");         // line 6
  ASSERT_EQ(r.errors.size(), 3u) << r.error_text();
  EXPECT_EQ(r.errors[0].line, 2);
  EXPECT_EQ(r.errors[0].path, "logging.format");
  EXPECT_EQ(r.errors[1].line, 4);
  EXPECT_EQ(r.errors[1].path, "statistics.heatmap_grid");
  EXPECT_EQ(r.errors[2].line, 6);
  EXPECT_EQ(r.errors[2].column, 3);
  EXPECT_EQ(r.errors[2].path, "kafka.topicz");
  EXPECT_EQ(r.errors[2].file, "t.yaml");
}

TEST(LoadConfigInvalid, ErrorToStringLeavesOutMissingParts) {
  EXPECT_EQ((ConfigError{"f.yaml", 3, 7, "a.b", "bad"}).to_string(), "f.yaml:3:7: a.b: bad");
  EXPECT_EQ((ConfigError{"f.yaml", 0, 0, "", "cannot read the file"}).to_string(),
            "f.yaml: cannot read the file");
}

TEST(LoadConfigFile, MissingFileIsAnErrorValue) {
  const LoadResult r = load_config_file("/nonexistent/predwatch.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].to_string(), "/nonexistent/predwatch.yaml: cannot read the file");
}

// ---- valid configurations ----

TEST(LoadConfigValid, EmptyDocumentIsTheDefaults) {
  for (const char* text : {"", "# only a comment\n", "kafka:\nlogging: {}\n"}) {
    const LoadResult r = load(text);
    ASSERT_TRUE(r.ok()) << r.error_text();
    EXPECT_EQ(*r.settings, Settings{}) << text;
  }
}

TEST(LoadConfigValid, DefaultsMatchTheSpecification) {
  const Settings s;
  ASSERT_EQ(s.windows.size(), 3u);
  EXPECT_EQ(s.windows[0].name, "5m");
  EXPECT_EQ(s.windows[0].length, minutes(5));
  EXPECT_EQ(s.windows[0].pane, seconds(10));
  EXPECT_EQ(s.windows[1].name, "1h");
  EXPECT_EQ(s.windows[1].length, std::chrono::hours(1));
  EXPECT_EQ(s.windows[1].pane, minutes(1));
  EXPECT_EQ(s.windows[2].name, "last10k");
  EXPECT_EQ(s.windows[2].type, WindowType::kCount);
  EXPECT_EQ(s.windows[2].frames, 10000);
  EXPECT_EQ(s.statistics.heatmap_grid, 16);
  EXPECT_EQ(s.drift.evaluation_interval, seconds(10));
  EXPECT_EQ(s.drift.thresholds.psi, 0.25);
  EXPECT_EQ(s.drift.thresholds.min_frames, 200);
  EXPECT_EQ(s.drift.kinds.size(), 10u);
  EXPECT_EQ(s.grpc.max_message_bytes, 16 * 1024 * 1024);
  EXPECT_EQ(s.limits.max_message_bytes, 1024 * 1024);
  EXPECT_EQ(s.metrics.bind, "0.0.0.0:9464");
  // Local clients only by default (docs/SECURITY.md); metrics stay reachable by a remote
  // Prometheus.
  EXPECT_EQ(s.grpc.bind, "127.0.0.1:50051");
  EXPECT_EQ(s.grpc.auth, GrpcAuthSettings{});
  EXPECT_FALSE(s.grpc.auth.allow_unauthenticated_mutations);
}

TEST(LoadConfigValid, ReadsEveryKindOfValue) {
  const LoadResult r = load(R"(
kafka:
  embedded: true
  topics: [a, b.c]
  decoder: protobuf
  dead_letter_topic: dlq
  properties: {sasl.password: hunter2, linger.ms: 5}
  commit_interval_ms: 250
  rebuild: false
windows:
  - name: short
    length: 1m30s
    pane: 15s
  - name: n100
    type: count
    frames: 100
streams:
  max_streams: 3
  entries:
    - key: "*"
    - key: cam
      classes: [person]
      class_map: maps/cam.yaml
      windows: [n100]
drift:
  evaluation_interval: 1s500ms
  kinds: [spatial]
grpc:
  bind: "[::]:0"
  tls: {cert: c.pem, key: k.pem, client_ca: ca.pem}
  max_message_bytes: 4MiB
logging: {level: debug, format: json}
)");
  ASSERT_TRUE(r.ok()) << r.error_text();
  const Settings& s = *r.settings;
  EXPECT_TRUE(s.kafka.embedded);
  EXPECT_EQ(s.kafka.brokers, "");
  EXPECT_EQ(s.kafka.topics, (std::vector<std::string>{"a", "b.c"}));
  EXPECT_EQ(s.kafka.decoder, Decoder::kProtobuf);
  EXPECT_EQ(s.kafka.dead_letter_topic, "dlq");
  EXPECT_EQ(s.kafka.properties.at("linger.ms"), "5");
  EXPECT_EQ(s.kafka.commit_interval_ms, 250);
  EXPECT_FALSE(s.kafka.rebuild);
  ASSERT_EQ(s.windows.size(), 2u);
  EXPECT_EQ(s.windows[0].length, seconds(90));
  EXPECT_EQ(s.windows[0].pane, seconds(15));
  EXPECT_EQ(s.windows[0].allowed_lateness, seconds(15));  // default: one pane
  EXPECT_EQ(s.windows[1].type, WindowType::kCount);
  EXPECT_EQ(s.windows[1].frames, 100);
  ASSERT_EQ(s.streams.entries.size(), 2u);
  EXPECT_TRUE(s.streams.entries[0].classes.empty());  // auto
  EXPECT_EQ(s.streams.entries[1].classes, std::vector<std::string>{"person"});
  EXPECT_EQ(s.streams.entries[1].class_map, "maps/cam.yaml");  // no base_dir: as written
  EXPECT_EQ(s.streams.entries[1].windows, std::vector<std::string>{"n100"});
  EXPECT_EQ(s.drift.evaluation_interval, Millis(1500));
  EXPECT_EQ(s.drift.kinds, std::vector<DriftKind>{DriftKind::kSpatial});
  ASSERT_TRUE(s.grpc.tls.has_value());
  EXPECT_EQ(s.grpc.tls->client_ca, "ca.pem");
  EXPECT_EQ(s.grpc.max_message_bytes, 4 * 1024 * 1024);
  EXPECT_EQ(s.grpc.bind, "[::]:0");
  EXPECT_EQ(s.logging.level, LogLevel::kDebug);
  EXPECT_EQ(s.logging.format, LogFormat::kJson);
}

TEST(LoadConfigValid, ReadsTheReferenceAndStateSections) {
  const LoadResult r = load(
      "reference:\n  enabled: false\n  frames: 0\n  duration: 30m\n  min_frames: 10\n"
      "  kinds: [confidence, spatial]\nstate:\n  dir: /tmp/state\n");
  ASSERT_TRUE(r.ok()) << r.error_text();
  EXPECT_FALSE(r.settings->reference.enabled);
  EXPECT_EQ(r.settings->reference.frames, 0);
  EXPECT_EQ(r.settings->reference.duration, Millis(1'800'000));
  EXPECT_EQ(r.settings->reference.min_frames, 10);
  EXPECT_EQ(r.settings->reference.kinds,
            (std::vector<DriftKind>{DriftKind::kConfidence, DriftKind::kSpatial}));
  EXPECT_EQ(r.settings->state.dir, "/tmp/state");
  const Settings defaults;
  EXPECT_TRUE(defaults.reference.enabled);
  EXPECT_EQ(defaults.reference.frames, 36'000);
  EXPECT_EQ(defaults.reference.duration, Millis(3'600'000));
  EXPECT_EQ(defaults.reference.min_frames, 2'000);
  EXPECT_EQ(defaults.reference.kinds.size(), 4u);
  EXPECT_TRUE(defaults.state.dir.empty());
}

TEST(LoadConfigValid, MemoryBudgetIsAutoBytesOrNone) {
  EXPECT_EQ(Settings{}.streams.max_memory, StreamsSettings::kAutoMemoryBudget);
  for (auto [text, want] :
       {std::pair<const char*, int64_t>{"auto", -1}, {"2GiB", int64_t(2) << 30}, {"0", 0}}) {
    const LoadResult r = load(std::string("streams:\n  max_memory: ") + text + "\n");
    ASSERT_TRUE(r.ok()) << text << ": " << r.error_text();
    EXPECT_EQ(r.settings->streams.max_memory, want) << text;
    // Rendered and loaded back: the same value.
    const LoadResult back = load(render_yaml(*r.settings, false));
    ASSERT_TRUE(back.ok()) << back.error_text();
    EXPECT_EQ(back.settings->streams.max_memory, want) << text;
  }
}

TEST(LoadConfigValid, RenderedConfigLoadsBackEqual) {
  Settings custom;
  custom.kafka.embedded = true;
  custom.kafka.brokers = "";
  custom.kafka.topics = {"x", "y"};
  custom.kafka.dead_letter_topic = "x.dead";
  custom.kafka.properties = {{"ssl.key.password", "pw"}, {"client.id", "*"}, {"n", "007"}};
  custom.kafka.dead_letter_properties = {{"acks", "all"}, {"sasl.password", "${file:/pw}"}};
  custom.streams.entries = {
      {.key = "*", .classes = {}, .class_map = {}, .baseline = {}, .windows = {}},
      {.key = "true",
       .classes = {"a b", "null", "#x"},
       .class_map = "/m.yaml",
       .baseline = "/b.pb",
       .windows = {"1h"}}};
  custom.windows[0].allowed_lateness = Millis(0);
  custom.drift.thresholds.alpha = 0.01;
  custom.drift.thresholds.smoothing_epsilon = 1.0 / 30000.0;  // needs %.17g to round-trip
  custom.drift.thresholds.correction = Correction::kBonferroni;
  custom.drift.per_stream["cam: 1"].psi = 0.5;
  custom.drift.per_class["person"].min_frames = 7;
  custom.drift.kinds = {};
  custom.grpc.tls = TlsSettings{.cert = "/c.pem", .key = "/k.pem", .client_ca = {}};
  custom.grpc.max_message_bytes = 1536;
  custom.grpc.auth.token_env = "PREDWATCH_WRITE";
  custom.grpc.health_bind = "0.0.0.0:50052";
  custom.grpc.auth.read_token_file = "/run/secrets/read";
  custom.grpc.auth.allow_unauthenticated_mutations = true;
  custom.kafka.properties["sasl.password"] = "${env:KAFKA_PASSWORD}";
  custom.logging.level = LogLevel::kTrace;

  for (const Settings& s : {Settings{}, custom}) {
    const std::string text = render_yaml(s, /*mask_secrets=*/false);
    const LoadResult r = load_config_string(text, "rendered.yaml");
    ASSERT_TRUE(r.ok()) << r.error_text() << "\n" << text;
    EXPECT_EQ(*r.settings, s) << text;
  }
}

TEST(LoadConfigValid, RenderMasksSecrets) {
  const LoadResult r = load(
      "kafka:\n  properties:\n    sasl.password: hunter2\n    sasl.jaas.config: jaas-text\n"
      "    client.id: visible\n");
  ASSERT_TRUE(r.ok()) << r.error_text();
  const std::string masked = render_yaml(*r.settings);
  EXPECT_EQ(masked.find("hunter2"), std::string::npos) << masked;
  EXPECT_EQ(masked.find("jaas-text"), std::string::npos) << masked;
  EXPECT_NE(masked.find("visible"), std::string::npos) << masked;
  EXPECT_NE(masked.find("sasl.password: \"*****\""), std::string::npos) << masked;
  EXPECT_NE(render_yaml(*r.settings, false).find("hunter2"), std::string::npos);
  const LoadResult dlq = load(
      "kafka:\n  dead_letter_topic: d\n  dead_letter_properties:\n"
      "    sasl.password: dlq-hunter2\n    acks: all\n");
  ASSERT_TRUE(dlq.ok()) << dlq.error_text();
  EXPECT_EQ(dlq.settings->kafka.dead_letter_properties.at("sasl.password"), "dlq-hunter2");
  const std::string dlq_masked = render_yaml(*dlq.settings);
  EXPECT_EQ(dlq_masked.find("dlq-hunter2"), std::string::npos) << dlq_masked;
  EXPECT_NE(dlq_masked.find("acks: all"), std::string::npos) << dlq_masked;
  EXPECT_TRUE(is_secret_property("SSL.KEYSTORE.PASSWORD"));
  EXPECT_TRUE(is_secret_property("sasl.oauthbearer.client.secret"));
  EXPECT_FALSE(is_secret_property("ssl.key.location"));
}

TEST(LoadConfigValid, SecretReferencesAreKeptAsReferencesAndShownAsWritten) {
  const LoadResult r = load(
      "kafka:\n  properties:\n    sasl.password: ${env:KAFKA_PASSWORD}\n"
      "    ssl.key.password: ${file:/run/secrets/key-password}\n"
      "grpc:\n  bind: 0.0.0.0:50051\n  auth:\n    token_file: /run/secrets/token\n");
  ASSERT_TRUE(r.ok()) << r.error_text();
  EXPECT_EQ(r.settings->kafka.properties.at("sasl.password"), "${env:KAFKA_PASSWORD}");
  EXPECT_EQ(r.settings->grpc.auth.token_file, "/run/secrets/token");
  const std::string shown = render_yaml(*r.settings);
  EXPECT_NE(shown.find("${env:KAFKA_PASSWORD}"), std::string::npos) << shown;
  EXPECT_NE(shown.find("${file:/run/secrets/key-password}"), std::string::npos) << shown;
  EXPECT_TRUE(is_secret_reference("${env:X}"));
  EXPECT_FALSE(is_secret_reference("hunter2"));
}

TEST(LoadConfigFile, ExampleIsValidAndEqualsDefaultsPlusExamples) {
  const LoadResult r = load_config_file(PREDWATCH_SOURCE_DIR "/config/predwatch.example.yaml");
  ASSERT_TRUE(r.ok()) << r.error_text();

  Settings expected;  // the defaults, plus what the example adds on purpose:
  expected.kafka.properties = {{"client.id", "predwatch-example"}};
  expected.streams.entries = {
      {.key = "*", .classes = {}, .class_map = {}, .baseline = {}, .windows = {}},
      {.key = "camera-entrance",
       .classes = {"person", "bicycle", "car"},
       .class_map = {},
       .baseline = {},
       .windows = {"5m", "1h"},
       .min_confidence = 0.25,
       .labels = {{"site", "entrance"}, {"team", "vision"}}}};
  expected.drift.per_stream["camera-entrance"].psi = 0.3;
  expected.drift.per_stream["camera-entrance"].min_frames = 500;
  expected.drift.per_class["person"].js_distance = 0.05;
  expected.metrics.class_windows = {"5m"};  // the default's window, spelled out
  EXPECT_EQ(*r.settings, expected) << render_yaml(*r.settings);
}

TEST(LoadConfigFile, ReadsEventMappings) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() /
                       ("predwatch_mapping_test_" +
                        std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  fs::create_directories(dir);
  std::ofstream(dir / "data.yaml") << "names: [person, car]\n";
  std::ofstream(dir / "m.yaml") << "kafka:\n  topics: [a, b]\n  mappings:\n"
                                   "    - topic: b\n      preset: coco_results\n"
                                   "      stream: \"@key\"\n      frame_id: $.image.id\n"
                                   "      timestamp_unit: us\n      image_width: 1920\n"
                                   "      image_height: \"=1080\"\n      class_names: data.yaml\n"
                                   "      box_keys: [l, t, w, h]\n"
                                   "      detections: outputs[name=dets].rows\n"
                                   "      confidence: \"[k=s].c\"\n";
  const LoadResult r = load_config_file(dir / "m.yaml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  ASSERT_EQ(r.settings->kafka.mappings.size(), 1u);
  const EventMappingSettings& m = r.settings->kafka.mappings[0];
  EXPECT_EQ(m.topic, "b");
  EXPECT_EQ(m.preset, MappingPreset::kCocoResults);
  EXPECT_EQ(m.stream, "@key");
  EXPECT_EQ(m.frame_id, "$.image.id");
  EXPECT_EQ(m.timestamp, "");  // the preset's
  EXPECT_EQ(m.timestamp_unit, TimestampUnit::kMicros);
  EXPECT_EQ(m.layout, std::nullopt);
  EXPECT_EQ(m.image_width, "=1920");  // a bare number is the constant
  EXPECT_EQ(m.image_height, "=1080");
  EXPECT_EQ(m.class_names, (dir / "data.yaml").string());
  EXPECT_EQ(m.box_keys, (std::vector<std::string>{"l", "t", "w", "h"}));
  EXPECT_EQ(m.detections, "outputs[name=dets].rows");  // list selectors, mid-path and first
  EXPECT_EQ(m.confidence, "[k=s].c");
  // Rendered and loaded back: the same mapping.
  const LoadResult back = load_config_string(render_yaml(*r.settings), "back.yaml", {});
  ASSERT_TRUE(back.ok()) << back.error_text();
  EXPECT_EQ(back.settings->kafka.mappings, r.settings->kafka.mappings);
  fs::remove_all(dir);
}

TEST(LoadConfigFile, ResolvesAndChecksFilePathsAgainstTheConfigDirectory) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() /
                       ("predwatch_config_test_" +
                        std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  fs::create_directories(dir / "maps");
  std::ofstream(dir / "maps" / "cam.yaml") << "person: person\n";
  std::ofstream(dir / "ok.yaml") << "streams:\n  entries:\n    - key: cam\n"
                                    "      class_map: maps/cam.yaml\n";
  std::ofstream(dir / "missing.yaml") << "streams:\n  entries:\n    - key: cam\n"
                                         "      baseline: base/cam.pb\n";

  const LoadResult ok = load_config_file(dir / "ok.yaml");
  ASSERT_TRUE(ok.ok()) << ok.error_text();
  EXPECT_EQ(ok.settings->streams.entries[0].class_map, (dir / "maps" / "cam.yaml").string());

  // Secret files: relative to the config file, and they must exist.
  std::ofstream(dir / "kafka-password") << "s3cret\n";
  std::ofstream(dir / "secrets.yaml") << "kafka:\n  properties:\n"
                                         "    sasl.password: ${file:kafka-password}\n"
                                         "    ssl.key.password: ${file:nowhere}\n";
  const LoadResult secrets = load_config_file(dir / "secrets.yaml");
  ASSERT_EQ(secrets.errors.size(), 1u) << secrets.error_text();
  EXPECT_NE(secrets.errors[0].to_string().find("ssl.key.password\"]: ${file:...}: file \"" +
                                               (dir / "nowhere").string() + "\" does not exist"),
            std::string::npos)
      << secrets.error_text();
  std::ofstream(dir / "secrets.yaml") << "kafka:\n  properties:\n"
                                         "    sasl.password: ${file:kafka-password}\n"
                                         "grpc:\n  auth:\n    token_file: kafka-password\n";
  const LoadResult resolved = load_config_file(dir / "secrets.yaml");
  ASSERT_TRUE(resolved.ok()) << resolved.error_text();
  EXPECT_EQ(resolved.settings->kafka.properties.at("sasl.password"),
            "${file:" + (dir / "kafka-password").string() + "}");
  EXPECT_EQ(resolved.settings->grpc.auth.token_file, (dir / "kafka-password").string());

  const LoadResult missing = load_config_file(dir / "missing.yaml");
  ASSERT_EQ(missing.errors.size(), 1u) << missing.error_text();
  // "      baseline: " is 16 characters -> column 17 on line 4.
  EXPECT_EQ(missing.errors[0].to_string(),
            (dir / "missing.yaml").string() + ":4:17: streams.entries[0].baseline: file \"" +
                (dir / "base" / "cam.pb").string() + "\" does not exist");
  fs::remove_all(dir);
}

// ---- threshold resolution: global -> per_stream -> per_class ----

TEST(ResolveThresholds, LayersGlobalThenStreamThenClass) {
  const LoadResult r = load(R"(
drift:
  thresholds: {psi: 0.3, hellinger: 0.5}
  per_stream:
    cam: {psi: 0.35, min_frames: 500}
  per_class:
    person: {js_distance: 0.05, psi: 0.4}
)");
  ASSERT_TRUE(r.ok()) << r.error_text();
  const Settings& s = *r.settings;

  // Unlisted stream, unlisted class: the global layer (defaults + thresholds section).
  DriftThresholds g = resolve_thresholds(s, "other", "car");
  EXPECT_EQ(g.psi, 0.3);
  EXPECT_EQ(g.hellinger, 0.5);
  EXPECT_EQ(g.js_distance, 0.1);
  EXPECT_EQ(g.min_frames, 200);

  // Stream layer replaces psi and min_frames only.
  DriftThresholds st = resolve_thresholds(s, "cam", "car");
  EXPECT_EQ(st.psi, 0.35);
  EXPECT_EQ(st.min_frames, 500);
  EXPECT_EQ(st.hellinger, 0.5);
  EXPECT_EQ(st.js_distance, 0.1);
  EXPECT_EQ(resolve_thresholds(s, "cam", ""), st);  // stream-level statistics

  // Class layer on top of the stream layer: class wins on psi, stream's min_frames stays.
  DriftThresholds sc = resolve_thresholds(s, "cam", "person");
  EXPECT_EQ(sc.psi, 0.4);
  EXPECT_EQ(sc.js_distance, 0.05);
  EXPECT_EQ(sc.min_frames, 500);
  EXPECT_EQ(sc.hellinger, 0.5);

  // Class layer directly on the global layer.
  DriftThresholds c = resolve_thresholds(s, "other", "person");
  EXPECT_EQ(c.psi, 0.4);
  EXPECT_EQ(c.js_distance, 0.05);
  EXPECT_EQ(c.min_frames, 200);

  // The empty class name never matches a per_class entry.
  EXPECT_EQ(resolve_thresholds(s, "other", ""), g);
}

TEST(ResolveThresholds, ApplyOverridesTouchesOnlySetFields) {
  const DriftThresholds base;
  EXPECT_EQ(apply_overrides(base, ThresholdOverrides{}), base);
  ThresholdOverrides over;
  over.correction = Correction::kBonferroni;
  over.smoothing_epsilon = 0.01;
  DriftThresholds changed = apply_overrides(base, over);
  EXPECT_EQ(changed.correction, Correction::kBonferroni);
  EXPECT_EQ(changed.smoothing_epsilon, 0.01);
  changed.correction = base.correction;
  changed.smoothing_epsilon = base.smoothing_epsilon;
  EXPECT_EQ(changed, base);
}

TEST(StreamSettings, ExactEntryThenTemplateThenDefaults) {
  Settings s;
  StreamSettings expected;
  expected.key = "cam";
  EXPECT_EQ(stream_settings(s, "cam"), expected);  // no entries: defaults
  s.streams.entries.resize(2);
  s.streams.entries[0].key = "*";
  s.streams.entries[0].classes = {"a"};
  s.streams.entries[1].key = "cam";
  s.streams.entries[1].windows = {"5m"};
  EXPECT_EQ(stream_settings(s, "cam"), s.streams.entries[1]);  // exact entry
  expected.key = "other";
  expected.classes = {"a"};
  EXPECT_EQ(stream_settings(s, "other"), expected);  // the template, renamed
  // A model version's stream: the template until versions are split, then cam's entry.
  expected.key = "cam@v2";
  EXPECT_EQ(stream_settings(s, "cam@v2"), expected);
  s.streams.split_model_versions = true;
  StreamSettings version = s.streams.entries[1];
  version.key = "cam@v2";
  EXPECT_EQ(stream_settings(s, "cam@v2"), version);
  version.key = "cam@v2@rc1";  // a version with an '@' of its own
  EXPECT_EQ(stream_settings(s, "cam@v2@rc1"), version);
  expected.key = "lobby@v2";
  EXPECT_EQ(stream_settings(s, "lobby@v2"), expected);  // no entry of lobby: the template
}

}  // namespace
}  // namespace predwatch::config

namespace predwatch::config {
namespace {

// Damaged variants of the example (characters deleted, replaced or duplicated at positions a
// fixed-seed generator picks) must never throw and must yield either errors that all name the
// file and say something, or settings that survive a render/load round trip.
TEST(LoadConfigRobustness, DamagedExamplesGiveErrorsOrValidSettings) {
  std::ifstream in(PREDWATCH_SOURCE_DIR "/config/predwatch.example.yaml");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string example = ss.str();
  ASSERT_FALSE(example.empty());
  std::uint64_t state = 42;
  auto next = [&state](std::uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;  // Knuth's MMIX LCG
    return (state >> 33) % n;
  };
  const std::string replacements = ":-[]{}\"' \n#&*!|>,0a9";
  int valid = 0, invalid = 0;
  for (int i = 0; i < 600; ++i) {
    std::string text = example;
    for (int edits = 1 + static_cast<int>(next(3)); edits > 0; --edits) {
      const std::size_t at = next(text.size());
      switch (next(3)) {
        case 0:
          text.erase(at, 1 + next(4));
          break;
        case 1:
          text[at] = replacements[next(replacements.size())];
          break;
        default:
          text.insert(at, text.substr(at, 1 + next(8)));
      }
    }
    LoadResult r;
    ASSERT_NO_THROW(r = load_config_string(text, "m.yaml")) << text;
    if (r.ok()) {
      ++valid;
      const LoadResult again = load_config_string(render_yaml(*r.settings, false), "r.yaml");
      ASSERT_TRUE(again.ok()) << again.error_text() << "\nfrom:\n" << text;
      EXPECT_EQ(*again.settings, *r.settings) << text;
    } else {
      ++invalid;
      for (const ConfigError& e : r.errors) {
        EXPECT_EQ(e.file, "m.yaml");
        EXPECT_FALSE(e.message.empty());
      }
    }
  }
  // Both outcomes occur, so both branches above were exercised.
  EXPECT_GT(valid, 0);
  EXPECT_GT(invalid, 0);
}

}  // namespace
}  // namespace predwatch::config
