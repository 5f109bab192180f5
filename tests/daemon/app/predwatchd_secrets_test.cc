// Secrets and access control of predwatchd as a process (embedded Kafka, no broker needed):
// a Kafka secret or a gRPC token never reaches the log — not in the effective configuration,
// not in a configuration error, not at debug level — and the `predwatch` CLI, another
// process, calls mutating RPCs with --token-file (refused without it or with a wrong one,
// each refusal counted on /metrics).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <regex>

#include "tests/support/http_get.h"
#include "tests/support/predwatchd_process.h"

namespace predwatch::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecret[] = "Sup3rSecret-do-not-log-42";
constexpr char kToken[] = "tok-0123456789abcdef-0123456789";

std::string PredwatchPath() {
  const std::string d = PredwatchdPath();
  if (d.empty()) return "";
  return (std::filesystem::path(d).parent_path() / "predwatch").string();
}

// Runs predwatchd with `config` until it exits (a start failure) or 3 s passed (then
// SIGTERM); its stdout and stderr together.
std::string RunDaemon(const TempDir& dir, const std::string& config) {
  const auto path = dir.write("c.yaml", config);
  Child d({PredwatchdPath(), "--config", path.string()}, dir.path() / "out", dir.path() / "err");
  if (!d.wait(3s).has_value()) {
    d.signal(SIGTERM);
    d.wait(15s);
  }
  return d.out() + d.err();
}

// A Kafka client whose configuration librdkafka rejects, carrying a secret (a JAAS line
// copied from a Java client: librdkafka has no such property) — the error used to print
// "property sasl.jaas.config=<value>".
TEST(PredwatchdSecrets, AKafkaConfigurationErrorDoesNotPrintTheSecret) {
  TempDir dir;
  const std::string log = RunDaemon(
      dir,
      std::string("kafka:\n  brokers: 127.0.0.1:1\n  topics: [events]\n  rebuild: false\n"
                  "  properties:\n    sasl.jaas.config: 'PlainLoginModule required "
                  "username=\"u\" password=\"") +
          kSecret +
          "\";'\n"
          "web:\n  bind: 127.0.0.1:0\nmetrics:\n  bind: 127.0.0.1:0\ngrpc:\n  bind: 127.0.0.1:0\n"
          "logging:\n  level: debug\n");
  EXPECT_THAT(log, HasSubstr("sasl.jaas.config"));  // the error names the property...
  EXPECT_THAT(log, HasSubstr("cannot start"));
  EXPECT_THAT(log, Not(HasSubstr(kSecret)));  // ...never its value
}

// The same through a secret reference: the variable's value is in no log line, neither in
// the configuration error of a misspelt key nor while running at debug level.
TEST(PredwatchdSecrets, SecretReferencesAreResolvedAndNeverLogged) {
  TempDir dir;
  ASSERT_EQ(setenv("PREDWATCH_TEST_KAFKA_PASSWORD", kSecret, 1), 0);
  const std::string bad = RunDaemon(
      dir,
      "kafka:\n  brokers: 127.0.0.1:1\n  topics: [events]\n  rebuild: false\n"
      "  properties:\n    sasl.passwrd: ${env:PREDWATCH_TEST_KAFKA_PASSWORD}\n"
      "web:\n  bind: 127.0.0.1:0\nmetrics:\n  bind: 127.0.0.1:0\ngrpc:\n  bind: 127.0.0.1:0\n"
      "logging:\n  level: debug\n");
  EXPECT_THAT(bad, HasSubstr("sasl.passwrd"));
  EXPECT_THAT(bad, HasSubstr("cannot start"));
  EXPECT_THAT(bad, Not(HasSubstr(kSecret)));

  // A valid SASL configuration, a broker that is not there: the daemon runs and logs.
  dir.write("kafka-password", std::string(kSecret) + "\n");
  const std::string running = RunDaemon(
      dir,
      "kafka:\n  brokers: 127.0.0.1:1\n  topics: [events]\n  rebuild: false\n"
      "  properties:\n    security.protocol: SASL_PLAINTEXT\n    sasl.mechanisms: PLAIN\n"
      "    sasl.username: predwatch\n    sasl.password: ${file:kafka-password}\n"
      "web:\n  bind: 127.0.0.1:0\nmetrics:\n  bind: 127.0.0.1:0\ngrpc:\n  bind: 127.0.0.1:0\n"
      "logging:\n  level: debug\n");
  EXPECT_THAT(running, HasSubstr("${file:"));  // the effective configuration names the file
  EXPECT_THAT(running, HasSubstr("predwatchd: started"));
  EXPECT_THAT(running, Not(HasSubstr(kSecret)));

  // An unset variable stops the start with a message naming it.
  ASSERT_EQ(unsetenv("PREDWATCH_TEST_KAFKA_PASSWORD"), 0);
  const std::string unset = RunDaemon(
      dir,
      "kafka:\n  brokers: 127.0.0.1:1\n  topics: [events]\n"
      "  properties:\n    sasl.password: ${env:PREDWATCH_TEST_KAFKA_PASSWORD}\n"
      "web:\n  bind: 127.0.0.1:0\nmetrics:\n  bind: 127.0.0.1:0\ngrpc:\n  bind: 127.0.0.1:0\n");
  EXPECT_THAT(unset, HasSubstr("environment variable PREDWATCH_TEST_KAFKA_PASSWORD is unset"));
}

