// Application: predwatchd itself, production wiring only. Builds the components from
// validated settings in dependency order, registering each one's stop as it goes,
// supervises them, and stops them in reverse order. The demo (daemon/demo/demo_application.h)
// is assembled from this same Application plus its own generator and view.
//
// Start order:
//   1. logging (logging.level / .format), then the effective configuration is logged
//      (render_yaml, secrets masked)
//   2. engine (MonitorEngine from EngineConfig: windows, layout, streams, thresholds); the
//      JSONL alert log subscribes
//   3. metrics exporter (/metrics; predwatch_ready 0)
//   4. gRPC server (health NOT_SERVING until ready), then the web view (web.enabled; its
//      API answers 503 for window reads until ready, as gRPC)
//   5. Kafka source (real brokers, or the embedded mock cluster it creates first when
//      kafka.embedded is set)
//   6. evaluation loop: engine.evaluate(clock.now_ms()) every drift.evaluation_interval; with
//      drift.evaluation_clock: event, no loop: an EventTimeEvaluator between the source and
//      the engine evaluates at event-time ticks on the consumer thread (as `predwatch replay`)
// Ready when the source's rebuild is complete: health SERVING, predwatch_ready 1 (and back to
// NOT_SERVING while a later rebalance rebuilds).
//
// Lifecycle: run() = start(), wait(), stop(). request_stop() (SIGTERM/SIGINT) ends wait();
// stop() stops in reverse order — whatever was registered on top (register_stop), the
// evaluation loop, the source (finishes the message in hand, commits the stored offsets,
// leaves the group), the embedded cluster, the gRPC server (open WatchAlerts streams end with
// OK), the exporter — within kShutdownBound, else the process exits with status 1.
// request_reload() (SIGHUP) re-reads the config file: thresholds, drift kinds, alerting,
// stream admission/class maps and baselines are replaced without touching window state; the
// gRPC tokens (grpc.auth) are read again and replace the running ones (an unreadable token
// keeps them); settings that need a restart (kafka, windows, statistics, binds, limits) are
// reported and kept; an invalid file is rejected and the running configuration kept, with an
// error in the log. Settings given in memory (ApplicationOptions::settings) have no file to reload.
// The reload also reopens the alert log (rotation), whatever the configuration.
//
// Thread-safety: start(), wait(), stop() and run() on one thread; request_stop() and
// request_reload() from any thread (the signal thread). The accessors are valid between a
// successful start() and stop().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "config/settings.h"
#include "daemon/app/log_throttle.h"

namespace predwatch::daemon {

class Clock;
class MonitorEngine;
class MetricsExporter;
class GrpcServer;
class KafkaSource;
class EmbeddedKafka;
class EventTimeEvaluator;
class AlertLog;
class WebServer;

struct ApplicationOptions {
  std::filesystem::path config_file;         // read at start (and on reload) unless `settings`
  std::optional<config::Settings> settings;  // in-memory settings instead of a file
  std::filesystem::path alerts_log;          // JSONL of alert transitions; empty = none
  std::filesystem::path ports_file;          // "metrics=P\ngrpc=P\n[web=P\n]" once listening
  std::optional<std::string> metrics_bind;   // overrides metrics.bind
  std::optional<std::string> grpc_bind;      // overrides grpc.bind
  std::optional<std::string> web_bind;       // overrides web.bind
  std::chrono::milliseconds duration{0};     // > 0: wait() returns by itself after this long
  Clock* clock = nullptr;                    // evaluation times; null = the system clock
};

class Application {
 public:
  static constexpr std::chrono::seconds kShutdownBound{10};

  explicit Application(ApplicationOptions options);
  ~Application();

  // Starts everything, supervises until a stop request (or duration, or a fatal source
  // error), stops everything. Returns the process exit status: 0 after a requested stop,
  // 1 when starting failed or the source failed.
  int run();

  // The three steps of run(), for programs that add components on top (the demo).
  // start(): loads the settings and starts every component; false with `error` (the caller
  // then calls stop()). wait(): supervises until a stop request, the duration or a fatal
  // source error; returns the exit status. stop(): stops everything registered, in reverse.
  bool start(std::string& error);
  int wait();
  void stop();

  void request_stop();
  void request_reload();

  // Adds a component's stop; it runs before the stops registered earlier.
  void register_stop(std::string name, std::function<void()> stop);

  // After start():
  MonitorEngine& engine() { return *engine_; }
  AlertLog* alert_log() { return alert_log_.get(); }  // null without --alerts-log
  const config::Settings& settings() const { return settings_; }
  std::string kafka_bootstrap_servers() const;  // the embedded cluster's when embedded
  int metrics_port() const;
  int grpc_port() const;
  int web_port() const;  // 0 when web.enabled is false

 private:
  bool load_settings(std::string& error);
  void reload();
  void evaluation_loop();

  ApplicationOptions options_;
  config::Settings settings_;
  std::unique_ptr<Clock> own_clock_;
  Clock* clock_;

  std::unique_ptr<MonitorEngine> engine_;
  std::unique_ptr<AlertLog> alert_log_;
  std::unique_ptr<MetricsExporter> metrics_;
  std::unique_ptr<GrpcServer> grpc_;
  std::unique_ptr<WebServer> web_;
  std::unique_ptr<EmbeddedKafka> embedded_;
  std::unique_ptr<EventTimeEvaluator> event_evaluator_;  // drift.evaluation_clock: event
  class TimedSink;
  std::unique_ptr<TimedSink> sink_;  // the source's view of the engine
  std::unique_ptr<KafkaSource> source_;
  std::atomic<const KafkaSource*> source_view_{nullptr};  // for the exporter's getter

  std::vector<std::pair<std::string, std::function<void()>>> stops_;

  // Refused gRPC calls and failed forwarded calls: one log line a minute per kind.
  LogThrottle log_throttle_{std::chrono::minutes(1)};

  std::mutex mu_;  // guards the request flags below
  std::condition_variable cv_;
  bool stop_requested_ = false;
  bool reload_requested_ = false;
  bool eval_stop_ = false;
  std::thread eval_thread_;
  bool ready_ = false;
  bool logging_configured_ = false;
  int exit_code_ = 0;
};

}  // namespace predwatch::daemon
