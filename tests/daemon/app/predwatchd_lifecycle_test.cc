// predwatchd's lifecycle as a process, with the embedded Kafka cluster (no broker needed):
// it starts in the documented order, reports ready once the (empty) topic is caught up,
// reloads on SIGHUP (rejecting an invalid file and keeping the old configuration), and
// exits 0 on SIGTERM, stopping components in reverse order. The real-broker versions (with
// events, offsets and window contents) are in tests/integration/kafka/predwatchd_e2e_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "tests/support/http_get.h"
#include "tests/support/predwatchd_process.h"

namespace predwatch::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

// Position of `text` in `log`, for order checks (npos when absent).
size_t At(const std::string& log, const std::string& text) { return log.find(text); }

const char* kConfig =
    "kafka:\n  embedded: true\n  brokers: ''\n  topics: [events]\n"
    "metrics:\n  bind: 127.0.0.1:0\n"
    "grpc:\n  bind: 127.0.0.1:0\n"
    "web:\n  bind: 127.0.0.1:0\n"
    "drift:\n  evaluation_interval: 1s\n";

TEST(PredwatchdLifecycle, StartsInOrderBecomesReadyReloadsAndStopsInReverse) {
  const std::string binary = PredwatchdPath();
  ASSERT_FALSE(binary.empty());
  TempDir dir;
  const auto config = dir.write("c.yaml", kConfig);
  Child d({binary, "--config", config.string()}, dir.path() / "out", dir.path() / "err");
  ASSERT_TRUE(WaitForLog(d, "predwatchd: ready", 30s)) << d.err();

  std::string log = d.err();
  // The effective configuration is logged at start.
  EXPECT_THAT(log, HasSubstr("effective configuration"));
  EXPECT_THAT(log, HasSubstr("embedded: true"));
  EXPECT_THAT(log, HasSubstr("embedded Kafka"));

  // The web view listens (web.bind port 0: the log says where) and is ready with the rest.
  const std::string marker = "web view on port ";
  const size_t at = log.find(marker);
  ASSERT_NE(at, std::string::npos) << log;
  const int web_port = std::stoi(log.substr(at + marker.size()));
  const auto [status, body] = testing::http_get(web_port, "/api/v1/health");
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, "{\"ready\": true}\n");

  // SIGHUP with an invalid file: rejected, loudly; the daemon keeps running.
  dir.write("c.yaml", std::string(kConfig) + "alerting:\n  for_evaluations: 0\n");
  d.signal(SIGHUP);
  ASSERT_TRUE(WaitForLog(d, "keeping the running configuration", 10s)) << d.err();
  EXPECT_THAT(d.err(), HasSubstr("for_evaluations"));
  EXPECT_FALSE(d.wait(500ms).has_value());

  // SIGHUP with a valid change: applied; a restart-only change is reported and kept.
  dir.write("c.yaml", std::string(kConfig) +
                          "alerting:\n  for_evaluations: 5\n"
                          "statistics:\n  heatmap_grid: 8\n");
  d.signal(SIGHUP);
  ASSERT_TRUE(WaitForLog(d, "reload: applied", 10s)) << d.err();
  EXPECT_THAT(d.err(), HasSubstr("'statistics' changed; this takes a restart"));
  EXPECT_THAT(d.err(), HasSubstr("for_evaluations: 5"));

  // SIGTERM: exit 0 well within the shutdown bound, components stopped in reverse order.
  d.signal(SIGTERM);
  const auto code = d.wait(15s);
  ASSERT_TRUE(code.has_value()) << "no exit within 15 s";
  EXPECT_EQ(*code, 0) << d.err();
  log = d.err();
  const size_t eval = At(log, "stopping evaluation loop"), src = At(log, "stopping Kafka source"),
               kafka = At(log, "stopping embedded Kafka"), grpc = At(log, "stopping gRPC server"),
               metrics = At(log, "stopping metrics exporter"), engine = At(log, "stopping engine"),
               web = At(log, "stopping web view");
  for (size_t p : {eval, src, kafka, grpc, metrics, engine, web})
    ASSERT_NE(p, std::string::npos) << log;
  EXPECT_LT(kafka, web);  // started after gRPC, stopped before it
  EXPECT_LT(web, grpc);
  EXPECT_LT(eval, src);
  EXPECT_LT(src, kafka);
  EXPECT_LT(kafka, grpc);
  EXPECT_LT(grpc, metrics);
  EXPECT_LT(metrics, engine);
  EXPECT_THAT(log, HasSubstr("predwatchd: stopped"));
}

TEST(PredwatchdLifecycle, WebViewOffServesNothing) {
  const std::string binary = PredwatchdPath();
  ASSERT_FALSE(binary.empty());
  TempDir dir;
  std::string text = kConfig;
  const std::string web = "web:\n  bind: 127.0.0.1:0\n";
  text.replace(text.find(web), web.size(), "web:\n  enabled: false\n");
  const auto config = dir.write("c.yaml", text);
  const auto ports = dir.path() / "ports";
  Child d({binary, "--config", config.string(), "--ports-file", ports.string(), "--duration", "2"},
          dir.path() / "out", dir.path() / "err");
  EXPECT_EQ(d.wait(20s), std::optional<int>(0)) << d.err();
  EXPECT_THAT(d.err(), Not(HasSubstr("web view")));
  std::ifstream in(ports);
  const std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_THAT(written, HasSubstr("grpc="));
  EXPECT_THAT(written, Not(HasSubstr("web=")));
}

TEST(PredwatchdLifecycle, SigintStopsLikeSigterm) {
  const std::string binary = PredwatchdPath();
  ASSERT_FALSE(binary.empty());
  TempDir dir;
  const auto config = dir.write("c.yaml", kConfig);
  Child d({binary, "--config", config.string()}, dir.path() / "out", dir.path() / "err");
  ASSERT_TRUE(WaitForLog(d, "predwatchd: started", 30s)) << d.err();
  d.signal(SIGINT);
  EXPECT_EQ(d.wait(15s), std::optional<int>(0)) << d.err();
}

TEST(PredwatchdLifecycle, DurationStopsByItselfAndJsonLogsAreJson) {
  const std::string binary = PredwatchdPath();
  ASSERT_FALSE(binary.empty());
  TempDir dir;
  const auto config = dir.write("c.yaml", std::string(kConfig) + "logging:\n  format: json\n");
  Child d({binary, "--config", config.string(), "--duration", "2"}, dir.path() / "out",
          dir.path() / "err");
  EXPECT_EQ(d.wait(20s), std::optional<int>(0)) << d.err();
  const std::string log = d.err();
  ASSERT_FALSE(log.empty());
  size_t lines = 0;
  for (size_t pos = 0; pos < log.size();) {
    const size_t end = log.find('\n', pos);
    const std::string line = log.substr(pos, end - pos);
    pos = end == std::string::npos ? log.size() : end + 1;
    if (line.empty()) continue;
    ++lines;
    EXPECT_EQ(line.front(), '{') << line;
    EXPECT_EQ(line.back(), '}') << line;
    EXPECT_THAT(line, HasSubstr("\"level\":\""));
  }
  EXPECT_GT(lines, 3u);
}

}  // namespace
}  // namespace predwatch::testing
