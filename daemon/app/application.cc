#include "daemon/app/application.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "config/loader.h"
#include "daemon/api/grpc_server.h"
#include "daemon/app/alert_log.h"
#include "daemon/app/engine_config.h"
#include "daemon/app/logging.h"
#include "daemon/app/memory_budget.h"
#include "daemon/app/secret_ref.h"
#include "daemon/common/clock.h"
#include "daemon/engine/event_time_evaluator.h"
#include "daemon/engine/monitor_engine.h"
#include "daemon/ingest/embedded_kafka.h"
#include "daemon/ingest/kafka_source.h"
#include "daemon/metrics/metrics_exporter.h"
#include "daemon/web/web_server.h"

namespace predwatch::daemon {
namespace {

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

// The tokens grpc.auth names, read now (at start and on reload); nullopt with `error`.
std::optional<ApiAuthOptions> api_auth(const config::GrpcAuthSettings& a, std::string& error) {
  std::string warning;
  auto write_token = read_token(a.token_file, a.token_env, error, warning);
  if (!write_token) {
    error = "grpc.auth: write token: " + error;
    return std::nullopt;
  }
  if (!warning.empty()) spdlog::warn("grpc.auth: {}", warning);
  warning.clear();
  auto read = read_token(a.read_token_file, a.read_token_env, error, warning);
  if (!read) {
    error = "grpc.auth: read token: " + error;
    return std::nullopt;
  }
  if (!warning.empty()) spdlog::warn("grpc.auth: {}", warning);
  if (!read->empty() && *read == *write_token) {
    error = "grpc.auth: the read token equals the write token; give readers their own";
    return std::nullopt;
  }
  ApiAuthOptions o;
  o.write_token = std::move(*write_token);
  o.read_token = std::move(*read);
  o.allow_unauthenticated_writes = a.allow_unauthenticated_mutations;
  return o;
}

// librdkafka properties with their secret references resolved (a missing variable or file
// fails, naming the entry).
bool resolve_properties(const std::map<std::string, std::string>& in, const std::string& path,
                        std::map<std::string, std::string>& out, std::string& error) {
  for (const auto& [key, value] : in) {
    std::optional<std::string> v = resolve_secret_value(value, error);
    if (!v) {
      error = path + "[\"" + key + "\"]: " + error;
      return false;
    }
    out[key] = std::move(*v);
  }
  return true;
}

Encoding default_encoding(config::Decoder d) {
  return d == config::Decoder::kProtobuf ? Encoding::kProtobuf : Encoding::kJson;
}

}  // namespace

// The Kafka source's sink: the engine, with each event's apply time observed for
// predwatch_apply_duration_seconds.
class Application::TimedSink final : public EventSink {
 public:
  TimedSink(EventSink& engine, MetricsExporter& metrics) : engine_(engine), metrics_(metrics) {}
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
  void on_partition_rebuilt(const TopicPartition& partition) override {
    engine_.on_partition_rebuilt(partition);
  }

