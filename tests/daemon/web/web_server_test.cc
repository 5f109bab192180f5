// The web view's JSON API over real HTTP on loopback: every answer, parsed back into the
// RPC's response message, equals the gRPC service's answer for the same engine state
// (ScenarioGenerator traffic with a novel pair, evaluated); bad parameters are 400 naming the
// parameter; engine errors map to 404 / 409 / 503; the page and its assets are served.
#include "daemon/web/web_server.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "daemon/api/grpc_server.h"
#include "daemon/web/web_api.h"
#include "predwatch/v1/monitor.grpc.pb.h"
#include "tests/support/http_get.h"
#include "tests/support/traffic_env.h"

namespace predwatch::daemon {
namespace {

using testing::TrafficEnv;

using testing::http_request;
using testing::HttpResponse;

WebServerOptions loopback() {
  WebServerOptions o;
  o.bind = "127.0.0.1:0";
  return o;
}

class WebServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A novel pair for the last 2000 frames, so that drift findings and alerts exist.
    ASSERT_EQ(env_.inject_novel_pair(), "");

    std::string error;
    grpc_ = GrpcServer::Start(*env_.engine, {.bind = "127.0.0.1:0"}, error);
    ASSERT_TRUE(grpc_) << error;
    grpc_->set_ready(true);
    stub_ = v1::MonitorService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(grpc_->port()), grpc::InsecureChannelCredentials()));
    web_ = WebServer::Start(*env_.engine, loopback(), error);
    ASSERT_TRUE(web_) << error;
    ASSERT_GT(web_->port(), 0);
    web_->set_ready(true);
  }
  void TearDown() override {
    if (web_) web_->shutdown();
    if (grpc_) grpc_->shutdown(std::chrono::milliseconds(500));
  }

  HttpResponse get(const std::string& target) { return http_request(web_->port(), "GET", target); }

  // GETs `target`, expects 200 with JSON, and parses it into `m` (unknown fields rejected).
  template <class M>
  void get_json(const std::string& target, M& m) {
    HttpResponse r = get(target);
    ASSERT_EQ(r.status, 200) << target << ": " << r.body;
    EXPECT_EQ(r.headers["content-type"], "application/json");
    EXPECT_EQ(r.headers["cache-control"], "no-store");
    const auto st = google::protobuf::util::JsonStringToMessage(r.body, &m);
    ASSERT_TRUE(st.ok()) << target << ": " << st.ToString();
  }

  template <class M>
  void expect_same(const M& web, const M& rpc, const std::string& what) {
    std::string diff;
    google::protobuf::util::DefaultFieldComparator cmp;
    cmp.set_treat_nan_as_equal(true);  // untested findings carry NaN scores
    google::protobuf::util::MessageDifferencer d;
    d.set_field_comparator(&cmp);
    d.ReportDifferencesToString(&diff);
    EXPECT_TRUE(d.Compare(web, rpc)) << what << ":\n" << diff;
  }

  // Status and the error message of a request expected to fail.
  std::pair<int, std::string> error_of(const std::string& target) {
    HttpResponse r = get(target);
    std::string message;
    const size_t m = r.body.find("\"message\": \"");
    if (m != std::string::npos) message = r.body.substr(m + 12);
    return {r.status, message};
  }

  TrafficEnv env_;
  std::unique_ptr<GrpcServer> grpc_;
  std::unique_ptr<v1::MonitorService::Stub> stub_;
  std::unique_ptr<WebServer> web_;
};

