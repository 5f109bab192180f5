// Watcher: reads a WatchAlerts call on a thread into a vector, for the query API tests.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "predwatch/v1/monitor.grpc.pb.h"

namespace predwatch::testing {

struct Watcher {
  grpc::ClientContext ctx;
  std::unique_ptr<grpc::ClientReader<v1::WatchAlertsResponse>> reader;
  std::mutex mu;
  std::vector<v1::AlertTransition> seen;
  grpc::Status status;
  std::atomic<bool> ended{false};  // the call finished; `status` holds how
  std::thread thread;

  Watcher(v1::MonitorService::Stub& stub, const std::string& stream) {
    v1::WatchAlertsRequest req;
    req.set_stream(stream);
    reader = stub.WatchAlerts(&ctx, req);
    thread = std::thread([this] {
      v1::WatchAlertsResponse t;
      while (reader->Read(&t)) {
        std::lock_guard lock(mu);
        seen.push_back(t.transition());
      }
      status = reader->Finish();
      ended = true;
    });
  }
  ~Watcher() {
    if (thread.joinable()) {
      ctx.TryCancel();
      thread.join();
    }
  }
  size_t size() {
    std::lock_guard lock(mu);
    return seen.size();
  }
  // Whether the call ended within `timeout` (joins the thread if so).
  bool wait_end(std::chrono::milliseconds timeout) {
    for (auto t = std::chrono::milliseconds(0); t < timeout && !ended;
         t += std::chrono::milliseconds(10))
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!ended) return false;
    thread.join();
    return true;
  }
  bool wait_for(size_t n) {
    for (int i = 0; i < 500 && size() < n; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return size() >= n;
  }
};

}  // namespace predwatch::testing
