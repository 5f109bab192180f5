// Helpers for end-to-end tests of the predwatchd binary against a real Kafka broker
// (tests/integration/kafka/predwatchd_e2e_test.cc, predwatchd_chaos_test.cc): deterministic
// prediction events, their exact window statistics recomputed here independently of core/
// (frames, objects, per-class images and objects, pair images, per-class heatmaps, objects
// per frame), sending them as JSON or protobuf (some malformed), and a Daemon: predwatchd as a
// child process with its gRPC stub.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "predwatch/v1/event.pb.h"
#include "predwatch/v1/monitor.grpc.pb.h"
#include "tests/support/kafka_producer.h"
#include "tests/support/predwatchd_process.h"

namespace predwatch::testing {

using namespace std::chrono_literals;

inline constexpr uint32_t kGrid = 16;

// ---- the events, and their statistics computed here ----

struct Det {
  std::string cls;
  float x0, y0, x1, y1;  // normalised
  float confidence;
};
struct Ev {
  std::string stream, frame_id;
  int64_t time_ms;
  std::vector<Det> dets;
};

// Per stream: what a window holding exactly these events must report.
struct Expected {
  int64_t frames = 0, objects = 0;
  std::map<std::string, int64_t> images, objects_of;
  std::map<std::pair<std::string, std::string>, int64_t> pairs;  // a < b
  std::map<std::string, std::vector<int64_t>> heatmap;           // class -> G*G
  std::map<int64_t, int64_t> objects_per_frame;                  // objects -> frames
};

inline uint32_t Cell(float c) {
  return std::min<uint32_t>(kGrid - 1, uint32_t(std::floor(c * kGrid)));
}

inline std::map<std::string, Expected> Recompute(const std::vector<Ev>& events) {
  std::map<std::string, Expected> out;
  for (const Ev& e : events) {
    Expected& x = out[e.stream];
    ++x.frames;
    x.objects += int64_t(e.dets.size());
    ++x.objects_per_frame[int64_t(e.dets.size())];
    std::set<std::string> present;
    for (const Det& d : e.dets) {
      ++x.objects_of[d.cls];
      present.insert(d.cls);
      auto& h = x.heatmap[d.cls];
      h.resize(kGrid * kGrid);
      ++h[Cell(0.5f * (d.y0 + d.y1)) * kGrid + Cell(0.5f * (d.x0 + d.x1))];
    }
    for (const auto& c : present) ++x.images[c];
    for (auto a = present.begin(); a != present.end(); ++a)
      for (auto b = std::next(a); b != present.end(); ++b) ++x.pairs[{*a, *b}];
  }
  return out;
}

inline const char* const kClasses[] = {"person", "car", "dog", "bicycle", "chair"};

// A deterministic event; box centres sit mid-cell so no float rounding decides a cell.
inline Ev MakeEvent(std::mt19937& rng, const std::string& stream, int i, int64_t time_ms) {
  Ev e{stream, stream + "/f" + std::to_string(i), time_ms, {}};
  const int n = int(rng() % 6);
  for (int k = 0; k < n; ++k) {
    const std::string cls = kClasses[rng() % 5];
    const float cx = (float(rng() % kGrid) + 0.5f) / kGrid;
    const float cy = (float(rng() % kGrid) + 0.5f) / kGrid;
    const float hw = 0.25f / kGrid;
    e.dets.push_back({cls, cx - hw, cy - hw, cx + hw, cy + hw, 0.5f + float(rng() % 50) / 100});
  }
  return e;
}

inline std::string ToJson(const Ev& e) {
  std::string s = R"({"frame_id":")" + e.frame_id + R"(","stream":")" + e.stream +
                  R"(","timestamp_ms":)" + std::to_string(e.time_ms) + R"(,"detections":[)";
  for (size_t i = 0; i < e.dets.size(); ++i) {
    const Det& d = e.dets[i];
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  R"(%s{"class_name":"%s","confidence":%.9g,"box":{"x_min":%.9g,"y_min":%.9g,)"
                  R"("x_max":%.9g,"y_max":%.9g,"normalized":true}})",
                  i ? "," : "", d.cls.c_str(), d.confidence, d.x0, d.y0, d.x1, d.y1);
    s += buf;
  }
  return s + "]}";
}

inline std::string ToProto(const Ev& e) {
  v1::PredictionEvent m;
  m.set_frame_id(e.frame_id);
  m.set_stream(e.stream);
  m.mutable_timestamp()->set_seconds(e.time_ms / 1000);
  m.mutable_timestamp()->set_nanos(int32_t(e.time_ms % 1000) * 1'000'000);
  for (const Det& d : e.dets) {
    v1::Detection* p = m.add_detections();
    p->set_class_name(d.cls);
    p->set_confidence(d.confidence);
    p->mutable_box()->set_x_min(d.x0);
    p->mutable_box()->set_y_min(d.y0);
    p->mutable_box()->set_x_max(d.x1);
    p->mutable_box()->set_y_max(d.y1);
    p->mutable_box()->set_normalized(true);
  }
  return m.SerializeAsString();
}

