#include "daemon/app/application.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config/loader.h"
#include "daemon/api/grpc_server.h"
#include "daemon/app/alert_log.h"
#include "daemon/app/embedded_kafka.h"
#include "daemon/app/engine_config.h"
#include "daemon/app/logging.h"
#include "daemon/demo/demo_producer.h"
#include "daemon/demo/terminal_view.h"
#include "daemon/engine/monitor_engine.h"
#include "daemon/ingest/kafka_source.h"
#include "daemon/metrics/metrics_exporter.h"

namespace predwatch::daemon {
namespace {

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string read_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path;
    return {};
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Longest time window plus its lateness: how far back the rebuild replays.
int64_t rebuild_horizon_ms(const config::Settings& s) {
  int64_t h = 0;
  for (const auto& w : s.windows) {
    if (w.type == config::WindowType::kTime) {
      h = std::max<int64_t>(h, w.length.count() + w.allowed_lateness.count());
    }
  }
  return h;
}

Encoding default_encoding(config::Decoder d) {
  return d == config::Decoder::kProtobuf ? Encoding::kProtobuf : Encoding::kJson;
}

std::string duration_name(std::chrono::milliseconds d) {
  const int64_t ms = d.count();
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace

// The Kafka source's sink: the engine, with each event's apply time observed for
// predwatch_apply_duration_seconds.
class Application::TimedSink final : public EventSink {
 public:
  TimedSink(MonitorEngine& engine, MetricsExporter& metrics) : engine_(engine), metrics_(metrics) {}
  SinkResult apply(const core::Event& event, const EventOrigin& origin) override {
    const auto t0 = std::chrono::steady_clock::now();
    const SinkResult r = engine_.apply(event, origin);
    metrics_.observe_apply(std::chrono::steady_clock::now() - t0);
    return r;
  }
  void on_partitions_assigned(std::span<const TopicPartition> partitions) override {
    engine_.on_partitions_assigned(partitions);
  }
  void on_partitions_revoked(std::span<const TopicPartition> partitions) override {
    engine_.on_partitions_revoked(partitions);
  }

 private:
  MonitorEngine& engine_;
  MetricsExporter& metrics_;
};

config::Settings demo_settings(const DemoOptions& demo) {
  config::Settings s;
  s.kafka.embedded = true;
  s.kafka.brokers = "";
  s.kafka.topics = {"predictions"};
  s.kafka.group_id = "predwatch-demo";
  s.kafka.commit_interval_ms = 1000;
  config::WindowSettings w;
  w.name = duration_name(demo.window);
  w.type = config::WindowType::kTime;
  w.length = demo.window;
  w.pane = demo.pane;
  w.allowed_lateness = demo.pane;
  s.windows = {w};
  config::StreamSettings stream;
  stream.key = demo.stream;
  s.streams.entries = {stream};
  s.drift.evaluation_interval = demo.evaluation_interval;
  // An 8x8 heatmap: with 16x16 cells, the sampling noise of a demo window's car heatmap
  // alone sits near the JS threshold, and a spatial alert would not resolve once the shift
  // is over (calm needs score < 0.8 x threshold).
  s.statistics.heatmap_grid = 8;
  s.metrics.bind = "127.0.0.1:9464";
  s.grpc.bind = "127.0.0.1:50051";
  return s;
}

Application::Application(ApplicationOptions options) : options_(std::move(options)) {}

Application::~Application() { stop_all(); }

void Application::register_stop(std::string name, std::function<void()> stop) {
  stops_.emplace_back(std::move(name), std::move(stop));
}

void Application::request_stop() {
  {
    std::lock_guard lock(mu_);
    stop_requested_ = true;
  }
  cv_.notify_all();
}

void Application::request_reload() {
  {
    std::lock_guard lock(mu_);
    reload_requested_ = true;
  }
  cv_.notify_all();
}

int Application::run() {
  // Settings first: nothing starts on an invalid configuration.
  if (options_.demo) {
    settings_ = demo_settings(options_.demo_options);
  } else {
    config::LoadResult r = config::load_config_file(options_.config_file);
    if (!r.ok()) {
      std::fprintf(stderr, "%s", r.error_text().c_str());
      std::fprintf(stderr, "predwatchd: invalid configuration, not starting\n");
      return 1;
    }
    settings_ = *r.settings;
  }
  if (options_.metrics_bind) settings_.metrics.bind = *options_.metrics_bind;
  if (options_.grpc_bind) settings_.grpc.bind = *options_.grpc_bind;

  std::string error;
  if (!start(error)) {
    spdlog::error("predwatchd: cannot start: {}", error);
    stop_all();
    return 1;
  }
  supervise();
  stop_all();
  spdlog::info("predwatchd: stopped");
  return exit_code_;
}

bool Application::start(std::string& error) {
  // 1. logging
  configure_logging(settings_.logging);
  if (options_.demo && options_.demo_options.view && isatty(STDOUT_FILENO)) {
    // The live view owns the terminal; only problems are logged (to stderr).
    set_log_level(config::LogLevel::kWarn);
  }
  // 2. engine. The demo's baseline goes through a file like any configured one, so the
  // stream gets it back whenever it is (re)created.
  if (options_.demo) {
    const DemoOptions& d = options_.demo_options;
    const auto data = find_demo_data(d.data, error);
    if (data.empty()) return false;
    auto pool = load_pool(data, error);
    if (!pool) return false;
    demo_pool_ = std::move(*pool);
    auto baseline = build_demo_baseline(data, stats_layout(settings_), error);
    if (!baseline) return false;
    std::string tmpl = (std::filesystem::temp_directory_path() / "predwatch-demo-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      error = "cannot create a temporary directory for the demo baseline";
      return false;
    }
    demo_dir_ = tmpl;
    register_stop("demo files", [this] {
      std::error_code ec;
      std::filesystem::remove_all(demo_dir_, ec);
    });
    const auto file = demo_dir_ / "demo-baseline.pb";
    if (std::string err = save_baseline(file, *baseline); !err.empty()) {
      error = err;
      return false;
    }
    settings_.streams.entries.front().baseline = file.string();
    spdlog::info("demo: {} frames from {}; baseline of the same annotations in {}",
                 demo_pool_.size(), data.string(), file.string());
  }
  spdlog::info("predwatchd {} starting ({}), effective configuration:\n{}", PREDWATCH_VERSION,
               options_.demo ? "demo" : options_.config_file.string(),
               config::render_yaml(settings_, /*mask_secrets=*/true));
  auto engine_config = make_engine_config(settings_, error);
  if (!engine_config) return false;
  engine_ = std::make_unique<MonitorEngine>(std::move(engine_config->options));
  register_stop("engine", [this] { engine_.reset(); });
  if (!options_.alerts_log.empty()) {
    alert_log_ = AlertLog::Open(options_.alerts_log, *engine_, error);
    if (!alert_log_) return false;
    register_stop("alert log", [this] { alert_log_.reset(); });
  }

  // 3. metrics
  MetricsOptions mo;
  mo.bind = settings_.metrics.bind;
  mo.max_classes_exported = size_t(settings_.metrics.max_classes_exported);
  mo.top_pairs = size_t(settings_.metrics.top_pairs);
  mo.max_series = size_t(settings_.metrics.max_series);
  metrics_ = MetricsExporter::Start(
      *engine_, [this] { return source_view_.load(); }, mo, error);
  if (!metrics_) return false;
  metrics_->set_ready(false);
  register_stop("metrics exporter", [this] { metrics_.reset(); });

  // 4. gRPC
  GrpcServerOptions go;
  go.bind = settings_.grpc.bind;
  go.max_message_bytes = int(std::min<int64_t>(settings_.grpc.max_message_bytes, INT32_MAX));
  if (settings_.grpc.tls) {
    GrpcServerOptions::Tls tls;
    tls.cert_pem = read_file(settings_.grpc.tls->cert, error);
    if (!error.empty()) return false;
    tls.key_pem = read_file(settings_.grpc.tls->key, error);
    if (!error.empty()) return false;
    if (settings_.grpc.tls->client_ca) {
      tls.client_ca_pem = read_file(*settings_.grpc.tls->client_ca, error);
      if (!error.empty()) return false;
    }
    go.tls = std::move(tls);
  }
  grpc_ = GrpcServer::Start(*engine_, go, error);
  if (!grpc_) return false;
  grpc_->set_ready(false);
  register_stop("gRPC server", [this] {
    grpc_->set_ready(false);
    grpc_->shutdown(std::chrono::seconds(3));
    grpc_.reset();
  });
  spdlog::info("predwatchd: /metrics on port {}, gRPC on port {}", metrics_->port(), grpc_->port());
  if (!options_.ports_file.empty()) {
    std::ofstream pf(options_.ports_file, std::ios::trunc);
    pf << "metrics=" << metrics_->port() << "\ngrpc=" << grpc_->port() << "\n";
    if (!pf) {
      error = "cannot write " + options_.ports_file.string();
      return false;
    }
  }

  // 5. Kafka
  KafkaSourceOptions ko;
  ko.group_id = settings_.kafka.group_id;
  ko.topics = settings_.kafka.topics;
  ko.properties = settings_.kafka.properties;
  ko.default_encoding = default_encoding(settings_.kafka.decoder);
  ko.dead_letter_topic = settings_.kafka.dead_letter_topic.value_or("");
  ko.max_message_bytes = size_t(settings_.limits.max_message_bytes);
  ko.max_detections_per_event = size_t(settings_.limits.max_detections_per_event);
  ko.commit_interval = std::chrono::milliseconds(settings_.kafka.commit_interval_ms);
  if (settings_.kafka.embedded) {
    embedded_ = EmbeddedKafka::Create(settings_.kafka.topics, 3, 1, error);
    if (!embedded_) return false;
    register_stop("embedded Kafka", [this] { embedded_.reset(); });
    ko.bootstrap_servers = embedded_->bootstrap_servers();
    // A fresh in-memory cluster: read it from the beginning (the mock cannot seek by time).
    ko.rebuild_horizon_ms = 0;
    ko.properties.emplace("auto.offset.reset", "earliest");
    ko.check_broker_compatibility = false;
    spdlog::info("predwatchd: embedded Kafka (librdkafka mock cluster) at {}",
                 embedded_->bootstrap_servers());
  } else {
    ko.bootstrap_servers = settings_.kafka.brokers;
    ko.rebuild_horizon_ms = settings_.kafka.rebuild ? rebuild_horizon_ms(settings_) : 0;
  }
  sink_ = std::make_unique<TimedSink>(*engine_, *metrics_);
  source_ = KafkaSource::Create(std::move(ko), *sink_, error);
  if (!source_) return false;
  source_view_ = source_.get();
  source_->start();
  register_stop("Kafka source", [this] {
    source_->stop();  // finishes the message in hand, commits, leaves the group
    source_view_ = nullptr;
    const KafkaSourceCounters c = source_->counters();
    spdlog::info("kafka: consumed {} messages, applied {}, {} commits ({} failed)", c.messages,
                 c.applied, c.commits, c.commit_errors);
    source_.reset();
  });

  // 6. evaluation loop
  eval_thread_ = std::thread([this] { evaluation_loop(); });
  register_stop("evaluation loop", [this] {
    {
      std::lock_guard lock(mu_);
      eval_stop_ = true;
    }
    cv_.notify_all();
    if (eval_thread_.joinable()) eval_thread_.join();
  });

  // 7. demo generator and view
  if (options_.demo) {
    const DemoOptions& d = options_.demo_options;
    std::vector<core::Episode> episodes;
    for (auto& s : demo_schedule(wall_ms(), d.timing)) {
      episodes.push_back(s.episode);
      if (alert_log_) {
        std::string side;
        for (const std::string& k : s.side_effects) {
          side += (side.empty() ? "" : ",") + AlertLog::quote(k);
        }
        alert_log_->write_line(fmt::format(
            "{{\"type\":\"episode\",\"label\":{},\"start_ms\":{},\"end_ms\":{},"
            "\"expected_kind\":{},\"expected_subject\":{},\"side_effects\":[{}]}}",
            AlertLog::quote(s.episode.label), s.episode.start_ms, s.episode.end_ms,
            AlertLog::quote(s.expected_kind), AlertLog::quote(s.expected_subject), side));
      }
    }
    DemoProducerOptions po;
    po.bootstrap_servers = embedded_ ? embedded_->bootstrap_servers() : settings_.kafka.brokers;
    po.topic = settings_.kafka.topics.front();
    po.stream = d.stream;
    po.frames_per_second = d.frames_per_second;
    po.seed = d.seed;
    producer_ = DemoProducer::Create(po, demo_pool_, episodes, error);
    if (!producer_) return false;
    producer_->start();
    register_stop("demo generator", [this] { producer_.reset(); });
    for (const core::Episode& e : episodes) {
      spdlog::info("demo: episode '{}' from +{}s to +{}s", e.label,
                   (e.start_ms - episodes.front().start_ms + d.timing.warmup.count()) / 1000,
                   (e.end_ms - episodes.front().start_ms + d.timing.warmup.count()) / 1000);
    }
    const std::string where = fmt::format(
        "/metrics: http://{}:{}/metrics   gRPC: {}:{}   (Ctrl-C stops)\n",
        settings_.metrics.bind.substr(0, settings_.metrics.bind.rfind(':')), metrics_->port(),
        settings_.grpc.bind.substr(0, settings_.grpc.bind.rfind(':')), grpc_->port());
    std::fputs(where.c_str(), stdout);
    std::fflush(stdout);
    if (d.view) {
      TerminalViewOptions vo;
      vo.stream = d.stream;
      vo.header = where;
      vo.ansi = isatty(STDOUT_FILENO) != 0;
      DemoProducer* producer = producer_.get();
      vo.episode = [producer] { return producer->episode_at(wall_ms()); };
      view_ = std::make_unique<TerminalView>(*engine_, std::move(vo));
      view_->start();
      register_stop("terminal view", [this] { view_.reset(); });
    }
  }
  spdlog::info("predwatchd: started; waiting for the window rebuild before reporting ready");
  return true;
}

void Application::evaluation_loop() {
  const auto interval = settings_.drift.evaluation_interval;
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, interval, [this] { return eval_stop_; })) {
    lock.unlock();
    const auto t0 = std::chrono::steady_clock::now();
    const EvaluationSummary s = engine_->evaluate(wall_ms());
    const auto d = std::chrono::steady_clock::now() - t0;
    if (metrics_) metrics_->observe_evaluation(d);
    spdlog::debug("evaluation: {} streams, {} reports, {} alert transitions in {:.1f} ms",
                  s.streams, s.reports, s.transitions,
                  std::chrono::duration<double, std::milli>(d).count());
    lock.lock();
  }
}

void Application::supervise() {
  const auto started = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait_for(lock, std::chrono::milliseconds(200),
                 [this] { return stop_requested_ || reload_requested_; });
    if (stop_requested_) {
      spdlog::info("predwatchd: stop requested");
      return;
    }
    if (reload_requested_) {
      reload_requested_ = false;
      lock.unlock();
      reload();
      lock.lock();
      continue;
    }
    lock.unlock();
    if (auto fatal = source_->fatal_error()) {
      spdlog::error("predwatchd: Kafka source failed: {}", *fatal);
      exit_code_ = 1;
      lock.lock();
      return;
    }
    const bool ready = source_->rebuild_progress().complete;
    if (ready != ready_) {
      ready_ = ready;
      grpc_->set_ready(ready);
      metrics_->set_ready(ready);
      spdlog::info(ready ? "predwatchd: ready (windows rebuilt), health SERVING"
                         : "predwatchd: rebuilding windows after a rebalance, health NOT_SERVING");
    }
    if (options_.duration.count() > 0 &&
        std::chrono::steady_clock::now() - started >= options_.duration) {
      spdlog::info("predwatchd: --duration reached");
      lock.lock();
      return;
    }
    lock.lock();
  }
}

