// Parity of the backtest and the daemon: one recorded event file through `predwatch replay`
// (run_replay, in process) and through predwatchd consuming the same events from a
// one-partition topic of the real broker (the kafka_broker fixture), both with
// drift.evaluation_clock: event, must give the same alert transitions — kind, subject,
// window, state and evaluation time relative to the first event.
//
// The recording: 12 minutes of COCO val2017 frames at 10 fps with giraffe+toilet injected on
// 3% of frames from minute 3 to 6, and every car dropped from minute 7 on; a 2-minute window,
// evaluations every 10 s, alerts firing after 2 and resolving after 2 evaluations.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "daemon/cli/replay.h"
#include "tests/support/coco_scenario.h"
#include "tests/support/kafka_broker.h"
#include "tests/support/kafka_producer.h"
#include "tests/support/predwatchd_process.h"

namespace predwatch::testing {
namespace {

using namespace std::chrono_literals;

constexpr int64_t kStart = 1795780800000;  // 2026-11-27T12:00:00Z
constexpr int64_t kMinute = 60'000;

// (time since the first event, kind, subject, window, state), in order of appearance.
using Row = std::tuple<int64_t, std::string, std::string, std::string, std::string>;

std::string Subject(simdjson::dom::element doc) {
  if (doc["subject"].is_string()) return std::string(doc["subject"].get_string().value());
  std::string s;
  for (auto part : doc["subject"].get_array()) {
    if (!s.empty()) s += "|";
    s += std::string(part.get_string().value());
  }
  return s;
}

// Replay's JSON lines (state "dropped") or the alert log's (type transition, to "inactive").
std::vector<Row> Parse(const std::string& text, bool alert_log, int64_t until_ms) {
  simdjson::dom::parser parser;
  std::istringstream lines(text);
  std::string line;
  std::vector<Row> rows;
  while (std::getline(lines, line)) {
    simdjson::dom::element doc;
    if (parser.parse(line).get(doc) != simdjson::SUCCESS) continue;
    std::string state;
    if (alert_log) {
      if (doc["type"].get_string().value() != "transition") continue;
      state = std::string(doc["to"].get_string().value());
      if (state == "inactive") state = "dropped";
    } else {
      state = std::string(doc["state"].get_string().value());
    }
    const int64_t t = doc["time_ms"].get_int64().value();
    if (t > until_ms) continue;
    rows.emplace_back(t - kStart, std::string(doc["kind"].get_string().value()), Subject(doc),
                      std::string(doc["window"].get_string().value()), state);
  }
  return rows;
}

TEST(ReplayParity, ReplayAndPredwatchdOnTheBrokerGiveTheSameTransitions) {
  const std::string bootstrap = Bootstrap();
  if (bootstrap.empty()) GTEST_SKIP() << "run through ctest (the kafka_broker fixture)";
  ASSERT_FALSE(PredwatchdPath().empty());
  TempDir dir;
  std::vector<core::PoolFrame> pool;
  const auto baseline = dir.path() / "coco.baseline";
  LoadCocoPoolAndBaseline(
      std::string(PREDWATCH_SOURCE_DIR) + "/tests/data/coco_val2017/instances_val2017_boxes.json",
      baseline, pool);
  if (HasFatalFailure()) return;

  core::ScenarioGenerator g(pool, "cam-parity", 5);
  core::Episode pair;
  pair.kind = core::Episode::Kind::kInjectPair;
  pair.a = "giraffe";
  pair.b = "toilet";
  pair.rate = 0.03;
  pair.start_ms = kStart + 3 * kMinute;
  pair.end_ms = kStart + 6 * kMinute;
  ASSERT_EQ(g.add_episode(pair), "");
  core::Episode vanish;
  vanish.kind = core::Episode::Kind::kVanish;
  vanish.a = "car";
  vanish.start_ms = kStart + 7 * kMinute;
  vanish.end_ms = kStart + 12 * kMinute;
  ASSERT_EQ(g.add_episode(vanish), "");
  std::vector<std::string> lines;
  int64_t last_ms = 0;
  for (int64_t t = kStart; t < kStart + 12 * kMinute; t += 100) {
    lines.push_back(EventJson(g.next(t)));
    last_ms = t;
  }
  const auto events = dir.path() / "events.jsonl";
  {
    std::ofstream out(events);
    for (const std::string& l : lines) out << l << '\n';
  }

  const std::string topic = Unique("parity");
  const std::string state =
      std::filesystem::path(std::getenv("PREDWATCH_KAFKA_BOOTSTRAP_FILE")).parent_path();
  ASSERT_EQ(
      std::system(("PREDWATCH_KAFKA_STATE=" + state + " bash " + std::string(PREDWATCH_SOURCE_DIR) +
                   "/tests/integration/kafka/broker.sh topic " + topic + " 1 >/dev/null")
                      .c_str()),
      0);
  const std::string common =
      "windows:\n"
      "  - {name: 2m, type: time, length: 2m, pane: 10s, allowed_lateness: 10s}\n"
      "drift:\n  evaluation_interval: 10s\n  evaluation_clock: event\n"
      "alerting:\n  for_evaluations: 2\n  resolve_evaluations: 2\n"
      "streams:\n  entries:\n    - key: cam-parity\n      baseline: " +
      baseline.string() + "\n";
  const auto replay_config = dir.write("replay.yaml", common);
  const auto daemon_config =
      dir.write("daemon.yaml", "kafka:\n  brokers: " + bootstrap + "\n  topics: [" + topic +
                                   "]\n  group_id: " + Unique("parity") +
                                   "\n  commit_interval_ms: 200\n" + common);

  // The backtest.
  daemon::ReplayOptions options;
  options.events = events;
  options.config = replay_config;
  options.json = true;
  std::ostringstream out, err;
  ASSERT_EQ(daemon::run_replay(options, out, err), 0) << err.str();
  // predwatchd never sees the end of the recording: compare up to the last event's time
  // (replay's closing evaluation comes after it).
  const std::vector<Row> want = Parse(out.str(), false, last_ms);
  ASSERT_GE(want.size(), 4u) << out.str();  // pending and firing of both episodes at least

  // The daemon, on the same events from the broker.
  {
    Producer producer(bootstrap);
    for (const std::string& l : lines) producer.send(topic, "cam-parity", l, "application/json");
    producer.flush();
  }
  const auto alerts = dir.path() / "alerts.jsonl";
  Child daemon(
      {PredwatchdPath(), "--config", daemon_config.string(), "--metrics-bind", "127.0.0.1:0",
       "--grpc-bind", "127.0.0.1:0", "--web-bind", "127.0.0.1:0", "--alerts-log", alerts.string()},
      dir.path() / "d.out", dir.path() / "d.err");
  std::vector<Row> got;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < deadline) {
    got = Parse(ReadAll(alerts), true, last_ms);
    if (got.size() >= want.size()) break;
    std::this_thread::sleep_for(200ms);
  }
  std::this_thread::sleep_for(1s);  // anything beyond would be a difference too
  got = Parse(ReadAll(alerts), true, last_ms);
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait(20s), 0) << daemon.err();
  EXPECT_EQ(got, want) << "replay:\n" << out.str() << "\npredwatchd log:\n" << daemon.err();
}

}  // namespace
}  // namespace predwatch::testing
