// The query API through a real channel to a port-0 server over a MonitorEngine fed by
// ScenarioGenerator traffic. Expected values are recomputed here from the recorded frames.
#include "daemon/api/grpc_server.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <thread>
#include <utility>

#include "daemon/api/api_convert.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "predwatch/v1/monitor.grpc.pb.h"
#include "tests/support/alert_watcher.h"
#include "tests/support/traffic_env.h"

namespace predwatch::daemon {
namespace {

using grpc::StatusCode;
using testing::TrafficEnv;
using testing::Watcher;

int64_t testing_timestamp_ms(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000 + t.nanos() / 1'000'000;
}

class GrpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    server_ = GrpcServer::Start(*env_.engine, {.bind = "127.0.0.1:0"}, error);
    ASSERT_TRUE(server_) << error;
    server_->set_ready(true);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::MonitorService::NewStub(channel_);
  }
  void TearDown() override {
    if (server_) server_->shutdown(std::chrono::milliseconds(500));
  }

  grpc::Status stats(const v1::GetWindowStatsRequest& req, v1::GetWindowStatsResponse& resp) {
    grpc::ClientContext ctx;
    return stub_->GetWindowStats(&ctx, req, &resp);
  }

  TrafficEnv env_;
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::MonitorService::Stub> stub_;
};

// Images, objects per class and frames per pair, over the given frames.
struct Counts {
  std::map<std::string, int64_t> images, objects;
  std::map<std::pair<std::string, std::string>, int64_t> pairs;
};
Counts count(const std::vector<const testing::RecordedFrame*>& frames) {
  Counts c;
  for (const auto* f : frames) {
    std::set<std::string> present;
    for (const auto& [cls, box] : f->detections) {
      ++c.objects[cls];
      present.insert(cls);
    }
    for (const auto& a : present) {
      ++c.images[a];
      for (const auto& b : present)
        if (a < b) ++c.pairs[{a, b}];
    }
  }
  return c;
}

TEST_F(GrpcServerTest, ListStreamsShowsWindowsAndBaselines) {
  grpc::ClientContext ctx;
  v1::ListStreamsResponse resp;
  ASSERT_TRUE(stub_->ListStreams(&ctx, {}, &resp).ok());
  ASSERT_EQ(resp.streams_size(), 2);
  std::map<std::string, v1::StreamInfo> by;
  for (const auto& s : resp.streams()) by[s.stream()] = s;
  const v1::StreamInfo& cam = by.at("cam");
  EXPECT_TRUE(cam.has_baseline());
  EXPECT_FALSE(by.at("ref").has_baseline());
  EXPECT_EQ(cam.applied_events(), 3000u);
  ASSERT_EQ(cam.windows_size(), 2);
  // 3000 frames 100 ms apart: the count window holds its 2000; the 5-minute window with
  // 10 s panes covers 3000 frames' 300 s minus at most one pane.
  EXPECT_EQ(cam.windows(1).name(), "last2k");
  EXPECT_EQ(cam.windows(1).type(), v1::WindowInfo::TYPE_COUNT);
  EXPECT_EQ(cam.windows(1).frames(), 2000u);
  EXPECT_DOUBLE_EQ(cam.windows(1).fill_ratio(), 1.0);
  EXPECT_EQ(cam.windows(0).type(), v1::WindowInfo::TYPE_TIME);
  EXPECT_GE(cam.windows(0).frames(), 2900u);
  EXPECT_LE(cam.windows(0).frames(), 3000u);
  // Last event: frame 2999 at kT0 + 299.9 s.
  EXPECT_EQ(cam.last_event_time().seconds(), (TrafficEnv::kT0 + 299'900) / 1000);
  EXPECT_EQ(cam.classes(), 10u);  // k00..k07, toilet, giraffe
}

TEST_F(GrpcServerTest, WindowStatsMatchARecount) {
  v1::GetWindowStatsRequest req;
  req.set_stream("cam");
  req.set_window("last2k");
  req.set_dense_cooccurrence(true);
  v1::GetWindowStatsResponse resp;
  ASSERT_TRUE(stats(req, resp).ok());
  const Counts want = count(env_.last(2000));
  const v1::Stats& s = resp.stats();
  EXPECT_EQ(s.frames(), 2000);
  EXPECT_FALSE(s.has_tables());  // not asked for
  ASSERT_EQ(size_t(s.classes_size()), want.images.size());
  for (const auto& c : s.classes()) {
    EXPECT_EQ(c.images(), want.images.at(c.name())) << c.name();
    EXPECT_EQ(c.objects(), want.objects.at(c.name())) << c.name();
    EXPECT_EQ(c.heatmap_size(), 256);
  }
  ASSERT_EQ(size_t(s.pairs_size()), want.pairs.size());
  for (const auto& p : s.pairs()) EXPECT_EQ(p.images(), want.pairs.at({p.a(), p.b()}));
  // Dense matrix: symmetric, diagonal = images.
  const int C = s.class_names_size();
  ASSERT_EQ(resp.dense_cooccurrence_size(), C * C);
  for (int a = 0; a < C; ++a) {
    const std::string& na = s.class_names(a);
    EXPECT_EQ(int64_t(resp.dense_cooccurrence(a * C + a)),
              want.images.count(na) ? want.images.at(na) : 0);
    for (int b = 0; b < C; ++b) {
      EXPECT_EQ(resp.dense_cooccurrence(a * C + b), resp.dense_cooccurrence(b * C + a));
      const std::string& nb = s.class_names(b);
      if (na < nb) {
        auto it = want.pairs.find({na, nb});
        EXPECT_EQ(int64_t(resp.dense_cooccurrence(a * C + b)),
                  it == want.pairs.end() ? 0 : it->second);
      }
    }
  }
}

// A class listed many times is one entry (the filter is a set: one lookup per class).
TEST_F(GrpcServerTest, WindowStatsRepeatedClassesGiveOneEntryEach) {
  v1::GetWindowStatsRequest req;
  req.set_stream("cam");
  req.set_window("last2k");
  req.add_sections(v1::STATS_SECTION_CLASS_BALANCE);
  for (int i = 0; i < 20000; ++i) req.add_classes(i % 2 ? "k01" : "toilet");
  v1::GetWindowStatsResponse resp;
  ASSERT_TRUE(stats(req, resp).ok());
  std::vector<std::string> names;
  for (const auto& c : resp.stats().classes()) names.push_back(c.name());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"k01", "toilet"}));
}

