// predwatchd --validate-config, run as a process: exit status 0 and "ok" on stdout for a
// valid file; exit status 1 and one "file:line:column: key.path: message" line per problem
// on stderr for invalid ones (the loader's own tests cover the rules; these check what the
// binary prints and returns).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "tests/support/predwatchd_process.h"

namespace predwatch::testing {
namespace {

using ::testing::HasSubstr;

struct InvalidCase {
  const char* name;
  const char* yaml;
  int line;              // where the first error must point (0: no position)
  const char* expected;  // "key.path: message" substring of that line
};

// Each document is wrong in exactly one way.
const InvalidCase kInvalid[] = {
    {"unknown_top_key", "kafak:\n  brokers: a:1\n", 1, "did you mean \"kafka\""},
    {"unknown_nested_key", "kafka:\n  brokrs: a:1\n", 2, "did you mean \"brokers\""},
    {"duplicate_key", "kafka:\n  group_id: a\n  group_id: b\n", 3, "duplicate"},
    {"wrong_type_bool", "kafka:\n  embedded: maybe\n", 2, "kafka.embedded: must be true or false"},
    {"embedded_with_brokers", "kafka:\n  embedded: true\n  brokers: a:1\n", 3,
     "must be empty (or left out) when kafka.embedded is true"},
    {"bad_broker_list", "kafka:\n  brokers: 'a:1,,b'\n", 2,
     "kafka.brokers: must be a comma-separated list of host:port"},
    {"empty_topics", "kafka:\n  topics: []\n", 2, "kafka.topics"},
    {"bad_topic_name", "kafka:\n  topics: ['a b']\n", 2, "must be a Kafka topic name"},
    {"dead_letter_is_consumed", "kafka:\n  topics: [p]\n  dead_letter_topic: p\n", 3,
     "must differ from the consumed kafka.topics"},
    {"reserved_property", "kafka:\n  properties:\n    group.id: x\n", 3, "group.id"},
    {"commit_interval_low", "kafka:\n  commit_interval_ms: 5\n", 2, "kafka.commit_interval_ms"},
    {"pane_not_dividing", "windows:\n  - name: w\n    length: 5m\n    pane: 7s\n", 4,
     "must divide length"},
    {"pane_longer_than_length", "windows:\n  - name: w\n    length: 10s\n    pane: 20s\n", 4,
     "must not exceed length"},
    {"bad_window_name", "windows:\n  - name: 'a b'\n    length: 1m\n    pane: 10s\n", 2,
     "must be 1-64 characters"},
    {"duplicate_window",
     "windows:\n  - {name: w, length: 1m, pane: 10s}\n"
     "  - {name: w, length: 2m, pane: 10s}\n",
     3, "w"},
    {"bad_duration", "drift:\n  evaluation_interval: 10 seconds\n", 2, "drift.evaluation_interval"},
    {"evaluation_interval_low", "drift:\n  evaluation_interval: 10ms\n", 2,
     "drift.evaluation_interval"},
    {"js_out_of_range", "drift:\n  thresholds:\n    js_distance: 1.5\n", 3,
     "drift.thresholds.js_distance"},
    {"psi_warn_above_psi", "drift:\n  thresholds:\n    psi_warn: 0.5\n    psi: 0.2\n", 3,
     "must not exceed psi"},
    {"unknown_drift_kind", "drift:\n  kinds: [spatial, colour]\n", 2, "drift.kinds"},
    {"bad_correction", "drift:\n  thresholds:\n    correction: holm\n", 3,
     "drift.thresholds.correction"},
    {"alerting_zero", "alerting:\n  for_evaluations: 0\n", 2, "alerting.for_evaluations"},
    {"resolve_ratio_high", "alerting:\n  resolve_ratio: 1.5\n", 2, "alerting.resolve_ratio"},
    {"heatmap_grid_high", "statistics:\n  heatmap_grid: 100\n", 2, "statistics.heatmap_grid"},
    {"bad_bind", "metrics:\n  bind: localhost\n", 2, "must be host:port"},
    {"bad_byte_size", "grpc:\n  max_message_bytes: 16 megabytes\n", 2, "grpc.max_message_bytes"},
    {"missing_baseline_file", "streams:\n  entries:\n    - key: cam\n      baseline: nope.pb\n", 4,
     "nope.pb"},
    {"stream_window_undefined", "streams:\n  entries:\n    - key: cam\n      windows: [10m]\n", 4,
     "10m"},
    {"bad_log_level", "logging:\n  level: verbose\n", 2, "logging.level"},
    {"yaml_syntax_error", "kafka: [unclosed\n", 2, "YAML syntax error"},
};

class ValidateConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    binary_ = PredwatchdPath();
    ASSERT_FALSE(binary_.empty()) << "predwatchd not found next to the test binary";
  }
  std::string binary_;
  TempDir dir_;
};