TEST_F(WebServerTest, StreamsAndAlertsEqualTheRpcs) {
  v1::ListStreamsResponse web, rpc;
  get_json("/api/v1/streams", web);
  grpc::ClientContext c1;
  ASSERT_TRUE(stub_->ListStreams(&c1, {}, &rpc).ok());
  expect_same(web, rpc, "streams");
  EXPECT_EQ(web.streams_size(), 2);

  v1::ListAlertsResponse wa, ra;
  get_json("/api/v1/alerts", wa);
  grpc::ClientContext c2;
  ASSERT_TRUE(stub_->ListAlerts(&c2, {}, &ra).ok());
  expect_same(wa, ra, "alerts");
  ASSERT_GT(wa.alerts_size(), 0) << "the novel pair giraffe+toilet raises an alert";

  v1::ListAlertsResponse wc, rc;
  get_json("/api/v1/alerts?stream=cam", wc);
  grpc::ClientContext c3;
  v1::ListAlertsRequest req;
  req.set_stream("cam");
  ASSERT_TRUE(stub_->ListAlerts(&c3, req, &rc).ok());
  expect_same(wc, rc, "alerts of cam");

  // The transitions that led there: the same answer as ListAlertTransitions, the latest
  // transition of each listed alert is to its state now.
  v1::ListAlertTransitionsResponse wh, rh;
  get_json("/api/v1/alerts/history?stream=cam&limit=1000", wh);
  grpc::ClientContext c4;
  v1::ListAlertTransitionsRequest hreq;
  hreq.set_stream("cam");
  hreq.set_limit(1000);
  ASSERT_TRUE(stub_->ListAlertTransitions(&c4, hreq, &rh).ok());
  expect_same(wh, rh, "alert history of cam");
  for (const v1::Alert& a : wc.alerts()) {
    const v1::AlertTransition* last = nullptr;
    for (const v1::AlertTransition& t : wh.transitions())
      if (t.alert().fingerprint() == a.fingerprint()) last = &t;
    ASSERT_NE(last, nullptr) << a.fingerprint();
    EXPECT_EQ(last->alert().state(), a.state()) << a.fingerprint();
  }
}

TEST_F(WebServerTest, WindowStatsEqualTheRpcInBothForms) {
  v1::GetWindowStatsRequest req;
  req.set_stream("cam");
  req.set_window("last2k");
  v1::GetWindowStatsResponse rpc;
  grpc::ClientContext c1;
  ASSERT_TRUE(stub_->GetWindowStats(&c1, req, &rpc).ok());
  v1::GetWindowStatsResponse path, query;
  get_json("/api/v1/streams/cam/windows/last2k/stats", path);
  get_json("/api/v1/stats?stream=cam&window=last2k", query);
  expect_same(path, rpc, "all sections");
  expect_same(query, rpc, "all sections, query form");
  EXPECT_EQ(path.stats().frames(), 2000);
  EXPECT_GT(path.stats().pairs_size(), 0);

  req.add_sections(v1::STATS_SECTION_COOCCURRENCE);
  req.add_sections(v1::STATS_SECTION_HEATMAPS);
  req.add_classes("k01");
  req.add_classes("toilet");
  req.set_top_pairs(3);
  v1::GetWindowStatsResponse rpc2, web2;
  grpc::ClientContext c2;
  ASSERT_TRUE(stub_->GetWindowStats(&c2, req, &rpc2).ok());
  get_json(
      "/api/v1/streams/cam/windows/last2k/stats?section=cooccurrence&section=heatmaps&class=k01"
      "&class=toilet&top_pairs=3",
      web2);
  expect_same(web2, rpc2, "sections, classes, top pairs");
  EXPECT_EQ(web2.stats().pairs_size(), 3);
}