TEST_F(GrpcServerTest, WindowStatsSectionsClassesAndTopPairs) {
  v1::GetWindowStatsRequest req;
  req.set_stream("cam");
  req.set_window("last2k");
  req.add_sections(v1::STATS_SECTION_CLASS_BALANCE);
  req.add_sections(v1::STATS_SECTION_COOCCURRENCE);
  req.add_sections(v1::STATS_SECTION_TABLES);
  req.add_classes("k01");
  req.add_classes("toilet");
  req.set_top_pairs(3);
  v1::GetWindowStatsResponse resp;
  ASSERT_TRUE(stats(req, resp).ok());
  const v1::Stats& s = resp.stats();
  EXPECT_TRUE(s.has_tables());
  std::set<std::string> names;
  for (const auto& c : s.classes()) {
    names.insert(c.name());
    EXPECT_GT(c.images(), 0);
    EXPECT_EQ(c.heatmap_size(), 0);  // HEATMAPS not asked for
    EXPECT_EQ(c.objects_distribution_size(), 0);
  }
  EXPECT_EQ(names, (std::set<std::string>{"k01", "toilet"}));
  EXPECT_EQ(s.objects_per_frame_size(), 0);  // PER_IMAGE not asked for
  ASSERT_EQ(s.pairs_size(), 3);
  // The three largest pair counts of the recount.
  const Counts want = count(env_.last(2000));
  std::vector<int64_t> counts;
  for (const auto& [k, v] : want.pairs) counts.push_back(v);
  std::sort(counts.rbegin(), counts.rend());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(s.pairs(i).images(), counts[size_t(i)]);
}

TEST_F(GrpcServerTest, WindowStatsErrors) {
  v1::GetWindowStatsResponse resp;
  v1::GetWindowStatsRequest req;
  EXPECT_EQ(stats(req, resp).error_code(), StatusCode::INVALID_ARGUMENT);  // no stream
  req.set_stream("nope");
  EXPECT_EQ(stats(req, resp).error_code(), StatusCode::NOT_FOUND);
  req.set_stream("cam");
  req.set_window("1d");
  EXPECT_EQ(stats(req, resp).error_code(), StatusCode::NOT_FOUND);
  req.set_window("");
  req.add_classes("unicorn");
  EXPECT_EQ(stats(req, resp).error_code(), StatusCode::NOT_FOUND);
  req.clear_classes();
  req.add_sections(v1::StatsSection(42));
  EXPECT_EQ(stats(req, resp).error_code(), StatusCode::INVALID_ARGUMENT);
}

TEST_F(GrpcServerTest, UnavailableUntilReadyAndHealth) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  auto check = [&](const std::string& name, grpc::Status* status = nullptr) {
    grpc::ClientContext ctx;
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(name);
    grpc::health::v1::HealthCheckResponse resp;
    grpc::Status s = health->Check(&ctx, req, &resp);
    if (status) *status = s;
    return resp.status();
  };
  using HS = grpc::health::v1::HealthCheckResponse;
  server_->set_ready(false);
  EXPECT_EQ(check(""), HS::NOT_SERVING);
  EXPECT_EQ(check("predwatch.v1.MonitorService"), HS::NOT_SERVING);
  EXPECT_EQ(check("liveness"), HS::SERVING);
  v1::GetWindowStatsRequest req;
  req.set_stream("cam");
  v1::GetWindowStatsResponse resp;
  EXPECT_EQ(stats(req, resp).error_code(), StatusCode::UNAVAILABLE);
  {
    grpc::ClientContext ctx;  // streams and alerts are served while rebuilding
    v1::ListStreamsResponse l;
    EXPECT_TRUE(stub_->ListStreams(&ctx, {}, &l).ok());
  }
  server_->set_ready(true);
  EXPECT_EQ(check(""), HS::SERVING);
  EXPECT_EQ(check("predwatch.v1.MonitorService"), HS::SERVING);
  EXPECT_EQ(check("liveness"), HS::SERVING);
  grpc::Status s;
  check("no.such.Service", &s);
  EXPECT_EQ(s.error_code(), StatusCode::NOT_FOUND);
  EXPECT_TRUE(stats(req, resp).ok());
}

TEST_F(GrpcServerTest, ExpiredDeadlineIsNotComputed) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() - std::chrono::seconds(1));
  v1::GetWindowStatsRequest req;
  req.set_stream("cam");
  v1::GetWindowStatsResponse resp;
  EXPECT_EQ(stub_->GetWindowStats(&ctx, req, &resp).error_code(), StatusCode::DEADLINE_EXCEEDED);
  EXPECT_FALSE(resp.has_stats());
}