// Sends event i of `events` as JSON or protobuf (alternating by stream and index), and
// every 17th as a malformed message as well (not counted by the windows).
inline void SendEvent(Producer& p, const std::string& topic, const Ev& e, int i) {
  if (i % 2 == 0) {
    p.send(topic, e.stream, ToJson(e), "application/json");
  } else {
    p.send(topic, e.stream, ToProto(e), "application/x-protobuf");
  }
  if (i % 17 == 0) {
    p.send(topic, e.stream, R"({"frame_id":"broken","stream":)", "application/json");
  }
  if (i % 23 == 0) {
    p.send(topic, e.stream, std::string("\xff\xff\xff\x01garbage", 11), "application/x-protobuf");
  }
}

// ---- the daemon ----

class Daemon {
 public:
  Daemon(const TempDir& dir, const std::string& name, const std::filesystem::path& config,
         const std::vector<std::string>& extra_args = {})
      : dir_(dir), name_(name) {
    ports_ = dir.path() / (name + ".ports");
    std::filesystem::remove(ports_);
    std::vector<std::string> args{PredwatchdPath(), "--config",     config.string(),
                                  "--metrics-bind", "127.0.0.1:0",  "--web-bind",
                                  "127.0.0.1:0",    "--ports-file", ports_.string()};
    // Any free gRPC port unless the caller gives one.
    if (std::find(extra_args.begin(), extra_args.end(), "--grpc-bind") == extra_args.end()) {
      args.insert(args.end(), {"--grpc-bind", "127.0.0.1:0"});
    }
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    child_ =
        std::make_unique<Child>(args, dir.path() / (name + ".out"), dir.path() / (name + ".err"));
  }
  // Waits for the ports file; connects the stub.
  bool connect(std::chrono::seconds timeout = 30s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      std::string s = ReadAll(ports_);
      auto pos = s.find("grpc=");
      if (pos != std::string::npos && s.find('\n', pos) != std::string::npos) {
        const int port = std::stoi(s.substr(pos + 5));
        grpc_port_ = port;
        if (auto m = s.find("metrics="); m != std::string::npos) {
          metrics_port_ = std::stoi(s.substr(m + 8));
        }
        auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                           grpc::InsecureChannelCredentials());
        stub_ = v1::MonitorService::NewStub(channel);
        return true;
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  v1::MonitorService::Stub& stub() { return *stub_; }
  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }

  // Pending and firing alerts (ListAlerts), or nullopt when the call fails.
  std::optional<std::vector<v1::Alert>> alerts() {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 5s);
    v1::ListAlertsResponse resp;
    if (!stub_->ListAlerts(&ctx, {}, &resp).ok()) return std::nullopt;
    return std::vector<v1::Alert>(resp.alerts().begin(), resp.alerts().end());
  }
  Child& child() { return *child_; }
  std::string log() const { return child_->err(); }

  std::map<std::string, v1::GetWindowStatsResponse> stats(const std::set<std::string>& streams,
                                                          const std::string& window) {
    std::map<std::string, v1::GetWindowStatsResponse> out;
    for (const std::string& s : streams) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + 5s);
      v1::GetWindowStatsRequest req;
      req.set_stream(s);
      req.set_window(window);
      v1::GetWindowStatsResponse resp;
      if (stub_->GetWindowStats(&ctx, req, &resp).ok()) out[s] = resp;
    }
    return out;
  }

  // Waits until every stream's window holds `frames[stream]` frames.
  bool wait_frames(const std::map<std::string, Expected>& expected, const std::string& window,
                   std::chrono::seconds timeout = 60s) {
    std::set<std::string> streams;
    for (const auto& [s, x] : expected) streams.insert(s);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto got = stats(streams, window);
      bool all = got.size() == streams.size();
      for (const auto& [s, x] : expected) {
        all = all && got.count(s) && got[s].stats().frames() == x.frames;
      }
      if (all) return true;
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }

 private:
  const TempDir& dir_;
  std::string name_;
  std::filesystem::path ports_;
  std::unique_ptr<Child> child_;
  std::unique_ptr<v1::MonitorService::Stub> stub_;
  int grpc_port_ = 0, metrics_port_ = 0;
};

inline void ExpectStatsEqual(const v1::GetWindowStatsResponse& got, const Expected& x,
                             const std::string& stream) {
  SCOPED_TRACE("stream " + stream + " window " + got.window().name());
  const v1::Stats& s = got.stats();
  EXPECT_EQ(s.frames(), x.frames);
  EXPECT_EQ(s.objects(), x.objects);
  std::map<std::string, int64_t> images, objects;
  std::map<std::string, std::vector<int64_t>> heat;
  for (const v1::ClassStats& c : s.classes()) {
    if (c.objects() == 0 && c.images() == 0) continue;
    images[c.name()] = c.images();
    objects[c.name()] = c.objects();
    heat[c.name()] = {c.heatmap().begin(), c.heatmap().end()};
  }
  EXPECT_EQ(images, x.images);
  EXPECT_EQ(objects, x.objects_of);
  for (const auto& [cls, h] : x.heatmap) EXPECT_EQ(heat[cls], h) << cls;
  std::map<std::pair<std::string, std::string>, int64_t> pairs;
  for (const v1::PairCount& p : s.pairs()) {
    if (p.images() > 0) pairs[{std::min(p.a(), p.b()), std::max(p.a(), p.b())}] = p.images();
  }
  EXPECT_EQ(pairs, x.pairs);
  std::map<int64_t, int64_t> opf;
  for (int i = 0; i < s.objects_per_frame_size(); ++i) {
    if (s.objects_per_frame(i) > 0) opf[i] = s.objects_per_frame(i);
  }
  EXPECT_EQ(opf, x.objects_per_frame);
}

}  // namespace predwatch::testing