TEST_F(WebServerTest, DriftAndBaselineEqualTheRpcs) {
  for (const std::string against : {"", "baseline", "reference"}) {
    v1::GetDriftRequest req;
    req.set_stream("cam");
    req.set_window("5m");
    if (against == "baseline") req.set_against(v1::AGAINST_BASELINE);
    if (against == "reference") req.set_against(v1::AGAINST_REFERENCE);
    v1::GetDriftResponse rpc, web, all;
    grpc::ClientContext c;
    ASSERT_TRUE(stub_->GetDrift(&c, req, &rpc).ok());
    get_json(
        "/api/v1/streams/cam/windows/5m/drift" + (against.empty() ? "" : "?against=" + against),
        web);
    expect_same(web, rpc, "drift against '" + against + "'");
  }
  v1::GetDriftResponse every, every_rpc;
  get_json("/api/v1/streams/cam/drift", every);
  v1::GetDriftRequest req;
  req.set_stream("cam");
  grpc::ClientContext c;
  ASSERT_TRUE(stub_->GetDrift(&c, req, &every_rpc).ok());
  expect_same(every, every_rpc, "drift of every window");
  bool novel = false;
  for (const auto& s : every.scores())
    novel = novel || (s.kind() == "novel_pair" && s.flagged() && s.subject_size() == 2 &&
                      s.subject(0) == "giraffe" && s.subject(1) == "toilet");
  EXPECT_TRUE(novel) << "the injected pair is a flagged novel_pair finding";

  v1::GetBaselineRequest breq;
  breq.set_stream("cam");
  v1::GetBaselineResponse brpc, bweb, btables;
  grpc::ClientContext cb;
  ASSERT_TRUE(stub_->GetBaseline(&cb, breq, &brpc).ok());
  get_json("/api/v1/streams/cam/baseline?tables=true", btables);
  expect_same(btables, brpc, "baseline with tables");
  get_json("/api/v1/baseline?stream=cam", bweb);
  EXPECT_FALSE(bweb.baseline().stats().has_tables());
  brpc.mutable_baseline()->mutable_stats()->clear_tables();
  expect_same(bweb, brpc, "baseline without tables");
}

TEST_F(WebServerTest, ExemplarsEqualTheRpcForEveryKindOfCell) {
  struct Case {
    std::string query;
    std::function<void(v1::GetExemplarsRequest&)> set;
  };
  // k00's fullest area bin, from the window's statistics.
  v1::GetWindowStatsRequest sreq;
  sreq.set_stream("cam");
  sreq.set_window("last2k");
  sreq.add_classes("k00");
  v1::GetWindowStatsResponse stats;
  grpc::ClientContext sctx;
  ASSERT_TRUE(stub_->GetWindowStats(&sctx, sreq, &stats).ok());
  ASSERT_EQ(stats.stats().classes_size(), 1);
  const auto& area = stats.stats().classes(0).area_histogram();
  ASSERT_GT(area.size(), 0);
  const uint32_t bin = uint32_t(std::max_element(area.begin(), area.end()) - area.begin());
  const std::vector<Case> cases = {
      {"class=k00&histogram=area&bin=" + std::to_string(bin),
       [bin](auto& r) {
         r.mutable_histogram_bin()->set_class_name("k00");
         r.mutable_histogram_bin()->set_histogram(v1::OBJECT_HISTOGRAM_AREA);
         r.mutable_histogram_bin()->set_bin(bin);
       }},
      {"class=toilet", [](auto& r) { r.set_class_name("toilet"); }},
      {"a=giraffe&b=toilet",
       [](auto& r) {
         r.mutable_pair()->set_a("giraffe");
         r.mutable_pair()->set_b("toilet");
       }},
      {"class=k00&row=8&col=8",
       [](auto& r) {
         auto* c = r.mutable_heatmap_cell();
         c->set_class_name("k00");
         c->set_row(8);
         c->set_col(8);
       }},
      {"class=k00&count=2",
       [](auto& r) {
         r.mutable_count_bucket()->set_class_name("k00");
         r.mutable_count_bucket()->set_count(2);
       }},
  };
  for (const Case& c : cases) {
    for (const uint32_t limit : {0u, 5u}) {
      v1::GetExemplarsRequest req;
      req.set_stream("cam");
      req.set_window("last2k");
      c.set(req);
      req.set_limit(limit ? limit : 50);  // the web API's default limit is 50
      v1::GetExemplarsResponse rpc, web;
      grpc::ClientContext ctx;
      ASSERT_TRUE(stub_->GetExemplars(&ctx, req, &rpc).ok()) << c.query;
      const std::string lim = limit ? "&limit=" + std::to_string(limit) : "";
      get_json("/api/v1/streams/cam/windows/last2k/exemplars?" + c.query + lim, web);
      expect_same(web, rpc, c.query + lim);
      EXPECT_GT(web.exemplars_size(), 0) << c.query;
      v1::GetExemplarsResponse q;
      get_json("/api/v1/exemplars?stream=cam&window=last2k&" + c.query + lim, q);
      expect_same(q, rpc, "query form " + c.query + lim);
    }
  }
}

