// DemoApplication: `predwatchd --demo`, assembled from the production Application plus the
// demo's own pieces. Before the application starts it finds the demo data (COCO val2017
// annotations), builds their baseline into a temporary file and prepares demo_settings();
// once the application runs (embedded Kafka, engine, /metrics, gRPC, evaluation loop as in
// production) it starts the generator producing into the embedded topic, writes the episode
// schedule into the alert log, and shows the live terminal view. Stops in reverse order and
// removes the temporary files.
//
// Thread-safety: run() on one thread; request_stop() / request_reload() from any thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/settings.h"
#include "core/scenario.h"
#include "daemon/app/application.h"
#include "daemon/demo/demo_scenario.h"

namespace predwatch::daemon {

class DemoProducer;
class TerminalView;

struct DemoOptions {
  std::filesystem::path data;  // COCO instances file or folder; empty = search
  double frames_per_second = 200;
  DemoTiming timing;
  std::chrono::milliseconds window{60'000};
  std::chrono::milliseconds pane{5'000};
  std::chrono::milliseconds evaluation_interval{2'000};
  uint64_t seed = 1;
  std::string stream = "demo-cam";
  bool view = true;  // the live terminal view (ANSI on a TTY, plain lines otherwise)
};

// The settings `--demo` runs with: embedded Kafka, one stream with the demo window,
// fast evaluation, loopback binds.
config::Settings demo_settings(const DemoOptions& demo);

class DemoApplication {
 public:
  // `app` carries the process options (alert log, ports file, binds, duration); its
  // config_file and settings are replaced by the demo's.
  DemoApplication(ApplicationOptions app, DemoOptions demo);
  ~DemoApplication();

  // Returns the process exit status (as Application::run).
  int run();

  void request_stop();
  void request_reload();

 private:
  bool prepare(std::string& error);  // data, pool, baseline file, settings
  bool start_demo(std::string& error);
  void remove_files();

  ApplicationOptions app_options_;
  DemoOptions demo_;
  std::mutex mu_;  // guards app_ (created by run()) against the signal thread
  std::unique_ptr<Application> app_;
  bool stop_requested_ = false;
  std::vector<core::PoolFrame> pool_;
  std::filesystem::path dir_;  // the baseline file lives here
  std::unique_ptr<DemoProducer> producer_;
  std::unique_ptr<TerminalView> view_;
};

}  // namespace predwatch::daemon