TEST_F(GrpcServerTest, OversizedResponseIsResourceExhausted) {
  server_->shutdown(std::chrono::milliseconds(100));
  std::string error;
  server_ =
      GrpcServer::Start(*env_.engine, {.bind = "127.0.0.1:0", .max_message_bytes = 4096}, error);
  ASSERT_TRUE(server_) << error;
  server_->set_ready(true);
  auto stub = v1::MonitorService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  v1::GetWindowStatsRequest req;
  req.set_stream("cam");
  req.set_dense_cooccurrence(true);  // with every section: well over 4 KiB
  v1::GetWindowStatsResponse resp;
  const grpc::Status s = stub->GetWindowStats(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
}

TEST_F(GrpcServerTest, DriftListsEveryScoreOfTheLatestReports) {
  env_.engine->evaluate(env_.now_ms);
  grpc::ClientContext ctx;
  v1::GetDriftRequest req;
  req.set_stream("cam");
  v1::GetDriftResponse resp;
  ASSERT_TRUE(stub_->GetDrift(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.evaluated_at().seconds(), env_.now_ms / 1000);
  // Every finding appears with its deciding measure; every finite secondary distance too.
  size_t findings = 0, secondary = 0;
  std::multiset<std::tuple<std::string, std::string, std::string, std::string>> want, got;
  env_.engine->with_stream("cam", [&](const StreamView& v) {
    ASSERT_EQ(v.drift.size(), 2u);
    for (const auto& r : v.drift) {
      for (const auto& f : r.findings) {
        ++findings;
        want.insert({std::string(core::alert_kind_name(f.kind)), r.window, f.subject(), f.measure});
        for (auto [name, value] : {std::pair<std::string, double>{"js_distance", f.js},
                                   {"psi", f.psi},
                                   {"hellinger", f.hellinger}}) {
          if (name != f.measure && std::isfinite(value)) {
            ++secondary;
            want.insert({std::string(core::alert_kind_name(f.kind)), r.window, f.subject(), name});
          }
        }
      }
    }
  });
  EXPECT_GT(findings, 0u);
  EXPECT_GT(secondary, 0u);
  EXPECT_EQ(size_t(resp.scores_size()), findings + secondary);
  for (const auto& s : resp.scores()) {
    std::string subject;
    if (s.subject_size() == 1) subject = s.subject(0);
    if (s.subject_size() == 2) subject = core::pair_subject(s.subject(0), s.subject(1));
    got.insert({s.kind(), s.window(), subject, s.measure()});
    if (s.measure() == "psi" && s.note().rfind("secondary", 0) == 0) {
      EXPECT_DOUBLE_EQ(s.threshold(), 0.25);
      EXPECT_DOUBLE_EQ(s.warn_threshold(), 0.1);
    }
    if (s.measure() == "hellinger" && s.note().rfind("secondary", 0) == 0) {
      EXPECT_DOUBLE_EQ(s.threshold(), 0.4);
      EXPECT_DOUBLE_EQ(s.warn_threshold(), 0.15);
    }
    if (s.measure() == "js_distance") {
      EXPECT_FALSE(s.has_warn_threshold());
    }
    // A watch is a significant change below the threshold: never flagged, never over it.
    if (s.watch()) {
      EXPECT_FALSE(s.flagged());
      EXPECT_LT(s.score(), s.threshold());
      EXPECT_GE(s.score(), s.warn_threshold());
    }
    EXPECT_GT(s.window_frames(), 0u);
    EXPECT_EQ(s.baseline_frames(), 2000u);
  }
  EXPECT_EQ(got, want);

  // One window only; unknown window; stream without a baseline.
  {
    grpc::ClientContext c2;
    req.set_window("5m");
    v1::GetDriftResponse r2;
    ASSERT_TRUE(stub_->GetDrift(&c2, req, &r2).ok());
    EXPECT_GT(r2.scores_size(), 0);
    for (const auto& s : r2.scores()) EXPECT_EQ(s.window(), "5m");
  }
  {
    grpc::ClientContext c3;
    req.set_window("1d");
    v1::GetDriftResponse r3;
    EXPECT_EQ(stub_->GetDrift(&c3, req, &r3).error_code(), StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext c4;
    v1::GetDriftRequest r;
    r.set_stream("ref");
    v1::GetDriftResponse r4;
    EXPECT_EQ(stub_->GetDrift(&c4, r, &r4).error_code(), StatusCode::FAILED_PRECONDITION);
  }
}

TEST_F(GrpcServerTest, ExemplarsAreFramesOfTheCellInsideTheWindow) {
  const auto frames = env_.last(2000);
  std::map<std::string, const testing::RecordedFrame*> by_id;
  for (const auto* f : frames) by_id[f->id] = f;
  const int64_t window_start = frames.front()->time_ms;
  auto get = [&](const v1::GetExemplarsRequest& req, v1::GetExemplarsResponse& resp) {
    grpc::ClientContext ctx;
    return stub_->GetExemplars(&ctx, req, &resp);
  };
  auto has = [](const testing::RecordedFrame& f, const std::string& cls) {
    return std::any_of(f.detections.begin(), f.detections.end(),
                       [&](const auto& d) { return d.first == cls; });
  };
  v1::GetExemplarsRequest req;
  req.set_stream("cam");
  req.set_window("last2k");
  // Class.
  req.set_class_name("k02");
  v1::GetExemplarsResponse resp;
  ASSERT_TRUE(get(req, resp).ok());
  ASSERT_EQ(resp.exemplars_size(), 5);  // per_key default
  for (const auto& e : resp.exemplars()) {
    ASSERT_TRUE(by_id.count(e.frame_id())) << e.frame_id();
    EXPECT_TRUE(has(*by_id[e.frame_id()], "k02"));
    EXPECT_GE(e.time().seconds() * 1000 + e.time().nanos() / 1000000, window_start);
  }
  // The newest frame with k02 comes first.
  const testing::RecordedFrame* newest = nullptr;
  for (const auto* f : frames)
    if (has(*f, "k02")) newest = f;
  EXPECT_EQ(resp.exemplars(0).frame_id(), newest->id);
  // Limit.
  req.set_limit(2);
  resp.Clear();
  ASSERT_TRUE(get(req, resp).ok());
  EXPECT_EQ(resp.exemplars_size(), 2);
  req.set_limit(0);
  // Pair.
  req.mutable_pair()->set_a("toilet");
  req.mutable_pair()->set_b("k00");
  resp.Clear();
  ASSERT_TRUE(get(req, resp).ok());
  EXPECT_GT(resp.exemplars_size(), 0);
  for (const auto& e : resp.exemplars()) {
    EXPECT_TRUE(has(*by_id.at(e.frame_id()), "toilet") && has(*by_id.at(e.frame_id()), "k00"));
  }
  // Heatmap cell: the cell of the newest k00 box (16x16 grid, row = floor(cy * 16)).
  const testing::RecordedFrame* last_k00 = nullptr;
  for (const auto* f : frames)
    if (has(*f, "k00")) last_k00 = f;
  core::Box box;
  for (const auto& [cls, b] : last_k00->detections)
    if (cls == "k00") box = b;
  const uint32_t row = std::min(15u, uint32_t(box.center_y() * 16)),
                 col = std::min(15u, uint32_t(box.center_x() * 16));
  // The request `req` answers frames, every one of which satisfies `holds`.
  auto each_frame = [&](const char* what, auto holds) {
    resp.Clear();
    ASSERT_TRUE(get(req, resp).ok()) << what;
    ASSERT_GT(resp.exemplars_size(), 0) << what;
    for (const auto& e : resp.exemplars())
      EXPECT_TRUE(holds(*by_id.at(e.frame_id()))) << what << ": frame " << e.frame_id();
  };
  auto k00_box = [](const testing::RecordedFrame& f, auto box_holds) {
    return std::any_of(f.detections.begin(), f.detections.end(),
                       [&](const auto& d) { return d.first == "k00" && box_holds(d.second); });
  };
  req.mutable_heatmap_cell()->set_class_name("k00");
  req.mutable_heatmap_cell()->set_row(row);
  req.mutable_heatmap_cell()->set_col(col);
  each_frame("heatmap cell", [&](const testing::RecordedFrame& f) {
    return k00_box(f, [&](const core::Box& b) {
      return std::min(15u, uint32_t(b.center_y() * 16)) == row &&
             std::min(15u, uint32_t(b.center_x() * 16)) == col;
    });
  });
  // Count bucket: frames with exactly 2 boxes of k00.
  req.mutable_count_bucket()->set_class_name("k00");
  req.mutable_count_bucket()->set_count(2);
  each_frame("count bucket 2", [](const testing::RecordedFrame& f) {
    return std::count_if(f.detections.begin(), f.detections.end(),
                         [](const auto& d) { return d.first == "k00"; }) == 2;
  });
  // Histogram bins: frames with a k00 box in the area (then width) bin of the last k00 box,
  // binned by the definition (20 sqrt-scaled bins: floor(20 * sqrt(v)), at most 19).
  auto size_bin = [](float v) { return std::min(19u, uint32_t(20 * std::sqrt(double(v)))); };
  for (const auto& [histogram, measure] :
       std::vector<std::pair<v1::ObjectHistogram, std::function<float(const core::Box&)>>>{
           {v1::OBJECT_HISTOGRAM_AREA, [](const core::Box& b) { return b.area(); }},
           {v1::OBJECT_HISTOGRAM_WIDTH, [](const core::Box& b) { return b.width(); }}}) {
    const uint32_t bin = size_bin(measure(box));
    req.mutable_histogram_bin()->set_class_name("k00");
    req.mutable_histogram_bin()->set_histogram(histogram);
    req.mutable_histogram_bin()->set_bin(bin);
    each_frame("histogram bin", [&](const testing::RecordedFrame& f) {
      return k00_box(f, [&](const core::Box& b) { return size_bin(measure(b)) == bin; });
    });
  }
  // Errors.
  req.mutable_histogram_bin()->set_bin(20);  // 20 bins: 0-19
  EXPECT_EQ(get(req, resp).error_code(), StatusCode::INVALID_ARGUMENT);
  req.mutable_histogram_bin()->set_bin(0);
  req.mutable_histogram_bin()->set_histogram(v1::OBJECT_HISTOGRAM_UNSPECIFIED);
  EXPECT_EQ(get(req, resp).error_code(), StatusCode::INVALID_ARGUMENT);
  req.mutable_histogram_bin()->set_histogram(v1::OBJECT_HISTOGRAM_CONFIDENCE);
  req.mutable_histogram_bin()->set_class_name("unicorn");
  EXPECT_EQ(get(req, resp).error_code(), StatusCode::NOT_FOUND);
  req.mutable_heatmap_cell()->set_class_name("k00");
  req.mutable_heatmap_cell()->set_row(16);
  EXPECT_EQ(get(req, resp).error_code(), StatusCode::INVALID_ARGUMENT);
  req.mutable_count_bucket()->set_class_name("k00");
  req.mutable_count_bucket()->set_count(0);
  EXPECT_EQ(get(req, resp).error_code(), StatusCode::INVALID_ARGUMENT);
  req.mutable_pair()->set_a("k00");
  req.mutable_pair()->set_b("k00");
  EXPECT_EQ(get(req, resp).error_code(), StatusCode::INVALID_ARGUMENT);
  req.set_class_name("unicorn");
  EXPECT_EQ(get(req, resp).error_code(), StatusCode::NOT_FOUND);
  req.clear_cell();
  EXPECT_EQ(get(req, resp).error_code(), StatusCode::INVALID_ARGUMENT);
  req.set_class_name("k00");
  req.set_stream("nope");
  EXPECT_EQ(get(req, resp).error_code(), StatusCode::NOT_FOUND);
}

TEST_F(GrpcServerTest, ExemplarsHonourTheWindowStart) {
  // giraffe frames exist only in the pool; after 400 s without giraffe in "5m" the class's
  // exemplars are older than the window start.
  core::Episode vanish;
  vanish.kind = core::Episode::Kind::kVanish;
  vanish.a = "giraffe";
  vanish.start_ms = env_.now_ms;
  vanish.end_ms = env_.now_ms + 10'000'000;
  ASSERT_EQ(env_.cam->add_episode(vanish), "");
  env_.feed(4000);
  grpc::ClientContext ctx;
  v1::GetExemplarsRequest req;
  req.set_stream("cam");
  req.set_window("5m");
  req.set_class_name("giraffe");
  v1::GetExemplarsResponse resp;
  ASSERT_TRUE(stub_->GetExemplars(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.exemplars_size(), 0);
}

TEST_F(GrpcServerTest, BaselinesGetSetSnapshot) {
  {
    grpc::ClientContext ctx;
    v1::GetBaselineRequest req;
    req.set_stream("cam");
    v1::GetBaselineResponse resp;
    ASSERT_TRUE(stub_->GetBaseline(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.baseline().stats().frames(), 2000);
    EXPECT_TRUE(resp.baseline().stats().has_tables());
    EXPECT_EQ(resp.baseline().window().stream(), "ref");
  }
  {
    grpc::ClientContext ctx;
    v1::GetBaselineRequest req;
    req.set_stream("ref");
    v1::GetBaselineResponse resp;
    EXPECT_EQ(stub_->GetBaseline(&ctx, req, &resp).error_code(), StatusCode::NOT_FOUND);
  }
  auto set = [&](const std::string& stream, const v1::Baseline& b, v1::SetBaselineResponse* out) {
    grpc::ClientContext ctx;
    v1::SetBaselineRequest req;
    req.set_stream(stream);
    *req.mutable_baseline() = b;
    v1::SetBaselineResponse resp;
    grpc::Status s = stub_->SetBaseline(&ctx, req, &resp);
    if (out) *out = resp;
    return s;
  };
  v1::SetBaselineResponse sr;
  ASSERT_TRUE(set("ref", env_.baseline, &sr).ok());
  EXPECT_EQ(sr.frames(), 2000u);
  EXPECT_EQ(sr.classes(), uint32_t(env_.baseline.stats().tables().num_classes()));
  // Malformed: a table of the wrong size.
  v1::Baseline bad = env_.baseline;
  bad.mutable_stats()->mutable_tables()->mutable_objects_of()->RemoveLast();
  EXPECT_EQ(set("ref", bad, nullptr).error_code(), StatusCode::INVALID_ARGUMENT);
  // Another histogram layout (an 8x8 heatmap grid instead of 16x16).
  core::Stats s8(core::StatsLayout{.heatmap_grid = 8});
  core::Frame f;
  f.detections.push_back({0, core::kNoConfidence, {0.1f, 0.1f, 0.2f, 0.2f}});
  s8.add(f);
  const v1::Baseline other = make_baseline(s8, {"k00"}, core::BaselineKind::kProductionWindow);
  EXPECT_EQ(set("ref", other, nullptr).error_code(), StatusCode::FAILED_PRECONDITION);
  // Empty.
  v1::Baseline empty = make_baseline(core::Stats(), {}, core::BaselineKind::kProductionWindow);
  EXPECT_EQ(set("ref", empty, nullptr).error_code(), StatusCode::FAILED_PRECONDITION);
  // A stream key the configuration does not accept.
  EXPECT_EQ(set("x-cam", env_.baseline, nullptr).error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(set("", env_.baseline, nullptr).error_code(), StatusCode::INVALID_ARGUMENT);

  // Snapshot "cam"/"last2k", installed.
  {
    grpc::ClientContext ctx;
    v1::SnapshotBaselineRequest req;
    req.set_stream("cam");
    req.set_window("last2k");
    req.set_install(true);
    v1::SnapshotBaselineResponse resp;
    ASSERT_TRUE(stub_->SnapshotBaseline(&ctx, req, &resp).ok());
    EXPECT_EQ(resp.baseline().kind(), v1::Baseline::KIND_PRODUCTION_WINDOW);
    EXPECT_EQ(resp.baseline().stats().frames(), 2000);
    EXPECT_EQ(resp.baseline().window().stream(), "cam");
    grpc::ClientContext c2;
    v1::GetBaselineRequest g;
    g.set_stream("cam");
    v1::GetBaselineResponse gr;
    ASSERT_TRUE(stub_->GetBaseline(&c2, g, &gr).ok());
    EXPECT_EQ(gr.baseline().window().stream(), "cam");
    const Counts want = count(env_.last(2000));
    for (const auto& c : gr.baseline().stats().classes()) {
      EXPECT_EQ(c.images(), want.images.at(c.name()));
    }
  }
  {
    grpc::ClientContext ctx;
    v1::SnapshotBaselineRequest req;
    req.set_stream("cam");
    req.set_window("1d");
    v1::SnapshotBaselineResponse resp;
    EXPECT_EQ(stub_->SnapshotBaseline(&ctx, req, &resp).error_code(), StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext ctx;
    v1::SnapshotBaselineRequest req;
    req.set_stream("nope");
    v1::SnapshotBaselineResponse resp;
    EXPECT_EQ(stub_->SnapshotBaseline(&ctx, req, &resp).error_code(), StatusCode::NOT_FOUND);
  }
  // RevertBaseline: "cam" has no configured baseline (the test configuration names none), so
  // removing the installed snapshot leaves it without one; a second revert has nothing to do.
  auto revert = [&](const std::string& stream, v1::RevertBaselineResponse* out) {
    grpc::ClientContext ctx;
    v1::RevertBaselineRequest req;
    req.set_stream(stream);
    return stub_->RevertBaseline(&ctx, req, out);
  };
  v1::RevertBaselineResponse rr;
  rr.set_configured(true);
  ASSERT_TRUE(revert("cam", &rr).ok());
  EXPECT_FALSE(rr.configured());
  {
    grpc::ClientContext ctx;
    v1::GetBaselineRequest g;
    g.set_stream("cam");
    v1::GetBaselineResponse gr;
    EXPECT_EQ(stub_->GetBaseline(&ctx, g, &gr).error_code(), StatusCode::NOT_FOUND);
  }
  EXPECT_EQ(revert("cam", &rr).error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(revert("nope", &rr).error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(revert("", &rr).error_code(), StatusCode::INVALID_ARGUMENT);
}

// The reference RPCs, with the ReferenceInfo unwrapped from their responses.
grpc::Status get_reference(v1::MonitorService::Stub& stub, grpc::ClientContext* ctx,
                           const v1::GetReferenceRequest& req, v1::ReferenceInfo* info) {
  v1::GetReferenceResponse resp;
  grpc::Status s = stub.GetReference(ctx, req, &resp);
  *info = resp.reference();
  return s;
}
grpc::Status pin_reference(v1::MonitorService::Stub& stub, grpc::ClientContext* ctx,
                           const v1::PinReferenceRequest& req, v1::ReferenceInfo* info) {
  v1::PinReferenceResponse resp;
  grpc::Status s = stub.PinReference(ctx, req, &resp);
  *info = resp.reference();
  return s;
}
grpc::Status reset_reference(v1::MonitorService::Stub& stub, grpc::ClientContext* ctx,
                             const v1::ResetReferenceRequest& req, v1::ReferenceInfo* info) {
  v1::ResetReferenceResponse resp;
  grpc::Status s = stub.ResetReference(ctx, req, &resp);
  *info = resp.reference();
  return s;
}

TEST_F(GrpcServerTest, WatchAlertsSeesTransitionsThenSnapshotThenEndsOkOnShutdown) {
  Watcher w(*stub_, "cam");
  env_.engine->evaluate(env_.now_ms);  // clean traffic: nothing fires (checked below)
  const size_t quiet = env_.engine->alerts("cam").size();

  // Novel pair giraffe + toilet on 30% of the frames for the next 2000 frames.
  ASSERT_EQ(env_.inject_novel_pair(), "");
  const auto alerts = env_.engine->alerts("cam");
  ASSERT_GT(alerts.size(), quiet);
  ASSERT_TRUE(w.wait_for(1));
  bool novel_firing = false;
  {
    std::lock_guard lock(w.mu);
    for (const auto& t : w.seen) {
      EXPECT_FALSE(t.snapshot());
      EXPECT_EQ(t.alert().stream(), "cam");
      if (t.alert().kind() == "novel_pair" && t.alert().state() == v1::Alert::STATE_FIRING) {
        novel_firing = true;
        EXPECT_EQ(t.previous_state(), v1::Alert::STATE_PENDING);
        ASSERT_EQ(t.alert().subject_size(), 2);
        EXPECT_EQ(t.alert().subject(0), "giraffe");
        EXPECT_EQ(t.alert().subject(1), "toilet");
        EXPECT_EQ(t.alert().fingerprint().size(), 16u);
        EXPECT_GT(t.alert().exemplars_size(), 0);
        // One alert over the stream's windows: `window` is the deciding one, and over.
        ASSERT_GT(t.alert().windows_size(), 0);
        bool deciding_over = false;
        for (const auto& d : t.alert().windows())
          deciding_over |= d.window() == t.alert().window() && d.over();
        EXPECT_TRUE(deciding_over) << t.alert().DebugString();
        EXPECT_NE(t.alert().summary().find("in window " + t.alert().window()), std::string::npos)
            << t.alert().summary();
      }
    }
  }
  // Transitions may still be arriving; wait for the firing one.
  for (int i = 0; i < 200 && !novel_firing; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::lock_guard lock(w.mu);
    for (const auto& t : w.seen)
      novel_firing |=
          t.alert().kind() == "novel_pair" && t.alert().state() == v1::Alert::STATE_FIRING;
  }
  EXPECT_TRUE(novel_firing);

  // ListAlerts agrees with the engine.
  {
    grpc::ClientContext ctx;
    v1::ListAlertsRequest req;
    req.set_stream("cam");
    v1::ListAlertsResponse resp;
    ASSERT_TRUE(stub_->ListAlerts(&ctx, req, &resp).ok());
    ASSERT_EQ(size_t(resp.alerts_size()), alerts.size());
    for (int i = 0; i < resp.alerts_size(); ++i) {
      EXPECT_EQ(resp.alerts(i).fingerprint(), core::fingerprint_hex(alerts[size_t(i)].fingerprint));
    }
    grpc::ClientContext c2;
    req.set_stream("nope");
    EXPECT_EQ(stub_->ListAlerts(&c2, req, &resp).error_code(), StatusCode::NOT_FOUND);
  }

  // A new watcher starts with the current alerts as a snapshot.
  Watcher w2(*stub_, "");
  ASSERT_TRUE(w2.wait_for(alerts.size()));
  {
    std::lock_guard lock(w2.mu);
    for (const auto& t : w2.seen) EXPECT_TRUE(t.snapshot());
  }
  // Shutdown ends both streams with OK.
  server_->shutdown(std::chrono::milliseconds(1000));
  w.thread.join();
  w2.thread.join();
  EXPECT_TRUE(w.status.ok()) << w.status.error_message();
  EXPECT_TRUE(w2.status.ok()) << w2.status.error_message();
}

TEST_F(GrpcServerTest, WatchAlertsCancelledByTheClient) {
  auto w = std::make_unique<Watcher>(*stub_, "cam");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  w->ctx.TryCancel();
  w->thread.join();
  EXPECT_EQ(w->status.error_code(), StatusCode::CANCELLED);
  // The server keeps working and evaluating after the watcher went away.
  env_.engine->evaluate(env_.now_ms);
  grpc::ClientContext ctx;
  v1::ListStreamsResponse resp;
  EXPECT_TRUE(stub_->ListStreams(&ctx, {}, &resp).ok());
}

// Issue 14 bounds: WatchAlerts calls are capped (a further one ends at once with
// RESOURCE_EXHAUSTED, and a slot frees when a watcher leaves). (The byte bound of a slow
// reader's queue: next test.)
TEST(GrpcServerBounds, WatchersAreCapped) {
  TrafficEnv env;
  std::string error;
  auto server = GrpcServer::Start(*env.engine, {.bind = "127.0.0.1:0", .max_watchers = 2}, error);
  ASSERT_TRUE(server) << error;
  server->set_ready(true);
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server->port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::MonitorService::NewStub(channel);
  auto a = std::make_unique<Watcher>(*stub, "cam");
  auto b = std::make_unique<Watcher>(*stub, "");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  {
    Watcher c(*stub, "cam");
    c.thread.join();
    EXPECT_EQ(c.status.error_code(), StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_NE(c.status.error_message().find("too many WatchAlerts calls (2"), std::string::npos)
        << c.status.error_message();
  }
  a->ctx.TryCancel();
  a->thread.join();
  a.reset();
  // The freed slot takes a new watcher once the server has seen `a` leave (asynchronously).
  bool admitted = false;
  for (int attempt = 0; attempt < 50 && !admitted; ++attempt) {
    Watcher d(*stub, "cam");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    d.ctx.TryCancel();
    d.thread.join();
    admitted = d.status.error_code() == StatusCode::CANCELLED;
  }
  EXPECT_TRUE(admitted);
  server->shutdown(std::chrono::milliseconds(500));
}

// Issue 14 bounds: a watcher's queue of unsent transitions is bounded in bytes; past the
// bound the call ends with RESOURCE_EXHAUSTED and "reconnect", and nothing else is
// disturbed. A slow reader needs more transitions than HTTP/2 flow control buffers (~64 KB)
// before its queue grows, more than this fixture makes, so the bound here is 1 byte: the
// first transition already exceeds it (GrpcServerOptions::max_watch_queue_bytes).
TEST(GrpcServerBounds, AWatchersQueueIsBoundedInBytes) {
  TrafficEnv env;
  std::string error;
  auto server =
      GrpcServer::Start(*env.engine, {.bind = "127.0.0.1:0", .max_watch_queue_bytes = 1}, error);
  ASSERT_TRUE(server) << error;
  server->set_ready(true);
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(server->port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::MonitorService::NewStub(channel);
  Watcher w(*stub, "cam");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // subscribed
  ASSERT_EQ(env.inject_novel_pair(), "");                       // alert transitions on "cam"
  ASSERT_FALSE(env.engine->alerts("cam").empty());
  ASSERT_TRUE(w.wait_end(std::chrono::seconds(10))) << "the watcher's call was not ended";
  EXPECT_EQ(w.status.error_code(), StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(w.status.error_message().find("reads alert transitions too slowly"), std::string::npos)
      << w.status.error_message();
  EXPECT_NE(w.status.error_message().find("reconnect"), std::string::npos);
  EXPECT_EQ(w.size(), 0u);
  grpc::ClientContext ctx;
  v1::ListAlertsRequest req;
  req.set_stream("cam");
  v1::ListAlertsResponse resp;
  ASSERT_TRUE(stub->ListAlerts(&ctx, req, &resp).ok());
  EXPECT_EQ(size_t(resp.alerts_size()), env.engine->alerts("cam").size());
  server->shutdown(std::chrono::milliseconds(500));
}

// The Alert message of an alert merged over windows: the deciding window's payload, every
// window's verdict, the folded partner classes, and a summary that names them.
TEST(AlertToProto, CarriesEveryWindowAndTheRelatedSubjects) {
  core::Alert a;
  a.fingerprint = 0x1234;
  a.state = core::AlertState::kFiring;
  a.firing_since_ms = 5000;
  core::AlertObservation& o = a.last;
  o.key = {core::AlertKind::kClassAppeared, "cam", "umbrella"};
  o.over_threshold = true;
  o.window = "1h";
  o.score = 9.5;
  o.threshold = 1.3;
  o.p_value = 3e-10;
  o.counts = {61, 36000, 0, 5000};
  o.related_subjects = {"handbag", "person"};
  o.windows = {{"5m", false, 1.1, 1.3, 0.08, {4, 3000, 0, 5000}},
               {"1h", true, 9.5, 1.3, 3e-10, {61, 36000, 0, 5000}},
               {"last10k", true, 6.0, 1.3, 1e-6, {20, 10000, 0, 5000}}};
  v1::Alert out;
  alert_to_proto(a, &out);
  EXPECT_EQ(out.fingerprint(), "0000000000001234");
  EXPECT_EQ(out.window(), "1h");
  EXPECT_EQ(out.window_count(), 61u);
  ASSERT_EQ(out.windows_size(), 3);
  EXPECT_EQ(out.windows(0).window(), "5m");
  EXPECT_FALSE(out.windows(0).over());
  EXPECT_EQ(out.windows(0).window_count(), 4u);
  EXPECT_EQ(out.windows(0).window_frames(), 3000u);
  EXPECT_TRUE(out.windows(2).over());
  EXPECT_DOUBLE_EQ(out.windows(2).p_value(), 1e-6);
  EXPECT_EQ(std::vector<std::string>(out.related_subjects().begin(), out.related_subjects().end()),
            (std::vector<std::string>{"handbag", "person"}));
  EXPECT_EQ(out.summary(),
            "class_appeared umbrella (with handbag, person) on cam: firing, score 9.5 vs threshold "
            "1.3 in window 1h, 61 in 36000 window frames; over in 1h,last10k of 3 windows");
}

// The learned reference over gRPC: GetReference / PinReference / ResetReference, the
// reference in ListStreams and GetDrift's comparisons with it.
TEST(GrpcReference, StateDriftAgainstAndControl) {
  EngineOptions o = testing::engine_options();
  o.reference.learn = {.frames = 1000, .duration_ms = 0, .min_frames = 100};
  TrafficEnv env(8, 3000, o);
  env.engine->evaluate(env.now_ms);
  std::string error;
  auto server = GrpcServer::Start(*env.engine, {.bind = "127.0.0.1:0"}, error);
  ASSERT_TRUE(server) << error;
  server->set_ready(true);
  auto stub = v1::MonitorService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server->port()), grpc::InsecureChannelCredentials()));

  v1::GetReferenceRequest get;
  get.set_stream("cam");
  v1::ReferenceInfo info;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(get_reference(*stub, &ctx, get, &info).ok());
  }
  EXPECT_EQ(info.stream(), "cam");
  EXPECT_EQ(info.state(), v1::ReferenceInfo::STATE_COMPLETE);
  EXPECT_EQ(info.frames(), 1000u);
  EXPECT_DOUBLE_EQ(info.progress(), 1.0);
  EXPECT_LT(testing_timestamp_ms(info.start()), testing_timestamp_ms(info.end()));
  {
    grpc::ClientContext ctx;
    v1::ListStreamsResponse resp;
    ASSERT_TRUE(stub->ListStreams(&ctx, {}, &resp).ok());
    for (const auto& s : resp.streams()) {
      EXPECT_TRUE(s.has_reference()) << s.stream();
      EXPECT_EQ(s.reference().state(), v1::ReferenceInfo::STATE_COMPLETE) << s.stream();
    }
  }
  // GetDrift: both comparisons, or one of them; a stream without a baseline is served its
  // comparison with the reference.
  auto drift = [&](const std::string& stream, v1::Against against) {
    grpc::ClientContext ctx;
    v1::GetDriftRequest req;
    req.set_stream(stream);
    req.set_against(against);
    v1::GetDriftResponse resp;
    EXPECT_TRUE(stub->GetDrift(&ctx, req, &resp).ok());
    std::map<int, int> by;
    for (const auto& s : resp.scores()) {
      ++by[s.against()];
      if (s.against() == v1::AGAINST_REFERENCE) {
        EXPECT_EQ(s.baseline_frames(), 1000u);
        EXPECT_TRUE(s.kind() == "confidence" || s.kind() == "objects_per_image" ||
                    s.kind() == "box_size" || s.kind() == "objects_per_frame")
            << s.kind();
      }
    }
    return by;
  };
  auto both = drift("cam", v1::AGAINST_UNSPECIFIED);
  EXPECT_GT(both[v1::AGAINST_BASELINE], 0);
  EXPECT_GT(both[v1::AGAINST_REFERENCE], 0);
  auto ref_only = drift("cam", v1::AGAINST_REFERENCE);
  EXPECT_EQ(ref_only.size(), 1u);
  EXPECT_EQ(ref_only[v1::AGAINST_REFERENCE], both[v1::AGAINST_REFERENCE]);
  auto no_baseline = drift("ref", v1::AGAINST_UNSPECIFIED);
  EXPECT_EQ(no_baseline.size(), 1u);
  EXPECT_GT(no_baseline[v1::AGAINST_REFERENCE], 0);

  // Pin the count window: its 2000 frames become the reference.
  {
    grpc::ClientContext ctx;
    v1::PinReferenceRequest pin;
    pin.set_stream("cam");
    pin.set_window("last2k");
    ASSERT_TRUE(pin_reference(*stub, &ctx, pin, &info).ok());
    EXPECT_EQ(info.state(), v1::ReferenceInfo::STATE_PINNED);
    EXPECT_EQ(info.frames(), 2000u);
  }
  // GetBaseline with `reference`: the pinned window's counts, class by class (the window
  // has not moved since: the same GetWindowStats answer).
  auto reference_baseline = [&](v1::GetBaselineResponse* out) {
    grpc::ClientContext ctx;
    v1::GetBaselineRequest req;
    req.set_stream("cam");
    req.set_reference(true);
    return stub->GetBaseline(&ctx, req, out);
  };
  {
    v1::GetBaselineResponse ref;
    ASSERT_TRUE(reference_baseline(&ref).ok());
    EXPECT_EQ(ref.baseline().kind(), v1::Baseline::KIND_PRODUCTION_WINDOW);
    EXPECT_EQ(ref.baseline().window().stream(), "cam");
    EXPECT_EQ(ref.baseline().window().window(), "pinned");
    EXPECT_EQ(ref.baseline().stats().frames(), 2000);
    grpc::ClientContext ctx;
    v1::GetWindowStatsRequest req;
    req.set_stream("cam");
    req.set_window("last2k");
    v1::GetWindowStatsResponse win;
    ASSERT_TRUE(stub->GetWindowStats(&ctx, req, &win).ok());
    std::map<std::string, int64_t> want, got;
    for (const auto& c : win.stats().classes()) want[c.name()] = c.images();
    for (const auto& c : ref.baseline().stats().classes()) got[c.name()] = c.images();
    EXPECT_EQ(got, want);
  }
  {
    grpc::ClientContext ctx;
    v1::PinReferenceRequest pin;
    pin.set_stream("cam");
    pin.set_window("1d");
    EXPECT_EQ(pin_reference(*stub, &ctx, pin, &info).error_code(), StatusCode::NOT_FOUND);
  }
  {
    grpc::ClientContext ctx;
    v1::ResetReferenceRequest reset;
    reset.set_stream("cam");
    ASSERT_TRUE(reset_reference(*stub, &ctx, reset, &info).ok());
    EXPECT_EQ(info.state(), v1::ReferenceInfo::STATE_LEARNING);
    EXPECT_EQ(info.frames(), 0u);
    EXPECT_FALSE(info.has_start());
  }
  {
    v1::GetBaselineResponse ref;
    const grpc::Status st = reference_baseline(&ref);
    EXPECT_EQ(st.error_code(), StatusCode::FAILED_PRECONDITION);
    EXPECT_NE(st.error_message().find("still learning"), std::string::npos) << st.error_message();
  }
  {
    grpc::ClientContext ctx;
    get.set_stream("nope");
    EXPECT_EQ(get_reference(*stub, &ctx, get, &info).error_code(), StatusCode::NOT_FOUND);
  }
  server->shutdown(std::chrono::milliseconds(500));

  EngineOptions off = testing::engine_options();
  off.reference.enabled = false;
  TrafficEnv env_off(8, 100, off);
  auto server_off = GrpcServer::Start(*env_off.engine, {.bind = "127.0.0.1:0"}, error);
  ASSERT_TRUE(server_off) << error;
  auto stub_off = v1::MonitorService::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(server_off->port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  get.set_stream("cam");
  EXPECT_EQ(get_reference(*stub_off, &ctx, get, &info).error_code(),
            StatusCode::FAILED_PRECONDITION);
  server_off->shutdown(std::chrono::milliseconds(500));
}

TEST(GrpcServerStart, BindFailureIsAnError) {
  testing::TrafficEnv env(4, 10);
  std::string error;
  auto a = GrpcServer::Start(*env.engine, {.bind = "127.0.0.1:0"}, error);
  ASSERT_TRUE(a);
  auto b =
      GrpcServer::Start(*env.engine, {.bind = "127.0.0.1:" + std::to_string(a->port())}, error);
  EXPECT_FALSE(b);
  EXPECT_NE(error.find("cannot listen"), std::string::npos);
}

}  // namespace
}  // namespace predwatch::daemon