TEST_F(WebServerTest, NamesWithSlashesAndEscapesWorkInTheQueryForm) {
  // A stream key with '/', '%' and a space: addressable through the query form.
  const std::string name = "site/cam 50%";
  core::Event e;
  e.stream = name;
  e.frame_id = "f1";
  e.time_ms = env_.now_ms;
  e.image_uri = "https://img.example/site/f1.jpg";
  e.detections.push_back({.class_name = "person", .box = {0.1f, 0.1f, 0.2f, 0.2f}});
  ASSERT_TRUE(env_.engine->apply(e).applied);
  v1::GetWindowStatsResponse web;
  get_json("/api/v1/stats?stream=site%2Fcam+50%25&window=last2k&section=class_balance", web);
  EXPECT_EQ(web.stream(), name);
  ASSERT_EQ(web.stats().classes_size(), 1);
  EXPECT_EQ(web.stats().classes(0).name(), "person");
  v1::GetExemplarsResponse ex;
  get_json("/api/v1/exemplars?stream=site%2Fcam%2050%25&window=5m&class=person", ex);
  ASSERT_EQ(ex.exemplars_size(), 1);
  EXPECT_EQ(ex.exemplars(0).frame_id(), "f1");
  EXPECT_EQ(ex.exemplars(0).image_uri(), "https://img.example/site/f1.jpg");
}

TEST_F(WebServerTest, BadParametersAre400NamingTheParameter) {
  const std::string st = "/api/v1/streams/cam/windows/last2k/stats";
  const std::string ex = "/api/v1/streams/cam/windows/last2k/exemplars";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/api/v1/streams?x=1", "unknown parameter 'x'"},
      {st + "?sections=heatmaps", "unknown parameter 'sections'"},
      {st + "?section=bogus", "parameter 'section': unknown section 'bogus'"},
      {st + "?top_pairs=-1", "parameter 'top_pairs'"},
      {st + "?top_pairs=99999999999", "parameter 'top_pairs'"},
      {st + "?top_pairs=1&top_pairs=2", "parameter 'top_pairs' is given 2 times"},
      {st + "?class=", "parameter 'class' must not be empty"},
      {st + "?class=" + std::string(2000, 'x'), "parameter 'class' is 2000 bytes long"},
      {ex, "a cell is required"},
      {ex + "?a=k00", "parameter 'b' is missing"},
      {ex + "?class=k00&row=1", "parameter 'col' is missing"},
      {ex + "?row=1&col=1", "parameter 'class' is missing"},
      {ex + "?class=k00&count=0", "parameter 'count'"},
      {ex + "?class=k00&a=k01&b=k02", "one cell per request"},
      {ex + "?class=k00&limit=0", "parameter 'limit'"},
      {ex + "?class=k00&limit=100000", "parameter 'limit': 100000 is outside [1, 1000]"},
      {ex + "?class=k00&limit=ten", "parameter 'limit': 'ten' is not a non-negative integer"},
      {ex + "?class=k%zz", "parameter 'class': malformed percent-escape"},
      {ex + "?a=k00&b=k00", "pair: a and b must differ"},
      {ex + "?class=k00&histogram=area", "parameter 'bin' is missing"},
      {ex + "?class=k00&bin=3", "parameter 'histogram' is missing"},
      {ex + "?histogram=area&bin=3", "parameter 'class' is missing"},
      {ex + "?class=k00&histogram=size&bin=3", "parameter 'histogram' must be width, height,"},
      {ex + "?class=k00&histogram=area&bin=300", "parameter 'bin': 300 is outside [0, 255]"},
      {ex + "?class=k00&histogram=area&bin=20", "histogram_bin: bin 20 outside the 20 bins"},
      {ex + "?class=k00&count=2&histogram=area&bin=1", "one cell per request"},
      {"/api/v1/streams/cam/drift?against=yesterday", "parameter 'against'"},
      {"/api/v1/streams/cam/baseline?tables=yes", "parameter 'tables'"},
      {"/api/v1/streams/cam/baseline?reference=1", "parameter 'reference'"},
      {"/api/v1/stats?window=last2k", "parameter 'stream' is missing"},
      {"/api/v1/stats?stream=cam", "parameter 'window' is missing"},
      {"/api/v1/stats?stream=cam&stream=ref&window=last2k", "parameter 'stream' is given 2 times"},
      {"/api/v1/baseline?stream=cam&window=5m", "unknown parameter 'window'"},
      {"/api/v1/alerts?stream=" + std::string(1025, 's'), "parameter 'stream' is 1025 bytes"},
      {"/api/v1/alerts/history?limit=1001", "parameter 'limit': 1001 is outside [1, 1000]"},
      {"/api/v1/alerts/history?window=5m", "unknown parameter 'window'"},
  };
  for (const auto& [target, want] : cases) {
    const auto [status, message] = error_of(target);
    EXPECT_EQ(status, 400) << target;
    EXPECT_NE(message.find(want), std::string::npos)
        << target << ": message '" << message << "' lacks '" << want << "'";
  }
}