TEST_F(ValidateConfigTest, TableOfInvalidConfigsExitOneWithPositionedMessages) {
  ASSERT_GE(std::size(kInvalid), 20u);
  for (const InvalidCase& c : kInvalid) {
    SCOPED_TRACE(c.name);
    const auto file = dir_.write(std::string(c.name) + ".yaml", c.yaml);
    const RunResult r = RunProcess({binary_, "--validate-config", file.string()}, dir_);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_THAT(r.out, ::testing::Not(HasSubstr("ok")));
    // The first error line: "<file>:<line>:<column>: ..." naming the offending line.
    const std::string first = r.err.substr(0, r.err.find('\n'));
    const std::string prefix = file.string() + ":" + std::to_string(c.line) + ":";
    EXPECT_EQ(first.rfind(prefix, 0), 0u) << "got: " << first;
    EXPECT_TRUE(std::regex_search(first, std::regex("^.+:[0-9]+:[0-9]+: "))) << first;
    EXPECT_THAT(first, HasSubstr(c.expected));
  }
}

TEST_F(ValidateConfigTest, EveryErrorIsReportedNotJustTheFirst) {
  const auto file = dir_.write("many.yaml",
                               "kafka:\n  commit_interval_ms: 5\n"
                               "alerting:\n  for_evaluations: 0\n"
                               "logging:\n  level: verbose\n");
  const RunResult r = RunProcess({binary_, "--validate-config", file.string()}, dir_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(file.string() + ":2:"));
  EXPECT_THAT(r.err, HasSubstr(file.string() + ":4:"));
  EXPECT_THAT(r.err, HasSubstr(file.string() + ":6:"));
}

TEST_F(ValidateConfigTest, ValidFilesPrintOkAndExitZero) {
  const auto empty = dir_.write("empty.yaml", "");
  RunResult r = RunProcess({binary_, "--validate-config", empty.string()}, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");

  // The shipped example (every setting) is valid.
  const std::string example = std::string(PREDWATCH_SOURCE_DIR) + "/config/predwatch.example.yaml";
  r = RunProcess({binary_, "--validate-config", example}, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");

  // --validate-config without a value checks --config.
  r = RunProcess({binary_, "--config", empty.string(), "--validate-config"}, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");
}

TEST_F(ValidateConfigTest, MissingFileIsAnError) {
  const RunResult r =
      RunProcess({binary_, "--validate-config", (dir_.path() / "absent.yaml").string()}, dir_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("absent.yaml"));
}

TEST_F(ValidateConfigTest, DefaultConfigRoundTripsThroughValidation) {
  RunResult r = RunProcess({binary_, "--print-default-config"}, dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("evaluation_interval: 10s"));
  const auto file = dir_.write("default.yaml", r.out);
  r = RunProcess({binary_, "--validate-config", file.string()}, dir_);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");
}

TEST_F(ValidateConfigTest, StartingWithAnInvalidConfigFailsBeforeAnythingStarts) {
  const auto file = dir_.write("bad.yaml", "alerting:\n  for_evaluations: 0\n");
  const RunResult r = RunProcess({binary_, "--config", file.string()}, dir_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr(file.string() + ":2:"));
  EXPECT_THAT(r.err, HasSubstr("not starting"));
}

TEST_F(ValidateConfigTest, UsageErrorsExitTwo) {
  EXPECT_EQ(RunProcess({binary_}, dir_).exit_code, 2);
  EXPECT_EQ(RunProcess({binary_, "--no-such-flag"}, dir_).exit_code != 0, true);
  const RunResult help = RunProcess({binary_, "--help"}, dir_);
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("--validate-config"));
  EXPECT_THAT(help.out, HasSubstr("--demo"));
}

}  // namespace
}  // namespace predwatch::testing