 private:
  EventSink& engine_;
  MetricsExporter& metrics_;
};

Application::Application(ApplicationOptions options) : options_(std::move(options)) {
  if (options_.clock == nullptr) own_clock_ = std::make_unique<SystemClock>();
  clock_ = options_.clock ? options_.clock : own_clock_.get();
}

Application::~Application() { stop(); }

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

bool Application::load_settings(std::string& error) {
  if (options_.settings) {
    settings_ = *options_.settings;
  } else {
    config::LoadResult r = config::load_config_file(options_.config_file);
    if (!r.ok()) {
      error = r.error_text();
      if (!error.empty() && error.back() != '\n') error += '\n';
      error += "predwatchd: invalid configuration, not starting";
      return false;
    }
    settings_ = *r.settings;
  }
  if (options_.metrics_bind) settings_.metrics.bind = *options_.metrics_bind;
  if (options_.grpc_bind) settings_.grpc.bind = *options_.grpc_bind;
  if (options_.web_bind) settings_.web.bind = *options_.web_bind;
  return true;
}

int Application::run() {
  std::string error;
  if (!start(error)) {
    if (logging_configured_) {
      spdlog::error("predwatchd: cannot start: {}", error);
    } else {  // the configuration itself is wrong: plain text on stderr
      std::fprintf(stderr, "%s\n", error.c_str());
    }
    stop();
    return 1;
  }
  const int code = wait();
  stop();
  spdlog::info("predwatchd: stopped");
  return code;
}

std::string Application::kafka_bootstrap_servers() const {
  return embedded_ ? embedded_->bootstrap_servers() : settings_.kafka.brokers;
}

int Application::metrics_port() const { return metrics_->port(); }

int Application::grpc_port() const { return grpc_->port(); }

int Application::web_port() const { return web_ ? web_->port() : 0; }

bool Application::start(std::string& error) {
  // Settings first: nothing starts on an invalid configuration.
  if (!load_settings(error)) return false;
  // 1. logging
  configure_logging(settings_.logging);
  logging_configured_ = true;
  spdlog::info("predwatchd {} starting ({}), effective configuration:\n{}", PREDWATCH_VERSION,
               options_.settings ? "settings in memory" : options_.config_file.string(),
               config::render_yaml(settings_, /*mask_secrets=*/true));
  auto engine_config = make_engine_config(settings_, error);
  if (!engine_config) return false;
  if (settings_.streams.max_memory == config::StreamsSettings::kAutoMemoryBudget) {
    const UsableMemory usable = usable_memory();
    if (usable.bytes == 0) {
      spdlog::warn("streams.max_memory auto: the usable memory could not be read; no budget");
    } else {
      spdlog::info(
          "streams.max_memory auto: {:.1f} MiB for the streams' state ({:.0f}% of the "
          "{:.1f} MiB of {})",
          double(engine_config->options.max_state_bytes) / 1048576.0, 100 * kAutoMemoryShare,
          double(usable.bytes) / 1048576.0, usable.source);
    }
  }
  engine_ = std::make_unique<MonitorEngine>(std::move(engine_config->options));
  register_stop("engine", [this] { engine_.reset(); });
  if (!options_.alerts_log.empty()) {
    alert_log_ = AlertLog::Open(options_.alerts_log, *engine_, error);
    if (!alert_log_) return false;
    register_stop("alert log", [this] { alert_log_.reset(); });
  }

  // 3. metrics
  const MetricsOptions mo = metrics_options(settings_);
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
    if (readable_by_everyone(settings_.grpc.tls->key)) {
      spdlog::warn("grpc.tls.key: {} is readable by every user (chmod 0400 or 0440)",
                   settings_.grpc.tls->key);
    }
    if (settings_.grpc.tls->client_ca) {
      tls.client_ca_pem = read_file(*settings_.grpc.tls->client_ca, error);
      if (!error.empty()) return false;
    }
    go.tls = std::move(tls);
  }
  if (auto auth = api_auth(settings_.grpc.auth, error)) {
    go.auth = std::move(*auth);
  } else {
    return false;
  }
  go.health_bind = settings_.grpc.health_bind.value_or("");
  if (!settings_.grpc.peers.empty()) {
    PeerRouterOptions po;
    po.peers = settings_.grpc.peers;
    po.timeout = settings_.grpc.peer_timeout;
    po.max_message_bytes = go.max_message_bytes;
    if (go.tls) {
      // Peers are verified against the client CA (else the shared certificate itself) and
      // shown this replica's certificate, which mTLS peers require.
      grpc::SslCredentialsOptions so;
      so.pem_root_certs = go.tls->client_ca_pem.empty() ? go.tls->cert_pem : go.tls->client_ca_pem;
      so.pem_cert_chain = go.tls->cert_pem;
      so.pem_private_key = go.tls->key_pem;
      po.channel_credentials = grpc::SslCredentials(so);
      po.tls_target_name = settings_.grpc.peer_tls_name.value_or("");
    }
    po.on_failure = [this](const std::string& address, const std::string& reason,
                           const std::string& detail) {
      if (metrics_) metrics_->count_peer_failure(address, reason);
      const auto now = std::chrono::steady_clock::now();
      if (auto note = log_throttle_.admit("peer/" + address + "/" + reason, now)) {
        spdlog::warn("grpc: peer replica {} did not answer a forwarded call ({}: {}){}", address,
                     reason, detail, *note);
      }
    };
    go.router = std::make_shared<PeerRouter>(std::move(po));
    spdlog::info("predwatchd: replica {} answers with its peers {}", go.router->id(),
                 fmt::join(settings_.grpc.peers, ", "));
  }
  go.on_auth_failure = [this](const std::string& rpc, const std::string& reason,
                              const std::string& peer) {
    if (metrics_) metrics_->count_auth_failure(rpc, reason);
    // Who called, for the investigation the alert asks for; at most one line per
    // (rpc, reason) a minute, so a flood of refusals cannot flood the log.
    const auto now = std::chrono::steady_clock::now();
    if (auto note = log_throttle_.admit("auth/" + rpc + "/" + reason, now)) {
      spdlog::warn("grpc: {} from {} refused ({}){}", rpc, peer, reason, *note);
    }
  };
  grpc_ = GrpcServer::Start(*engine_, go, error);
  if (!grpc_) return false;
  spdlog::info("predwatchd: {}", grpc_->auth_description());
  if (grpc_->health_port() != 0) {
    spdlog::info("predwatchd: plaintext health service (only) on port {}", grpc_->health_port());
  }
  if (!is_loopback_bind(go.bind) && !go.tls &&
      (!go.auth.write_token.empty() || !go.auth.read_token.empty())) {
    spdlog::warn(
        "grpc: tokens travel in plaintext to {}: configure grpc.tls (docs/SECURITY.md) unless "
        "the network is private",
        go.bind);
  }
  grpc_->set_ready(false);
  register_stop("gRPC server", [this] {
    grpc_->set_ready(false);
    grpc_->shutdown(std::chrono::seconds(3));
    grpc_.reset();
  });
  if (settings_.web.enabled) {
    WebServerOptions wo;
    wo.bind = settings_.web.bind;
    wo.auth = go.auth;  // the gRPC API's tokens: the web API reads what gRPC readers may
    wo.on_auth_failure = go.on_auth_failure;
    wo.router = go.router;
    web_ = WebServer::Start(*engine_, wo, error);
    if (!web_) return false;
    register_stop("web view", [this] { web_.reset(); });
  }
  spdlog::info("predwatchd: /metrics on port {}, gRPC on port {}{}", metrics_->port(),
               grpc_->port(), web_ ? ", web view on port " + std::to_string(web_->port()) : "");
  if (!options_.ports_file.empty()) {
    std::ofstream pf(options_.ports_file, std::ios::trunc);
    pf << "metrics=" << metrics_->port() << "\ngrpc=" << grpc_->port() << "\n";
    if (web_) pf << "web=" << web_->port() << "\n";
    if (grpc_->health_port() != 0) pf << "health=" << grpc_->health_port() << "\n";
    if (!pf) {
      error = "cannot write " + options_.ports_file.string();
      return false;
    }
  }