TEST_F(WebServerTest, EngineErrorsMapToHttpStatuses) {
  EXPECT_EQ(error_of("/api/v1/streams/nope/windows/5m/stats").first, 404);
  EXPECT_NE(error_of("/api/v1/streams/nope/windows/5m/stats").second.find("unknown stream 'nope'"),
            std::string::npos);
  const auto [s1, m1] = error_of("/api/v1/streams/cam/windows/1h/stats");
  EXPECT_EQ(s1, 404);
  EXPECT_NE(m1.find("has no window '1h' (windows: 5m, last2k)"), std::string::npos) << m1;
  EXPECT_EQ(error_of("/api/v1/streams/cam/windows/5m/exemplars?class=zebra").first, 404);
  EXPECT_EQ(error_of("/api/v1/streams/cam/windows/5m/exemplars?class=k00&row=99&col=0").first, 400);
  // "ref" has neither a baseline nor a complete reference: drift is not evaluated.
  EXPECT_EQ(error_of("/api/v1/streams/ref/drift").first, 409);
  EXPECT_EQ(error_of("/api/v1/streams/ref/baseline").first, 404);
  EXPECT_EQ(error_of("/api/v1/nothing").first, 404);
  EXPECT_EQ(error_of("/api/v1/streams/cam/windows/5m/nothing").first, 404);
  // Not ready (windows being rebuilt): window reads are 503, the stream list is served.
  web_->set_ready(false);
  EXPECT_EQ(error_of("/api/v1/streams/cam/windows/5m/stats").first, 503);
  EXPECT_EQ(get("/api/v1/streams").status, 200);
  EXPECT_EQ(get("/api/v1/health").body, "{\"ready\": false}\n");
  web_->set_ready(true);
  EXPECT_EQ(get("/api/v1/health").body, "{\"ready\": true}\n");
}

