// `predwatch streams|alerts ... --json` against an in-process gRPC server: an answer that has
// no JSON form (a stream whose last event is in the year 58883, from a timestamp in
// microseconds accepted before limits.max_future_skew existed) must fail loudly — exit 1 and
// the reason on stderr — instead of printing an empty line and exiting 0 (issue 14).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "daemon/api/grpc_server.h"
#include "daemon/engine/monitor_engine.h"
#include "tests/daemon/cli/cli_test_util.h"

namespace predwatch::daemon::testing {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;  // 2023-11-14, in ms

core::Event event_at(std::string_view stream, std::string_view id, int64_t t) {
  core::Event e;
  e.stream = stream;
  e.frame_id = id;
  e.time_ms = t;
  e.width = 100;
  e.height = 100;
  return e;
}

class ClientCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions o;  // max_future_skew_ms = 0: the engine takes any time, as before the bound
    o.stream.windows = {{"1m", core::WindowSpec::Type::kTime, 60'000, 1'000, 5'000, 0}};
    engine_ = std::make_unique<MonitorEngine>(o);
    std::string error;
    server_ = GrpcServer::Start(*engine_, {.bind = "127.0.0.1:0"}, error);
    ASSERT_TRUE(server_) << error;
    addr_ = "127.0.0.1:" + std::to_string(server_->port());
  }

  CliRun run(std::vector<std::string> args) {
    args.push_back("--addr");
    args.push_back(addr_);
    result_ = {};
    CliRun r = run_cli(args, [this](CLI::App& app) { add_client_commands(app, result_); });
    if (r.code == 0) r.code = result_.exit_code;  // run_cli reports its own commands' result
    return r;
  }

  CommandResult result_;
  std::unique_ptr<MonitorEngine> engine_;
  std::unique_ptr<GrpcServer> server_;
  std::string addr_;
};

TEST_F(ClientCommand, StreamsJsonPrintsTheAnswer) {
  ASSERT_TRUE(engine_->apply(event_at("cam", "a", kT0)).applied);
  const CliRun r = run({"streams", "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(r.out).get(doc), simdjson::SUCCESS) << r.out;
  EXPECT_EQ(str(doc["streams"].at(0)["stream"]), "cam");
}

TEST_F(ClientCommand, AnAnswerWithoutAJsonFormExitsOneWithTheReason) {
  ASSERT_TRUE(engine_->apply(event_at("cam", "a", kT0)).applied);
  ASSERT_TRUE(engine_->apply(event_at("cam", "b", kT0 * 1000)).applied);  // year 55,800
  const CliRun r = run({"streams", "--json"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("predwatch streams: cannot print the answer as JSON"), std::string::npos)
      << r.err;
  // The table still shows the stream (its time is printed, not rejected).
  const CliRun table = run({"streams"});
  EXPECT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("cam"), std::string::npos) << table.out;
}

}  // namespace
}  // namespace predwatch::daemon::testing