// kafka.dead_letter_properties reach the dead-letter producer with their references
// resolved: librdkafka's refusal of a misspelt key names the key (so the property got
// there), never the value; an unset variable stops the start naming the entry.
TEST(PredwatchdSecrets, DeadLetterProducerPropertiesAreResolvedAndNeverLogged) {
  TempDir dir;
  const std::string config =
      "kafka:\n  brokers: 127.0.0.1:1\n  topics: [events]\n  rebuild: false\n"
      "  dead_letter_topic: events.dead\n"
      "  dead_letter_properties:\n    sasl.passwrd: ${env:PREDWATCH_TEST_DLQ_PASSWORD}\n"
      "web:\n  bind: 127.0.0.1:0\nmetrics:\n  bind: 127.0.0.1:0\ngrpc:\n  bind: 127.0.0.1:0\n"
      "logging:\n  level: debug\n";
  ASSERT_EQ(setenv("PREDWATCH_TEST_DLQ_PASSWORD", kSecret, 1), 0);
  const std::string bad = RunDaemon(dir, config);
  EXPECT_THAT(bad, HasSubstr("dead-letter producer property sasl.passwrd"));
  EXPECT_THAT(bad, HasSubstr("cannot start"));
  EXPECT_THAT(bad, Not(HasSubstr(kSecret)));

  ASSERT_EQ(unsetenv("PREDWATCH_TEST_DLQ_PASSWORD"), 0);
  const std::string unset = RunDaemon(dir, config);
  EXPECT_THAT(unset, HasSubstr("kafka.dead_letter_properties[\"sasl.passwrd\"]"));
  EXPECT_THAT(unset, HasSubstr("environment variable PREDWATCH_TEST_DLQ_PASSWORD is unset"));
}

TEST(PredwatchdSecrets, ATooShortTokenStopsTheStart) {
  TempDir dir;
  dir.write("token", "short\n");
  const std::string log = RunDaemon(dir,
                                    "kafka:\n  embedded: true\n  brokers: ''\n  topics: [events]\n"
                                    "web:\n  bind: 127.0.0.1:0\nmetrics:\n  bind: 127.0.0.1:0\n"
                                    "grpc:\n  bind: 127.0.0.1:0\n  auth:\n    token_file: token\n");
  EXPECT_THAT(log, HasSubstr("shorter than 16 characters"));
  EXPECT_THAT(log, Not(HasSubstr("predwatchd: started")));
}