TEST_F(WebServerTest, ServesThePageReadOnly) {
  HttpResponse page = get("/");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_NE(page.body.find("<script src=\"/app.js\">"), std::string::npos);
  EXPECT_NE(page.headers["content-security-policy"].find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(page.headers["x-content-type-options"], "nosniff");
  HttpResponse js = get("/app.js");
  ASSERT_EQ(js.status, 200);
  EXPECT_EQ(js.headers["content-type"], "text/javascript; charset=utf-8");
  EXPECT_NE(js.body.find("/api/v1/streams"), std::string::npos);
  EXPECT_EQ(get("/app.css").status, 200);
  EXPECT_EQ(get("/nothing.html").status, 404);
  // HEAD: headers only.
  HttpResponse head = http_request(web_->port(), "HEAD", "/api/v1/streams");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_GT(std::stoi(head.headers["content-length"]), 10);
  // Read-only.
  for (const char* method : {"POST", "PUT", "DELETE"}) {
    HttpResponse r = http_request(web_->port(), method, "/api/v1/streams");
    EXPECT_EQ(r.status, 405) << method;
    EXPECT_EQ(r.headers["allow"], "GET, HEAD") << method;
  }
}

TEST_F(WebServerTest, ManyClientsAtOnceAreAllServed) {
  // More clients than worker threads, each asking repeatedly (as open pages polling do).
  std::vector<std::thread> clients;
  std::atomic<int> ok{0}, bad{0};
  for (int c = 0; c < 16; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < 10; ++i) {
        const HttpResponse r =
            get(c % 2 ? "/api/v1/streams" : "/api/v1/stats?stream=cam&window=5m");
        (r.status == 200 ? ok : bad)++;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 160);
  EXPECT_EQ(bad.load(), 0);
}

// Random requests built from the API's own vocabulary and from junk: the API (called
// directly, as the server does) never crashes, answers only documented statuses, and every
// answer is JSON (an error with a non-empty message, or the endpoint's message).
TEST_F(WebServerTest, RandomRequestsGetDocumentedStatusesAndJson) {
  WebApi api(*env_.engine);
  api.set_ready(true);
  std::mt19937_64 rng(15);
  const std::vector<std::string> segments = {
      "api",   "v1",    "streams",  "cam",    "ref",       "windows", "5m", "last2k",
      "stats", "drift", "baseline", "alerts", "exemplars", "health",  "x",  "",
      "%",     "..",    "%2F",      "%00",    "\xff",      "nope",    "1h"};
  const std::vector<std::string> keys = {
      "stream", "window", "section", "class",  "top_pairs", "a",  "b",   "row",   "col",
      "count",  "limit",  "against", "tables", "",          "x%", "%zz", "cl+ass"};
  const std::vector<std::string> values = {"cam",
                                           "last2k",
                                           "5m",
                                           "k00",
                                           "k01",
                                           "giraffe",
                                           "toilet",
                                           "0",
                                           "1",
                                           "8",
                                           "-1",
                                           "99999999999999999999",
                                           "abc",
                                           "",
                                           "%",
                                           "%2F",
                                           "%00",
                                           "+",
                                           "heatmaps",
                                           "tables",
                                           "cooccurrence",
                                           "baseline",
                                           "reference",
                                           "true",
                                           "yes",
                                           std::string(1100, 'n'),
                                           "\xc3\x28"};
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  const std::set<int> documented = {200, 400, 404, 409, 413, 503};
  for (int i = 0; i < 3000; ++i) {
    WebRequest req;
    req.method = "GET";
    req.path = "/api/v1";
    const int n = int(rng() % 5);
    for (int k = 0; k < n; ++k) req.path += "/" + pick(segments);
    const int m = int(rng() % 6);
    for (int k = 0; k < m; ++k) {
      req.query += (k ? "&" : "") + pick(keys);
      if (rng() % 4) req.query += "=" + pick(values);
    }
    const WebResponse r = api.handle(req);
    ASSERT_TRUE(documented.count(r.status)) << r.status << " for " << req.path << "?" << req.query;
    google::protobuf::Value json;
    const auto st = google::protobuf::util::JsonStringToMessage(r.body, &json);
    ASSERT_TRUE(st.ok()) << req.path << "?" << req.query << ": " << r.body.substr(0, 200);
    if (r.status != 200) {
      ASSERT_EQ(r.body.find("\"message\": \"\""), std::string::npos)
          << req.path << "?" << req.query;
    }
  }
}

TEST_F(WebServerTest, WithAReadTokenTheApiWantsItAndThePageStaysOpen) {
  web_->shutdown();
  std::mutex mu;
  std::vector<std::string> refusals;
  WebServerOptions o = loopback();
  o.auth.read_token = "r3ad-t0ken";
  o.auth.write_token = "wr1te-t0ken";
  o.on_auth_failure = [&](const std::string& what, const std::string& reason, const std::string&) {
    std::lock_guard lock(mu);
    refusals.push_back(what + "/" + reason);
  };
  std::string error;
  web_ = WebServer::Start(*env_.engine, o, error);
  ASSERT_TRUE(web_) << error;
  web_->set_ready(true);
  const int port = web_->port();
  HttpResponse none = http_request(port, "GET", "/api/v1/streams");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.headers["www-authenticate"], "Bearer realm=\"predwatch\"");
  EXPECT_NE(none.body.find("UNAUTHENTICATED"), std::string::npos) << none.body;
  EXPECT_EQ(none.body.find("r3ad-t0ken"), std::string::npos) << "never echoes a token";
  EXPECT_EQ(http_request(port, "GET", "/api/v1/streams", "Authorization: Bearer nope\r\n").status,
            401);
  EXPECT_EQ(http_request(port, "GET", "/api/v1/stats?stream=cam&window=5m",
                         "Authorization: Bearer r3ad-t0ken\r\n")
                .status,
            200);
  EXPECT_EQ(
      http_request(port, "GET", "/api/v1/alerts", "Authorization: bearer wr1te-t0ken\r\n").status,
      200);
  // The page and the health check hold no data: open.
  EXPECT_EQ(http_request(port, "GET", "/").status, 200);
  EXPECT_EQ(http_request(port, "GET", "/app.js").status, 200);
  EXPECT_EQ(http_request(port, "GET", "/api/v1/health").status, 200);
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(refusals, (std::vector<std::string>{"WebApi/missing", "WebApi/invalid"}));
  }
  // SIGHUP's new tokens apply to the next request.
  ApiAuthOptions rotated;
  rotated.read_token = "n3w";
  web_->set_auth(rotated);
  EXPECT_EQ(
      http_request(port, "GET", "/api/v1/streams", "Authorization: Bearer r3ad-t0ken\r\n").status,
      401);
  EXPECT_EQ(http_request(port, "GET", "/api/v1/streams", "Authorization: Bearer n3w\r\n").status,
            200);
  web_->set_auth({});  // no read token: readers are open, as on gRPC
  EXPECT_EQ(http_request(port, "GET", "/api/v1/streams").status, 200);
}

