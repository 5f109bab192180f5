// predwatch_test_server: a test-only gRPC (and metrics) server over a MonitorEngine fed with
// ScenarioGenerator traffic (tests/support/traffic_env.h: streams "cam" with a baseline and
// "ref" without). A background thread keeps feeding "cam" (500 frames = 50 s of event time
// per step, a step every 100 ms) with a novel pair giraffe+toilet switched on and off every
// 400 s of event time, and evaluates after each step, so alerts go through pending, firing
// and resolved while clients watch.
//
// Prints "grpc <port>" and "metrics <port>" on stdout, then serves until stdin closes.
#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "daemon/api/grpc_server.h"
#include "daemon/metrics/metrics_exporter.h"
#include "tests/support/traffic_env.h"

int main() {
  using namespace predwatch;
  testing::TrafficEnv env(8, 3000);
  env.record = false;
  for (int k = 0; k < 1000; ++k) {
    core::Episode e;
    e.kind = core::Episode::Kind::kInjectPair;
    e.a = "giraffe";
    e.b = "toilet";
    e.rate = 0.3;
    e.start_ms = env.now_ms + int64_t(k) * 800'000;
    e.end_ms = e.start_ms + 400'000;
    if (!env.cam->add_episode(e).empty()) return 1;
  }
  env.engine->evaluate(env.now_ms);

  std::string error;
  auto server = daemon::GrpcServer::Start(*env.engine, {.bind = "127.0.0.1:0"}, error);
  if (!server) {
    std::cerr << error << "\n";
    return 1;
  }
  daemon::MetricsOptions mo;
  mo.bind = "127.0.0.1:0";
  auto metrics = daemon::MetricsExporter::Start(*env.engine, {}, mo, error);
  if (!metrics) {
    std::cerr << error << "\n";
    return 1;
  }
  server->set_ready(true);
  metrics->set_ready(true);
  std::cout << "grpc " << server->port() << "\nmetrics " << metrics->port() << std::endl;

  std::atomic<bool> stop{false};
  std::thread feeder([&] {
    while (!stop) {
      env.feed(500);
      const auto t0 = std::chrono::steady_clock::now();
      env.engine->evaluate(env.now_ms);
      metrics->observe_evaluation(std::chrono::steady_clock::now() - t0);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  stop = true;
  feeder.join();
  server->shutdown(std::chrono::milliseconds(1000));
  return 0;
}
