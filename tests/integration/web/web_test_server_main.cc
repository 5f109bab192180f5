// predwatch_web_test_server: a test-only web view (daemon/web) over a MonitorEngine holding
// a small known dataset, for the headless-Chromium test (browser_test.py). Nothing changes
// after start, so the page, the API and the test see the same numbers.
//
// Streams (window "all": a time window of one hour in one-minute panes; baselines
// snapshotted from the "-ref" streams; the kinds of frames are interleaved, so that every
// pane holds each kind and the evaluator's dependence check has its parts):
//   cam: 500 frames, 5 classes. Against its baseline, dog+umbrella is a novel pair (50
//        frames), and car comes 3 to a frame on 70 frames. Frame i is, by i % 50:
//          0-19  {person, car}            (200)    20-29 {person, person, dog}  (100)
//          30-34 {dog, umbrella}          (50)     35-42 {bicycle}              (80)
//          43-49 {car, car, car}          (70)
//   baseline (cam-ref, 1200 frames), by i % 12:
//          0-3 {person, car} (400)   4-6 {person, dog} (300)   7-8 {bicycle, person} (200)
//          9 {umbrella} (100)        10-11 {car} (200)
//   big: 2000 frames over 1000 classes c000..c999 (3 to 8 classes a frame, seeded), with a
//        baseline of 2000 more frames of the same kind: the page at 1,000 classes.
// Frame ids are "<stream>-<i>", one frame a second from 2026-01-01T00:00:00Z. cam's
// dog+umbrella frames carry an image.uri: a data: URI of a 64x48 SVG (nothing to fetch). Evaluated
// an hour after the first frame (the window full), so the window holds frames 60.. (the first
// one-minute pane has just left it): 440 of cam's frames.
//
// Serves the web view and, for `predwatch stats --html` (the window report's exemplars), the
// gRPC API, both on loopback; prints "web <port>" and "grpc <port>" on stdout, then serves
// until stdin closes.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "daemon/api/grpc_server.h"
#include "daemon/engine/monitor_engine.h"
#include "daemon/web/web_server.h"

namespace {

using namespace predwatch;

constexpr int64_t kT0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
const std::string kImage =
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='64' height='48'%3E"
    "%3Crect width='64' height='48' fill='%23c0c'/%3E%3C/svg%3E";

// Box of the k-th object of a class: each class has its own corner of the image.
core::Box box_of(const std::string& cls, int k) {
  const float x = float((std::hash<std::string>{}(cls) % 4)) * 0.2f + 0.05f * float(k);
  const float y = float((std::hash<std::string>{}(cls) / 4 % 4)) * 0.2f + 0.02f * float(k);
  return core::Box{x, y, x + 0.1f, y + 0.15f};
}

struct Feeder {
  daemon::MonitorEngine& engine;
  std::string stream;
  int64_t i = 0;

  void frame(const std::vector<std::string>& classes, const std::string& image_uri = "") {
    const std::string id = stream + "-" + std::to_string(i);
    core::Event e;
    e.stream = stream;
    e.frame_id = id;
    e.time_ms = kT0 + i * 1000;
    e.width = 640;
    e.height = 480;
    e.image_uri = image_uri;
    std::map<std::string, int> seen;
    for (const std::string& c : classes) {
      core::NamedDetection d;
      d.class_name = c;
      d.confidence = 0.9f;
      d.box = box_of(c, seen[c]++);
      e.detections.push_back(d);
    }
    if (!engine.apply(e).applied) {
      std::cerr << "rejected " << id << "\n";
      std::exit(1);
    }
    ++i;
  }
};

void random_frames(Feeder& f, int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> count(3, 8), cls(0, 999);
  for (int k = 0; k < n; ++k) {
    std::vector<std::string> classes;
    const int m = count(rng);
    for (int j = 0; j < m; ++j) {
      char name[8];
      std::snprintf(name, sizeof name, "c%03d", cls(rng));
      classes.push_back(name);
    }
    f.frame(classes);
  }
}

void install_baseline(daemon::MonitorEngine& engine, const std::string& from,
                      const std::string& to) {
  std::string error;
  auto b = engine.snapshot_baseline(from, "all", false, error);
  auto loaded = b ? daemon::baseline_from_proto(*b, error) : std::nullopt;
  if (!loaded || !engine.set_baseline(to, std::move(*loaded)).empty()) {
    std::cerr << "baseline " << from << ": " << error << "\n";
    std::exit(1);
  }
}

}  // namespace

int main() {
  daemon::EngineOptions o;
  core::WindowSpec all;
  all.name = "all";
  all.type = core::WindowSpec::Type::kTime;
  all.length_ms = 3'600'000;
  all.pane_ms = 60'000;
  o.stream.windows = {all};
  o.alerting.for_evaluations = 1;
  o.alerting.resolve_evaluations = 1;
  o.reference.enabled = false;
  o.stream_config = [](std::string_view) -> std::optional<daemon::StreamConfig> {
    return daemon::StreamConfig{};
  };
  daemon::MonitorEngine engine(o);

  Feeder ref{engine, "cam-ref"};
  for (int i = 0; i < 1200; ++i) {
    const int k = i % 12;
    ref.frame(k < 4    ? std::vector<std::string>{"person", "car"}
              : k < 7  ? std::vector<std::string>{"person", "dog"}
              : k < 9  ? std::vector<std::string>{"bicycle", "person"}
              : k < 10 ? std::vector<std::string>{"umbrella"}
                       : std::vector<std::string>{"car"});
  }
  install_baseline(engine, "cam-ref", "cam");
  Feeder cam{engine, "cam"};
  for (int i = 0; i < 500; ++i) {
    const int k = i % 50;
    cam.frame(k < 20   ? std::vector<std::string>{"person", "car"}
              : k < 30 ? std::vector<std::string>{"person", "person", "dog"}
              : k < 35 ? std::vector<std::string>{"dog", "umbrella"}
              : k < 43 ? std::vector<std::string>{"bicycle"}
                       : std::vector<std::string>{"car", "car", "car"},
              k >= 30 && k < 35 ? kImage : "");
  }

  Feeder big_ref{engine, "big-ref"};
  random_frames(big_ref, 2000, 1);
  install_baseline(engine, "big-ref", "big");
  Feeder big{engine, "big"};
  random_frames(big, 2000, 2);

  // Twice: an alert is pending after the first evaluation, firing after the second.
  const int64_t now = kT0 + 3600 * 1000;
  engine.evaluate(now);
  engine.evaluate(now + 1000);

  std::string error;
  daemon::WebServerOptions wo;
  wo.bind = "127.0.0.1:0";
  auto web = daemon::WebServer::Start(engine, wo, error);
  if (!web) {
    std::cerr << error << "\n";
    return 1;
  }
  web->set_ready(true);
  auto grpc = daemon::GrpcServer::Start(engine, {.bind = "127.0.0.1:0"}, error);
  if (!grpc) {
    std::cerr << error << "\n";
    return 1;
  }
  grpc->set_ready(true);
  std::cout << "web " << web->port() << "\ngrpc " << grpc->port() << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  grpc->shutdown(std::chrono::milliseconds(500));
  web->shutdown();
  return 0;
}
