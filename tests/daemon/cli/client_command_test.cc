// `predwatch streams|alerts ... --json` against an in-process gRPC server: an answer that has
// no JSON form (a stream whose last event is in the year 58883, from a timestamp in
// microseconds accepted before limits.max_future_skew existed) must fail loudly — exit 1 and
// the reason on stderr — instead of printing an empty line and exiting 0 (issue 14).
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "daemon/api/grpc_server.h"
#include "daemon/engine/monitor_engine.h"
#include "tests/daemon/cli/cli_test_util.h"
#include "tests/support/test_pki.h"

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

// The whole file at `path`, which is then removed.
std::string take_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::filesystem::remove(path);
  return ss.str();
}

// The report page's inlined JSON (daemon/cli/html_report.h); nullopt without the element.
std::optional<std::string> report_json(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"report-data\">";
  const size_t b = html.find(open);
  if (b == std::string::npos) return std::nullopt;
  return html.substr(b + open.size(), html.find("</script>", b) - b - open.size());
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

// `baseline snapshot --install` then `baseline revert`: the stream has no configured
// baseline, so it is left without one; a second revert fails with the server's reason.
TEST_F(ClientCommand, BaselineRevertRemovesTheInstalledBaseline) {
  ASSERT_TRUE(engine_->apply(event_at("cam", "a", kT0)).applied);
  server_->set_ready(true);
  CliRun r = run({"baseline", "snapshot", "cam", "--install"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = run({"baseline", "revert", "cam"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "stream cam: installed baseline removed; it has no baseline now\n");
  engine_->with_stream("cam", [](const StreamView& v) { EXPECT_EQ(v.baseline, nullptr); });
  r = run({"baseline", "revert", "cam", "--json"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("has no installed baseline"), std::string::npos) << r.err;
}

// `alerts --history`: nothing happened yet; --watch cannot be combined with it; the limit is
// checked before any call.
TEST_F(ClientCommand, AlertHistoryOnAQuietServer) {
  CliRun r = run({"alerts", "--history"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("(no alert transitions since predwatchd started)"), std::string::npos)
      << r.out;
  r = run({"alerts", "--history", "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  // (unreachable_replicas: the replicas that did not answer, with grpc.peers; none here.)
  EXPECT_EQ(r.out, "{\n \"transitions\": [],\n \"unreachable_replicas\": []\n}\n");
  EXPECT_NE(run({"alerts", "--history", "--watch"}).code, 0);
  EXPECT_NE(run({"alerts", "--history", "--limit", "5000"}).code, 0);
}

// `stats STREAM --html OUT.html`: the window's tables as the report page, counts as sent.
TEST_F(ClientCommand, StatsHtmlWritesTheWindowAsAReportPage) {
  // 20 frames with person + car, 10 with 2 dogs + person (frame i at kT0 + 100 i).
  for (int i = 0; i < 30; ++i) {
    const std::string id = "f" + std::to_string(i);
    core::Event e = event_at("cam", id, kT0 + 100 * i);
    auto add = [&](std::string_view cls, float x) {
      core::NamedDetection d;
      d.class_name = cls;
      d.box = core::Box{x, 0.1f, x + 0.2f, 0.5f};
      e.detections.push_back(d);
    };
    add("person", 0.1f);
    if (i < 20) {
      add("car", 0.5f);
    } else {
      add("dog", 0.4f);
      add("dog", 0.7f);
    }
    ASSERT_TRUE(engine_->apply(e).applied);
  }
  server_->set_ready(true);
  const std::string out = (std::filesystem::temp_directory_path() /
                           ("predwatch-stats-" + std::to_string(::getpid()) + ".html"))
                              .string();
  const CliRun r = run({"stats", "cam", "--html", out});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  const std::string html = take_file(out);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  const std::optional<std::string> json = report_json(html);
  ASSERT_TRUE(json.has_value());
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(*json).get(doc), simdjson::SUCCESS) << json->substr(0, 200);
  EXPECT_EQ(str(doc["report"]["kind"]), "window");
  EXPECT_EQ(str(doc["stream"]), "cam");
  EXPECT_EQ(int64_t(doc["images"]), 30);
  EXPECT_EQ(int64_t(doc["objects"]), 20 * 2 + 10 * 3);
  std::map<std::string, int64_t> images, objects;
  for (simdjson::dom::element c : doc["classes"].get_array()) {
    images[str(c["name"])] = int64_t(c["images"]);
    objects[str(c["name"])] = int64_t(c["objects"]);
  }
  EXPECT_EQ(images, (std::map<std::string, int64_t>{{"car", 20}, {"dog", 10}, {"person", 30}}));
  EXPECT_EQ(objects, (std::map<std::string, int64_t>{{"car", 20}, {"dog", 20}, {"person", 30}}));
  std::map<std::string, int64_t> pairs;
  for (simdjson::dom::element p : doc["cooccurrence"].get_array())
    pairs[str(p["a"]) + "+" + str(p["b"])] = int64_t(p["images"]);
  EXPECT_EQ(pairs, (std::map<std::string, int64_t>{{"car+person", 20}, {"dog+person", 10}}));
  EXPECT_EQ(int64_t(doc["objects_distribution"]["dog"]["2"]), 10);
  EXPECT_EQ(doc["image_list"].get_array().size(), 0u);  // a window keeps no per-frame list

  // ... but the exemplars of every non-empty cell (5 per key, newest first). Derived by hand:
  // every box is 0.2 x 0.4 of the image: width bin floor(20 sqrt(0.2)) = 8, height bin
  // floor(20 sqrt(0.4)) = 12, area bin floor(20 sqrt(0.08)) = 5; box centres at y = 0.3
  // (row 4 of 16) and x = 0.2 (person, col 3), 0.6 (car, col 9), 0.5 and 0.8 (dog, cols 8
  // and 12). Cells: 3 classes + 2 pairs + 3 count buckets (car 1, dog 2, person 1) + 3 area,
  // 3 width, 3 height bins + 4 heatmap cells = 21.
  auto ids = [&](simdjson::dom::element frames) {
    std::vector<std::string> out;
    for (simdjson::dom::element f : frames.get_array()) out.push_back(str(f["frame"]));
    return out;
  };
  using Ids = std::vector<std::string>;
  const Ids cars = {"f19", "f18", "f17", "f16", "f15"}, dogs = {"f29", "f28", "f27", "f26", "f25"};
  const simdjson::dom::element ex = doc["exemplars"];
  EXPECT_EQ(int64_t(ex["cells"]), 21);
  EXPECT_EQ(int64_t(ex["skipped"]), 0);
  EXPECT_EQ(ids(ex["class"]["car"]), cars);
  EXPECT_EQ(ids(ex["class"]["person"]), dogs);  // the newest frames hold a person too
  EXPECT_EQ(ids(ex["pair"]["car"]["person"]), cars);
  EXPECT_EQ(ids(ex["pair"]["dog"]["person"]), dogs);
  EXPECT_EQ(ids(ex["count"]["dog"]["2"]), dogs);
  EXPECT_EQ(ids(ex["count"]["car"]["1"]), cars);
  EXPECT_EQ(ids(ex["area"]["car"]["5"]), cars);
  EXPECT_EQ(ids(ex["width"]["dog"]["8"]), dogs);
  EXPECT_EQ(ids(ex["height"]["person"]["12"]), dogs);
  EXPECT_EQ(ids(ex["cell"]["car"][std::to_string(4 * 16 + 9)]), cars);
  EXPECT_EQ(ids(ex["cell"]["dog"][std::to_string(4 * 16 + 12)]), dogs);
  EXPECT_EQ(ex["cell"]["dog"].get_object().size(), 2u);
  EXPECT_EQ(str(ex["class"]["car"].at(0)["time"]), "2023-11-14T22:13:21.900Z");  // kT0 + 1.9 s

  // A budget of 4 cells: the classes and the larger pair; the rest is counted, and said.
  const CliRun capped = run({"stats", "cam", "--html", out, "--exemplar-cells", "4"});
  ASSERT_EQ(capped.code, 0) << capped.err;
  EXPECT_NE(capped.err.find("exemplars of 17 cells not fetched (--exemplar-cells 4)"),
            std::string::npos)
      << capped.err;
  const std::optional<std::string> json2 = report_json(take_file(out));
  ASSERT_TRUE(json2.has_value());
  simdjson::dom::parser parser2;
  simdjson::dom::element doc2;
  ASSERT_EQ(parser2.parse(*json2).get(doc2), simdjson::SUCCESS);
  EXPECT_EQ(int64_t(doc2["exemplars"]["cells"]), 4);
  EXPECT_EQ(int64_t(doc2["exemplars"]["skipped"]), 17);
  EXPECT_EQ(ids(doc2["exemplars"]["pair"]["car"]["person"]), cars);
  EXPECT_EQ(doc2["exemplars"]["pair"]["dog"].error(), simdjson::NO_SUCH_FIELD);
  EXPECT_EQ(doc2["exemplars"]["cell"].get_object().size(), 0u);

  // An unwritable OUT fails before the call, naming the path.
  const CliRun bad = run({"stats", "cam", "--html", "/nonexistent-dir/x.html"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("--html: cannot write /nonexistent-dir/x.html"), std::string::npos)
      << bad.err;
}

// `exemplars` lists frame, time and, when some frame has one, the image URI.
TEST_F(ClientCommand, ExemplarsShowTheImageColumnWhenFramesHaveImages) {
  for (int i = 0; i < 3; ++i) {
    const std::string id = "f" + std::to_string(i);  // the event only views it
    core::Event e = event_at("cam", id, kT0 + 100 * i);
    if (i == 1) e.image_uri = "https://img.example/cam/f1.jpg";
    core::NamedDetection d;
    d.class_name = i < 2 ? "car" : "dog";
    d.box = core::Box{0.1f, 0.1f, 0.3f, 0.3f};
    e.detections.push_back(d);
    ASSERT_TRUE(engine_->apply(e).applied);
  }
  server_->set_ready(true);
  const CliRun cars = run({"exemplars", "cam", "--class", "car"});
  ASSERT_EQ(cars.code, 0) << cars.err;
  const size_t header = cars.out.find("image");
  ASSERT_NE(header, std::string::npos) << cars.out;
  EXPECT_LT(header, cars.out.find('\n')) << cars.out;  // a column of the header line
  EXPECT_NE(cars.out.find("https://img.example/cam/f1.jpg"), std::string::npos) << cars.out;
  EXPECT_NE(cars.out.find("f0"), std::string::npos) << cars.out;
  // Malformed cells exit 2 naming the part.
  const CliRun bad_bin = run({"exemplars", "cam", "--bin", "car:area:x"});
  EXPECT_EQ(bad_bin.code, 2);
  EXPECT_NE(bad_bin.err.find("--bin: BIN 'x' is not a non-negative number"), std::string::npos)
      << bad_bin.err;
  const CliRun bad_cell = run({"exemplars", "cam", "--cell", "car:4:-1"});
  EXPECT_EQ(bad_cell.code, 2);
  EXPECT_NE(bad_cell.err.find("--cell: COL '-1' is not a non-negative number"), std::string::npos)
      << bad_cell.err;
  const CliRun dogs = run({"exemplars", "cam", "--class", "dog"});
  ASSERT_EQ(dogs.code, 0) << dogs.err;
  EXPECT_EQ(dogs.out.find("image"), std::string::npos) << dogs.out;  // no frame has one
  EXPECT_NE(dogs.out.find("f2"), std::string::npos) << dogs.out;
}

// The credentials options against servers that need them: a token (file or PREDWATCH_TOKEN),
// TLS with the server's CA, mTLS with a client certificate.
class ClientCredentials : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki_.ok()) << pki_.log();
    EngineOptions o;
    o.stream.windows = {{"1m", core::WindowSpec::Type::kTime, 60'000, 1'000, 5'000, 0}};
    engine_ = std::make_unique<MonitorEngine>(o);
    ASSERT_TRUE(engine_->apply(event_at("cam", "a", kT0)).applied);
    token_file_ = pki_dir_.write("token", std::string(kToken) + "\n").string();
  }
  void start(GrpcServerOptions options) {
    std::string error;
    options.bind = "127.0.0.1:0";
    server_ = GrpcServer::Start(*engine_, options, error);
    ASSERT_TRUE(server_) << error;
    server_->set_ready(true);
    addr_ = "127.0.0.1:" + std::to_string(server_->port());
  }
  CliRun run(std::vector<std::string> args) {
    args.push_back("--addr");
    args.push_back(addr_);
    result_ = {};
    CliRun r = run_cli(args, [this](CLI::App& app) { add_client_commands(app, result_); });
    if (r.code == 0) r.code = result_.exit_code;
    return r;
  }

  static constexpr char kToken[] = "cli-token-0123456789abcdef";
  predwatch::testing::Pki pki_;
  predwatch::testing::TempDir pki_dir_;
  std::string token_file_;
  CommandResult result_;
  std::unique_ptr<MonitorEngine> engine_;
  std::unique_ptr<GrpcServer> server_;
  std::string addr_;
};

TEST_F(ClientCredentials, TokenFileOrEnvironmentReachesMutatingRpcs) {
  start({.auth = {.write_token = kToken}});
  ASSERT_EQ(unsetenv("PREDWATCH_TOKEN"), 0);
  // `baseline snapshot` changes nothing without --install, but is a mutating RPC.
  CliRun r = run({"baseline", "snapshot", "cam", "--json"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("UNAUTHENTICATED"), std::string::npos) << r.err;
  r = run({"baseline", "snapshot", "cam", "--json", "--token-file", token_file_});
  EXPECT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(setenv("PREDWATCH_TOKEN", kToken, 1), 0);
  r = run({"baseline", "snapshot", "cam", "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(unsetenv("PREDWATCH_TOKEN"), 0);
  // A usage error (run_cli returns CLI11's code; predwatch exits 2, as
  // predwatchd_secrets_test.cc checks on the binary).
  r = run({"streams", "--token-file", "/nonexistent/token"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("cannot read /nonexistent/token"), std::string::npos) << r.err;
}

TEST_F(ClientCredentials, TlsAndMutualTls) {
  start({.tls = GrpcServerOptions::Tls{pki_.pem("server.pem"), pki_.pem("server.key"),
                                       pki_.pem("ca.pem")}});
  // mTLS: no client certificate, no connection.
  CliRun r = run({"streams", "--json", "--timeout", "3", "--tls-ca", pki_.path("ca.pem")});
  EXPECT_EQ(r.code, 1) << r.out;
  r = run({"streams", "--json", "--tls-ca", pki_.path("ca.pem"), "--tls-cert",
           pki_.path("client.pem"), "--tls-key", pki_.path("client.key")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"cam\""), std::string::npos) << r.out;
  // The verified certificate authorises mutations; the name to verify can be overridden.
  r = run({"baseline", "snapshot", "cam", "--json", "--tls-ca", pki_.path("ca.pem"), "--tls-cert",
           pki_.path("client.pem"), "--tls-key", pki_.path("client.key"), "--tls-server-name",
           "localhost"});
  EXPECT_EQ(r.code, 0) << r.err;
  // A server certificate the given CA did not sign.
  r = run({"streams", "--timeout", "3", "--tls-ca", pki_.path("other.pem"), "--tls-cert",
           pki_.path("client.pem"), "--tls-key", pki_.path("client.key")});
  EXPECT_EQ(r.code, 1);
  // Half a key pair is a usage error.
  r = run({"streams", "--tls-cert", pki_.path("client.pem")});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("--tls-cert and --tls-key go together"), std::string::npos) << r.err;
}

TEST_F(ClientCredentials, HelpListsTheCredentialOptions) {
  start({});
  const CliRun r = run({"streams", "--help"});
  for (const char* opt : {"--token-file", "PREDWATCH_TOKEN", "--tls", "--tls-ca", "--tls-cert",
                          "--tls-key", "--tls-server-name"}) {
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt << "\n" << r.out;
  }
}

}  // namespace
}  // namespace predwatch::daemon::testing
