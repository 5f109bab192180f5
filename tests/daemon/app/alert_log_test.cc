// The alert log's JSON line of a transition: the deciding window's payload, every window's
// verdict and the folded partner classes (one alert per stream, kind and subject).
#include "daemon/app/alert_log.h"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace predwatch::daemon {
namespace {

TEST(AlertLog, TransitionLineCarriesEveryWindow) {
  core::AlertTransition t;
  t.from = core::AlertState::kPending;
  t.to = core::AlertState::kFiring;
  t.time_ms = 42'000;
  t.alert.fingerprint = 0xabcdef;
  t.alert.state = core::AlertState::kFiring;
  t.alert.peak_score = 0.4;
  core::AlertObservation& o = t.alert.last;
  o.key = {core::AlertKind::kClassAppeared, "cam \"1\"", "umbrella"};
  o.window = "5m";
  o.score = 0.4;
  o.threshold = 0.1;
  o.related_subjects = {"person"};
  o.windows = {{"5m", true, 0.4, 0.1, 1e-5, {30, 3000, 0, 5000}},
               {"1h", false, std::nan(""), 0.1, std::nan(""), {0, 0, 0, 0}},
               {"5m", false, 0.05, 0.1, 0.3, {30, 3000, 0, 5000}, core::Against::kReference}};
  const std::string line = AlertLog::to_json(t);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(line).get(doc), simdjson::SUCCESS) << line;
  EXPECT_EQ(std::string_view(doc["type"]), "transition");
  EXPECT_EQ(std::string_view(doc["to"]), "firing");
  EXPECT_EQ(std::string_view(doc["kind"]), "class_appeared");
  EXPECT_EQ(std::string_view(doc["stream"]), "cam \"1\"");
  EXPECT_EQ(std::string_view(doc["window"]), "5m");
  EXPECT_EQ(std::string_view(doc["subject"]), "umbrella");
  EXPECT_EQ(std::string_view(doc["fingerprint"]), "0000000000abcdef");
  EXPECT_EQ(double(doc["score"]), 0.4);
  simdjson::dom::array windows = doc["windows"];
  EXPECT_EQ(std::string_view(doc["against"]), "baseline");
  ASSERT_EQ(windows.size(), 3u);
  EXPECT_EQ(std::string_view(windows.at(0)["against"]), "baseline");
  EXPECT_EQ(std::string_view(windows.at(2)["window"]), "5m");
  EXPECT_EQ(std::string_view(windows.at(2)["against"]), "reference");
  EXPECT_EQ(std::string_view(windows.at(0)["window"]), "5m");
  EXPECT_TRUE(bool(windows.at(0)["over"]));
  EXPECT_EQ(uint64_t(windows.at(0)["window_count"]), 30u);
  EXPECT_EQ(uint64_t(windows.at(0)["window_total"]), 3000u);
  EXPECT_FALSE(bool(windows.at(1)["over"]));
  EXPECT_TRUE(windows.at(1)["score"].is_null());
  simdjson::dom::array related = doc["related_subjects"];
  ASSERT_EQ(related.size(), 1u);
  EXPECT_EQ(std::string_view(related.at(0)), "person");
  EXPECT_EQ(doc["note"].error(), simdjson::NO_SUCH_FIELD);

  t.from = core::AlertState::kFiring;
  t.to = t.alert.state = core::AlertState::kInactive;
  t.note = "stream moved to another replica";
  const std::string dropped = AlertLog::to_json(t);
  ASSERT_EQ(parser.parse(dropped).get(doc), simdjson::SUCCESS) << dropped;
  EXPECT_EQ(std::string_view(doc["to"]), "inactive");
  EXPECT_EQ(std::string_view(doc["note"]), "stream moved to another replica");
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(AlertLog, AppendsToWhatAnEarlierRunWroteAndReopensAfterARename) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("alert-log-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "alerts.jsonl";
  MonitorEngine engine(EngineOptions{});
  std::string error;
  {
    auto log = AlertLog::Open(file, engine, error);
    ASSERT_TRUE(log) << error;
    log->write_line(R"({"run":1})");
  }
  {
    auto log = AlertLog::Open(file, engine, error);  // the restart
    ASSERT_TRUE(log) << error;
    log->write_line(R"({"run":2})");
    EXPECT_EQ(read_file(file), "{\"run\":1}\n{\"run\":2}\n");
    // Rotation: rename, then reopen (SIGHUP); the new lines go to a new file at the path.
    std::filesystem::rename(file, dir / "alerts.jsonl.1");
    log->write_line(R"({"run":3})");  // still the renamed file
    ASSERT_TRUE(log->reopen(error)) << error;
    log->write_line(R"({"run":4})");
  }
  EXPECT_EQ(read_file(dir / "alerts.jsonl.1"), "{\"run\":1}\n{\"run\":2}\n{\"run\":3}\n");
  EXPECT_EQ(read_file(file), "{\"run\":4}\n");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace predwatch::daemon