TEST_F(WebServerTest, OversizedAnswerIs413) {
  web_->shutdown();
  std::string error;
  WebServerOptions o = loopback();
  o.limits.max_response_bytes = 2000;
  web_ = WebServer::Start(*env_.engine, o, error);
  ASSERT_TRUE(web_) << error;
  web_->set_ready(true);
  const auto [status, message] = error_of("/api/v1/streams/cam/windows/last2k/stats");
  EXPECT_EQ(status, 413);
  EXPECT_NE(message.find("ask for fewer sections"), std::string::npos) << message;
}

TEST_F(WebServerTest, BindErrorsAreReported) {
  std::string error;
  WebServerOptions taken = loopback();
  taken.bind = "127.0.0.1:" + std::to_string(web_->port());
  EXPECT_FALSE(WebServer::Start(*env_.engine, taken, error));
  EXPECT_NE(error.find("cannot listen"), std::string::npos) << error;
  error.clear();
  WebServerOptions bad = loopback();
  bad.bind = "localhost";
  EXPECT_FALSE(WebServer::Start(*env_.engine, bad, error));
  EXPECT_NE(error.find("not host:port"), std::string::npos) << error;
  error.clear();
  bad.bind = "[::1]:0";
  EXPECT_FALSE(WebServer::Start(*env_.engine, bad, error));
  EXPECT_NE(error.find("not an IPv4 address"), std::string::npos) << error;
  error.clear();
  bad.bind = "example.org:0";
  EXPECT_FALSE(WebServer::Start(*env_.engine, bad, error));
  EXPECT_NE(error.find("not an IPv4 address"), std::string::npos) << error;
  bad.bind = "localhost:0";
  auto local = WebServer::Start(*env_.engine, bad, error);
  ASSERT_TRUE(local) << error;
  EXPECT_GT(local->port(), 0);
}

}  // namespace
}  // namespace predwatch::daemon
