#include "daemon/demo/demo_application.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "daemon/app/alert_log.h"
#include "daemon/app/engine_config.h"
#include "daemon/common/clock.h"
#include "daemon/demo/demo_producer.h"
#include "daemon/demo/terminal_view.h"

namespace predwatch::daemon {
namespace {

std::string duration_name(std::chrono::milliseconds d) {
  const int64_t ms = d.count();
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string host_of(const std::string& bind) { return bind.substr(0, bind.rfind(':')); }

}  // namespace

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
  // The demo's frames are independent draws watched for a few minutes, so the repeated-look
  // confirmation (and its mirror, the calm streak before resolving) is off: each episode's
  // alert fires on its first flagged pass and resolves within the quiet gap that follows
  // (with 1/4 of the 60 s window as streak it resolved 17 s after the next episode began).
  s.alerting.confirm_share = 0;
  // An 8x8 heatmap: with 16x16 cells, the sampling noise of a demo window's car heatmap
  // alone sits near the JS threshold, and a spatial alert would not resolve once the shift
  // is over (calm needs score < 0.8 x threshold).
  s.statistics.heatmap_grid = 8;
  // The learned reference is the quiet warm-up (minus 2 s of margin, so no episode frame
  // gets into it), whatever the rate. The demo's baseline is the generator's own pool, so
  // the reference judges only what that baseline cannot: confidence (the other kinds would
  // repeat the baseline's verdicts against a smaller, noisier sample, and slow down the
  // resolution of every alert: calm needs every comparison calm).
  s.reference.kinds = {config::DriftKind::kConfidence};
  s.reference.frames = 0;
  s.reference.duration = demo.timing.warmup > std::chrono::seconds(4)
                             ? demo.timing.warmup - std::chrono::seconds(2)
                             : demo.timing.warmup;
  s.reference.min_frames = 100;
  s.metrics.bind = "127.0.0.1:9464";
  // One stream: every per-class drift score fits, so the dashboard's per-class panels show
  // all of them, not only the flagged ones (the fleet default, docs/METRICS.md).
  s.metrics.class_scores = config::ClassScores::kTested;
  s.grpc.bind = "127.0.0.1:50051";
  s.web.bind = "127.0.0.1:8088";
  return s;
}

DemoApplication::DemoApplication(ApplicationOptions app, DemoOptions demo)
    : app_options_(std::move(app)), demo_(std::move(demo)) {}

DemoApplication::~DemoApplication() {
  view_.reset();
  producer_.reset();
  if (app_) app_->stop();
  remove_files();
}

void DemoApplication::request_stop() {
  std::lock_guard lock(mu_);
  stop_requested_ = true;
  if (app_) app_->request_stop();
}

void DemoApplication::request_reload() {
  std::lock_guard lock(mu_);
  if (app_) app_->request_reload();
}

void DemoApplication::remove_files() {
  if (dir_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  dir_.clear();
}

bool DemoApplication::prepare(std::string& error) {
  config::Settings settings = demo_settings(demo_);
  const auto data = find_demo_data(demo_.data, error);
  if (data.empty()) return false;
  auto pool = load_pool(data, error);
  if (!pool) return false;
  pool_ = std::move(*pool);
  // The baseline goes through a file like any configured one, so the stream gets it back
  // whenever it is (re)created.
  auto baseline = build_demo_baseline(data, stats_layout(settings), error);
  if (!baseline) return false;
  std::string tmpl = (std::filesystem::temp_directory_path() / "predwatch-demo-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    error = "cannot create a temporary directory for the demo baseline";
    return false;
  }
  dir_ = tmpl;
  const auto file = dir_ / "demo-baseline.pb";
  if (std::string err = save_baseline(file, *baseline); !err.empty()) {
    error = err;
    return false;
  }
  settings.streams.entries.front().baseline = file.string();
  // The live view owns the terminal; only problems are logged (to stderr).
  if (demo_.view && isatty(STDOUT_FILENO)) settings.logging.level = config::LogLevel::kWarn;
  spdlog::info("demo: {} frames from {}; baseline of the same annotations in {}", pool_.size(),
               data.string(), file.string());
  app_options_.config_file.clear();
  app_options_.settings = std::move(settings);
  return true;
}

bool DemoApplication::start_demo(std::string& error) {
  Application& app = *app_;
  const int64_t now = SystemClock().now_ms();
  std::vector<core::Episode> episodes;
  for (auto& s : demo_schedule(now, demo_.timing)) {
    episodes.push_back(s.episode);
    if (AlertLog* log = app.alert_log()) {
      std::string side;
      for (const std::string& k : s.side_effects) {
        side += (side.empty() ? "" : ",") + AlertLog::quote(k);
      }
      log->write_line(
          fmt::format("{{\"type\":\"episode\",\"label\":{},\"start_ms\":{},\"end_ms\":{},"
                      "\"expected_kind\":{},\"expected_subject\":{},\"side_effects\":[{}]}}",
                      AlertLog::quote(s.episode.label), s.episode.start_ms, s.episode.end_ms,
                      AlertLog::quote(s.expected_kind), AlertLog::quote(s.expected_subject), side));
    }
  }
  DemoProducerOptions po;
  po.bootstrap_servers = app.kafka_bootstrap_servers();
  po.topic = app.settings().kafka.topics.front();
  po.stream = demo_.stream;
  po.frames_per_second = demo_.frames_per_second;
  po.seed = demo_.seed;
  producer_ = DemoProducer::Create(po, pool_, episodes, error);
  if (!producer_) return false;
  producer_->start();
  app.register_stop("demo generator", [this] { producer_.reset(); });
  for (const core::Episode& e : episodes) {
    spdlog::info("demo: episode '{}' from +{}s to +{}s", e.label,
                 (e.start_ms - episodes.front().start_ms + demo_.timing.warmup.count()) / 1000,
                 (e.end_ms - episodes.front().start_ms + demo_.timing.warmup.count()) / 1000);
  }
  std::string where = fmt::format("/metrics: http://{}:{}/metrics   gRPC: {}:{}   (Ctrl-C stops)\n",
                                  host_of(app.settings().metrics.bind), app.metrics_port(),
                                  host_of(app.settings().grpc.bind), app.grpc_port());
  if (app.web_port() > 0) {
    where = fmt::format("web view: http://{}:{}/#/stream/{}/window/{}\n",
                        host_of(app.settings().web.bind), app.web_port(), demo_.stream,
                        app.settings().windows.front().name) +
            where;
  }
  std::fputs(where.c_str(), stdout);
  std::fflush(stdout);
  if (demo_.view) {
    TerminalViewOptions vo;
    vo.stream = demo_.stream;
    vo.header = where;
    vo.ansi = isatty(STDOUT_FILENO) != 0;
    DemoProducer* producer = producer_.get();
    vo.episode = [producer] { return producer->episode_at(SystemClock().now_ms()); };
    view_ = std::make_unique<TerminalView>(app.engine(), std::move(vo));
    view_->start();
    app.register_stop("terminal view", [this] { view_.reset(); });
  }
  return true;
}

int DemoApplication::run() {
  std::string error;
  if (!prepare(error)) {
    std::fprintf(stderr, "predwatchd: cannot start the demo: %s\n", error.c_str());
    remove_files();
    return 1;
  }
  {
    std::lock_guard lock(mu_);
    app_ = std::make_unique<Application>(app_options_);
    if (stop_requested_) app_->request_stop();
  }
  if (!app_->start(error) || !start_demo(error)) {
    spdlog::error("predwatchd: cannot start: {}", error);
    app_->stop();
    remove_files();
    return 1;
  }
  const int code = app_->wait();
  app_->stop();
  remove_files();
  spdlog::info("predwatchd: stopped");
  return code;
}

}  // namespace predwatch::daemon
