// Application: predwatchd itself. Builds the components from validated settings in
// dependency order, registering each one's stop as it goes, supervises them, and stops them
// in reverse order.
//
// Start order:
//   1. logging (logging.level / .format), then the effective configuration is logged
//      (render_yaml, secrets masked)
//   2. engine (MonitorEngine from EngineConfig: windows, layout, streams, thresholds);
//      demo: the COCO baseline is installed; the JSONL alert log subscribes
//   3. metrics exporter (/metrics; predwatch_ready 0)
//   4. gRPC server (health NOT_SERVING until ready)
//   5. Kafka source (real brokers, or the embedded mock cluster it creates first)
//   6. evaluation loop (engine.evaluate(now) every drift.evaluation_interval)
//   7. demo only: the generator producing into the topic, and the terminal view
// Ready when the source's rebuild is complete: health SERVING, predwatch_ready 1 (and back to
// NOT_SERVING while a later rebalance rebuilds).
//
// Lifecycle: request_stop() (SIGTERM/SIGINT) stops in reverse order — the view and
// generator, the evaluation loop, the source (finishes the message in hand, commits the
// stored offsets, leaves the group), the embedded cluster, the gRPC server (open
// WatchAlerts streams end with OK), the exporter — within kShutdownBound, else the process
// exits with status 1. request_reload() (SIGHUP) re-reads the config file: thresholds,
// drift kinds, alerting, stream admission/class maps and baselines are replaced without
// touching window state; settings that need a restart (kafka, windows, statistics, binds,
// limits) are reported and kept; an invalid file is rejected and the running configuration
// kept, with an error in the log.
//
// Thread-safety: run() on one thread (it supervises on it); request_stop() and
// request_reload() from any thread (the signal thread).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "config/settings.h"
#include "daemon/demo/demo_scenario.h"

namespace predwatch::daemon {

class MonitorEngine;
class MetricsExporter;
class GrpcServer;
class KafkaSource;
class EmbeddedKafka;
class AlertLog;
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

struct ApplicationOptions {
  std::filesystem::path config_file;  // required unless demo
  bool demo = false;
  DemoOptions demo_options;
  std::filesystem::path alerts_log;         // JSONL of alert transitions; empty = none
  std::filesystem::path ports_file;         // "metrics=P\ngrpc=P\n" once listening
  std::optional<std::string> metrics_bind;  // overrides metrics.bind
  std::optional<std::string> grpc_bind;     // overrides grpc.bind
  std::chrono::milliseconds duration{0};    // > 0: stop by itself after this long
};

// The settings `--demo` runs with: embedded Kafka, one stream with the demo window,
// fast evaluation, loopback binds.
config::Settings demo_settings(const DemoOptions& demo);

class Application {
 public:
  static constexpr std::chrono::seconds kShutdownBound{10};

  explicit Application(ApplicationOptions options);
  ~Application();

  // Starts everything, supervises until a stop request (or duration, or a fatal source
  // error), stops everything. Returns the process exit status: 0 after a requested stop,
  // 1 when starting failed or the source failed.
  int run();

  void request_stop();
  void request_reload();

 private:
  bool start(std::string& error);
  void stop_all();
  void reload();
  void evaluation_loop();
  void supervise();
  void register_stop(std::string name, std::function<void()> stop);

  ApplicationOptions options_;
  config::Settings settings_;

  std::unique_ptr<MonitorEngine> engine_;
  std::unique_ptr<AlertLog> alert_log_;
  std::unique_ptr<MetricsExporter> metrics_;
  std::unique_ptr<GrpcServer> grpc_;
  std::unique_ptr<EmbeddedKafka> embedded_;
  class TimedSink;
  std::unique_ptr<TimedSink> sink_;  // the source's view of the engine
  std::unique_ptr<KafkaSource> source_;
  std::atomic<const KafkaSource*> source_view_{nullptr};  // for the exporter's getter
  std::vector<core::PoolFrame> demo_pool_;
  std::filesystem::path demo_dir_;  // the demo's baseline file lives here
  std::unique_ptr<DemoProducer> producer_;
  std::unique_ptr<TerminalView> view_;

  std::vector<std::pair<std::string, std::function<void()>>> stops_;

  std::mutex mu_;  // guards the request flags below
  std::condition_variable cv_;
  bool stop_requested_ = false;
  bool reload_requested_ = false;
  bool eval_stop_ = false;
  std::thread eval_thread_;
  bool ready_ = false;
  int exit_code_ = 0;
};

}  // namespace predwatch::daemon