void Application::reload() {
  if (options_.demo || options_.config_file.empty()) {
    spdlog::warn("reload: no configuration file (demo mode); nothing to reload");
    return;
  }
  config::LoadResult r = config::load_config_file(options_.config_file);
  if (!r.ok()) {
    spdlog::error("reload: {} is invalid; keeping the running configuration:\n{}",
                  options_.config_file.string(), r.error_text());
    return;
  }
  config::Settings next = *r.settings;
  if (options_.metrics_bind) next.metrics.bind = *options_.metrics_bind;
  if (options_.grpc_bind) next.grpc.bind = *options_.grpc_bind;
  std::string error;
  auto engine_config = make_engine_config(next, error);
  if (!engine_config) {
    spdlog::error("reload: {}; keeping the running configuration", error);
    return;
  }
  // What needs a restart keeps its running value.
  auto keep = [&](const char* name, auto& now, const auto& running) {
    if (!(now == running)) {
      spdlog::warn("reload: '{}' changed; this takes a restart, keeping the running value", name);
      now = running;
    }
  };
  keep("kafka", next.kafka, settings_.kafka);
  keep("windows", next.windows, settings_.windows);
  keep("statistics", next.statistics, settings_.statistics);
  keep("metrics", next.metrics, settings_.metrics);
  keep("grpc", next.grpc, settings_.grpc);
  keep("limits", next.limits, settings_.limits);
  keep("streams.max_streams", next.streams.max_streams, settings_.streams.max_streams);
  keep("drift.evaluation_interval", next.drift.evaluation_interval,
       settings_.drift.evaluation_interval);
  // Rebuild from the kept values so the engine options match what runs.
  engine_config = make_engine_config(next, error);
  if (!engine_config) {
    spdlog::error("reload: {}; keeping the running configuration", error);
    return;
  }
  EngineOptions options = engine_config->options;
  engine_->reconfigure(std::move(options));
  size_t baselines = 0;
  for (const auto& [stream, baseline] : engine_config->entry_baselines) {
    // Only streams that exist: set_baseline would otherwise create them off-partition.
    const auto names = engine_->stream_names();
    if (std::find(names.begin(), names.end(), stream) == names.end()) continue;
    if (std::string err = engine_->set_baseline(stream, *baseline); !err.empty()) {
      spdlog::error("reload: baseline of stream {}: {}", stream, err);
    } else {
      ++baselines;
    }
  }
  if (next.logging.level != settings_.logging.level) set_log_level(next.logging.level);
  settings_ = next;
  spdlog::info(
      "reload: applied {} (thresholds, alerting, streams; {} baselines replaced); "
      "effective configuration:\n{}",
      options_.config_file.string(), baselines, config::render_yaml(settings_, true));
}

void Application::stop_all() {
  if (stops_.empty()) return;
  // A stuck component must not keep the process from exiting.
  std::thread([] {
    std::this_thread::sleep_for(kShutdownBound);
    spdlog::error("predwatchd: shutdown took longer than {} s; exiting", kShutdownBound.count());
    std::fflush(nullptr);
    _exit(1);
  }).detach();
  while (!stops_.empty()) {
    auto [name, stop] = std::move(stops_.back());
    stops_.pop_back();
    spdlog::info("predwatchd: stopping {}", name);
    stop();
  }
}

}  // namespace predwatch::daemon