  // 5. Kafka
  KafkaSourceOptions ko;
  ko.group_id = settings_.kafka.group_id;
  ko.topics = settings_.kafka.topics;
  if (!resolve_properties(settings_.kafka.properties, "kafka.properties", ko.properties, error) ||
      !resolve_properties(settings_.kafka.dead_letter_properties, "kafka.dead_letter_properties",
                          ko.dead_letter_properties, error)) {
    return false;
  }
  ko.default_encoding = default_encoding(settings_.kafka.decoder);
  for (size_t i = 0; i < settings_.kafka.mappings.size(); ++i) {
    std::optional<EventMapping> mapping = resolve_mapping(settings_.kafka.mappings[i], error);
    if (!mapping) {
      error = "kafka.mappings[" + std::to_string(i) + "]: " + error;
      return false;
    }
    ko.mappings.push_back(std::move(*mapping));
  }
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
    if (const std::string w = rebuild_horizon_warning(settings_); !w.empty()) spdlog::warn("{}", w);
  }
  // With the event clock, evaluations happen on the consumer thread at event-time ticks,
  // exactly as `predwatch replay` does; else the evaluation loop (6.) ticks on the clock.
  EventSink* engine_sink = engine_.get();
  if (settings_.drift.evaluation_clock == config::EvaluationClock::kEvent) {
    event_evaluator_ = std::make_unique<EventTimeEvaluator>(
        *engine_, settings_.drift.evaluation_interval.count(),
        [this](int64_t tick, const EvaluationSummary& s, std::chrono::steady_clock::duration d) {
          metrics_->observe_evaluation(d);
          spdlog::debug("evaluation at event time {}: {} streams, {} reports, {} transitions", tick,
                        s.streams, s.reports, s.transitions);
        });
    engine_sink = event_evaluator_.get();
  }
  sink_ = std::make_unique<TimedSink>(*engine_sink, *metrics_);
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
  // Stopped before the source, whose revocation at shutdown drops every stream's alerts: the
  // state directory keeps them as the last evaluation left them.
  register_stop("alert state", [this] { engine_->save_state(clock_->now_ms()); });

  // 6. evaluation loop (wall clock)
  if (event_evaluator_) {
    spdlog::info("predwatchd: drift evaluated at event-time ticks (drift.evaluation_clock: event)");
    spdlog::info("predwatchd: started; waiting for the window rebuild before reporting ready");
    return true;
  }
  eval_thread_ = std::thread([this] { evaluation_loop(); });
  register_stop("evaluation loop", [this] {
    {
      std::lock_guard lock(mu_);
      eval_stop_ = true;
    }
    cv_.notify_all();
    if (eval_thread_.joinable()) eval_thread_.join();
  });

  spdlog::info("predwatchd: started; waiting for the window rebuild before reporting ready");
  return true;
}

void Application::evaluation_loop() {
  const auto interval = settings_.drift.evaluation_interval;
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, interval, [this] { return eval_stop_; })) {
    lock.unlock();
    const auto t0 = std::chrono::steady_clock::now();
    const EvaluationSummary s = engine_->evaluate(clock_->now_ms());
    const auto d = std::chrono::steady_clock::now() - t0;
    if (metrics_) metrics_->observe_evaluation(d);
    spdlog::debug("evaluation: {} streams, {} reports, {} alert transitions in {:.1f} ms",
                  s.streams, s.reports, s.transitions,
                  std::chrono::duration<double, std::milli>(d).count());
    lock.lock();
  }
}