// predwatchd with a write token; the CLI as a separate process; the token rotated by SIGHUP.
TEST(PredwatchdSecrets, TheCliCallsMutatingRpcsWithItsTokenFile) {
  const std::string cli = PredwatchPath();
  ASSERT_TRUE(std::filesystem::is_regular_file(cli)) << cli;
  TempDir dir;
  const auto token = dir.write("token", std::string(kToken) + "\n");
  ASSERT_EQ(chmod(token.c_str(), 0600), 0);
  const auto wrong = dir.write("wrong", "wrong-0123456789abcdef-0123456789\n");
  const auto config = dir.write("c.yaml",
                                "kafka:\n  embedded: true\n  brokers: ''\n  topics: [events]\n"
                                "web:\n  bind: 127.0.0.1:0\nmetrics:\n  bind: 127.0.0.1:0\n"
                                "grpc:\n  bind: 127.0.0.1:0\n  auth:\n    token_file: token\n"
                                "logging:\n  level: debug\n");
  Child d({PredwatchdPath(), "--config", config.string(), "--ports-file",
           (dir.path() / "ports").string()},
          dir.path() / "out", dir.path() / "err");
  ASSERT_TRUE(WaitForLog(d, "predwatchd: ready", 30s)) << d.err();
  EXPECT_THAT(d.err(), HasSubstr("gRPC auth: reads open, mutations need the write token"));
  std::smatch m;
  const std::string ports = ReadAll(dir.path() / "ports");
  ASSERT_TRUE(std::regex_search(ports, m, std::regex("grpc=(\\d+)"))) << ports;
  const std::string addr = "127.0.0.1:" + m[1].str();
  ASSERT_TRUE(std::regex_search(ports, m, std::regex("metrics=(\\d+)"))) << ports;
  const int metrics_port = std::stoi(m[1].str());

  // Reads need no token. `reference reset` on an unknown stream: refused before the
  // handler without the right token, NOT_FOUND from the handler with it.
  TempDir run;
  RunResult r = RunProcess({cli, "streams", "--addr", addr}, run);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(unsetenv("PREDWATCH_TOKEN"), 0);
  r = RunProcess({cli, "reference", "reset", "nosuch", "--addr", addr}, run);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("UNAUTHENTICATED"));
  r = RunProcess({cli, "reference", "reset", "nosuch", "--addr", addr, "--token-file", wrong}, run);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("UNAUTHENTICATED: invalid token"));
  r = RunProcess({cli, "reference", "reset", "nosuch", "--addr", addr, "--token-file", token}, run);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("NOT_FOUND"));  // authorised: the handler ran
  ASSERT_EQ(setenv("PREDWATCH_TOKEN", kToken, 1), 0);
  r = RunProcess({cli, "reference", "reset", "nosuch", "--addr", addr}, run);
  EXPECT_THAT(r.err, HasSubstr("NOT_FOUND"));  // the token from the environment
  ASSERT_EQ(unsetenv("PREDWATCH_TOKEN"), 0);
  r = RunProcess({cli, "streams", "--addr", addr, "--token-file", "/nonexistent/token"}, run);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("cannot read /nonexistent/token"));

  const auto [status, body] = http_get(metrics_port, "/metrics");
  ASSERT_EQ(status, 200);
  EXPECT_THAT(body, HasSubstr("predwatch_api_auth_failures_total{rpc=\"ResetReference\","
                              "reason=\"missing\"} 1"));
  EXPECT_THAT(body, HasSubstr("predwatch_api_auth_failures_total{rpc=\"ResetReference\","
                              "reason=\"invalid\"} 1"));

  // Each refusal is logged with the caller's address (once a minute per RPC and reason).
  EXPECT_THAT(d.err(), HasSubstr("grpc: ResetReference from ipv4:127.0.0.1:"));
  EXPECT_THAT(d.err(), HasSubstr("refused (missing)"));
  EXPECT_THAT(d.err(), HasSubstr("refused (invalid)"));

  // Rotation: a new token in the file and SIGHUP; the old token stops working at once.
  constexpr char kNewToken[] = "new-0123456789abcdef-0123456789";
  dir.write("token", std::string(kNewToken) + "\n");
  d.signal(SIGHUP);
  ASSERT_TRUE(WaitForLog(d, "reload: gRPC tokens re-read", 10s)) << d.err();
  r = RunProcess({cli, "reference", "reset", "nosuch", "--addr", addr, "--token-file", token}, run);
  EXPECT_THAT(r.err, HasSubstr("NOT_FOUND"));  // `token` now holds the new token
  const auto old_token = dir.write("old", std::string(kToken) + "\n");
  r = RunProcess({cli, "reference", "reset", "nosuch", "--addr", addr, "--token-file", old_token},
                 run);
  EXPECT_THAT(r.err, HasSubstr("UNAUTHENTICATED: invalid token"));
  // A broken token file on reload keeps the running token.
  dir.write("token", "short\n");
  d.signal(SIGHUP);
  ASSERT_TRUE(WaitForLog(d, "keeping the running tokens", 10s)) << d.err();
  const auto new_token = dir.write("new", std::string(kNewToken) + "\n");
  r = RunProcess({cli, "reference", "reset", "nosuch", "--addr", addr, "--token-file", new_token},
                 run);
  EXPECT_THAT(r.err, HasSubstr("NOT_FOUND"));

  d.signal(SIGTERM);
  ASSERT_EQ(d.wait(15s), 0) << d.err();
  EXPECT_THAT(d.err() + d.out(), Not(HasSubstr(kNewToken)));
  EXPECT_THAT(d.err() + d.out(), Not(HasSubstr(kToken)));
  EXPECT_THAT(d.err() + d.out(), Not(HasSubstr("wrong-0123456789abcdef")));
}

}  // namespace
}  // namespace predwatch::testing