int Application::wait() {
  const auto started = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait_for(lock, std::chrono::milliseconds(200),
                 [this] { return stop_requested_ || reload_requested_; });
    if (stop_requested_) {
      spdlog::info("predwatchd: stop requested");
      return exit_code_;
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
      return exit_code_;
    }
    const bool ready = source_->rebuild_progress().complete;
    if (ready != ready_) {
      ready_ = ready;
      grpc_->set_ready(ready);
      metrics_->set_ready(ready);
      if (web_) web_->set_ready(ready);
      spdlog::info(ready ? "predwatchd: ready (windows rebuilt), health SERVING"
                         : "predwatchd: rebuilding windows after a rebalance, health NOT_SERVING");
    }
    if (options_.duration.count() > 0 &&
        std::chrono::steady_clock::now() - started >= options_.duration) {
      spdlog::info("predwatchd: --duration reached");
      lock.lock();
      return exit_code_;
    }
    lock.lock();
  }
}

void Application::reload() {
  if (alert_log_) {  // log rotation: a renamed log file is replaced by a new one
    if (std::string error; !alert_log_->reopen(error)) spdlog::error("reload: {}", error);
  }
  if (options_.settings || options_.config_file.empty()) {
    spdlog::warn("reload: no configuration file (settings given in memory); nothing to reload");
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
  if (options_.web_bind) next.web.bind = *options_.web_bind;
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
  keep("web", next.web, settings_.web);
  // grpc.auth applies on reload (token rotation without a restart, which would rebuild the
  // windows); the rest of grpc takes a restart. The tokens are re-read even when grpc.auth
  // is unchanged: their files or variables may hold new ones.
  {
    config::GrpcSettings grpc = next.grpc;
    grpc.auth = settings_.grpc.auth;
    keep("grpc (except grpc.auth)", grpc, settings_.grpc);
    grpc.auth = next.grpc.auth;
    next.grpc = grpc;
    if (auto auth = api_auth(next.grpc.auth, error)) {
      if (web_) web_->set_auth(*auth);
      grpc_->set_auth(std::move(*auth));
      spdlog::info("reload: gRPC tokens re-read; {}", grpc_->auth_description());
    } else {
      spdlog::error("reload: {}; keeping the running tokens", error);
      next.grpc.auth = settings_.grpc.auth;
    }
  }
  keep("limits", next.limits, settings_.limits);
  keep("streams.max_streams", next.streams.max_streams, settings_.streams.max_streams);
  keep("drift.evaluation_interval", next.drift.evaluation_interval,
       settings_.drift.evaluation_interval);
  keep("drift.evaluation_clock", next.drift.evaluation_clock, settings_.drift.evaluation_clock);
  // The learners and their store stay; only reference.kinds and reference.alpha take effect
  // on reload.
  {
    config::ReferenceSettings reference = next.reference;
    reference.kinds = settings_.reference.kinds;
    reference.alpha = settings_.reference.alpha;
    config::ReferenceSettings running = settings_.reference;
    keep("reference (except reference.kinds and reference.alpha)", reference, running);
    const auto kinds = next.reference.kinds;
    const double alpha = next.reference.alpha;
    next.reference = reference;
    next.reference.kinds = kinds;
    next.reference.alpha = alpha;
  }
  // Rebuild from the kept values so the engine options match what runs.
  engine_config = make_engine_config(next, error);
  if (!engine_config) {
    spdlog::error("reload: {}; keeping the running configuration", error);
    return;
  }
  EngineOptions options = engine_config->options;
  engine_->reconfigure(std::move(options));
  if (metrics_) metrics_->set_stream_labels(stream_labels(next));
  // Configured baselines replace those of existing streams, except baselines installed over
  // gRPC (they were chosen later; `predwatch baseline revert` goes back to the configured one).
  size_t baselines = 0;
  for (const auto& [stream, baseline] : engine_config->entry_baselines) {
    std::string err;
    if (engine_->apply_configured_baseline(stream, baseline, err)) {
      ++baselines;
    } else if (!err.empty()) {
      spdlog::error("reload: baseline of stream {}: {}", stream, err);
    }
  }
  if (next.logging.level != settings_.logging.level) set_log_level(next.logging.level);
  settings_ = next;
  spdlog::info(
      "reload: applied {} (thresholds, alerting, streams; {} baselines replaced); "
      "effective configuration:\n{}",
      options_.config_file.string(), baselines, config::render_yaml(settings_, true));
}

void Application::stop() {
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
