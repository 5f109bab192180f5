#include "daemon/predwatchd/daemon_command_line.h"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "config/duration.h"
#include "config/loader.h"

namespace predwatch::daemon {
namespace {

// A CLI11 validator-transform for config-syntax durations.
bool parse_ms(const std::string& text, std::chrono::milliseconds& out, const char* flag) {
  auto d = config::parse_duration(text);
  if (!d || d->count() <= 0) {
    std::fprintf(stderr, "predwatchd: %s: '%s' is not a positive duration (e.g. 10s, 1m)\n", flag,
                 text.c_str());
    return false;
  }
  out = *d;
  return true;
}

}  // namespace

DaemonCommand parse_daemon_command_line(int argc, char** argv) {
  DaemonCommand cmd;
  ApplicationOptions& o = cmd.options;
  CLI::App app{
      "predwatchd: streaming statistics and drift of object-detection predictions.\n"
      "Consumes prediction events from Kafka, keeps sliding-window statistics per stream,\n"
      "compares them with baselines and serves Prometheus metrics and a gRPC API."};
  app.set_version_flag("--version", std::string("predwatchd ") + PREDWATCH_VERSION);

  std::string config_file, validate_file, alerts_log, ports_file, metrics_bind, grpc_bind, web_bind;
  bool print_default = false, demo = false, no_view = false;
  double duration_s = 0;
  std::string window, pane, eval_interval, warmup, episode, gap;
  DemoOptions d;
  std::string data;

  app.add_option("-c,--config", config_file, "Configuration file (YAML, docs/CONFIG.md)");
  CLI::Option* validate =
      app.add_option("--validate-config", validate_file,
                     "Check a configuration file (default: --config) and exit: prints \"ok\" "
                     "or every error as file:line:column; exit 0 when valid, else 1")
          ->expected(0, 1);
  app.add_flag("--print-default-config", print_default,
               "Print the default configuration as YAML and exit");
  app.add_flag("--demo", demo,
               "Run the self-contained demo: embedded Kafka, generated COCO traffic with drift "
               "episodes, live terminal view");
  app.add_option("--alerts-log", alerts_log,
                 "Append alert transitions to FILE (JSON Lines; SIGHUP reopens it)");
  app.add_option("--ports-file", ports_file,
                 "Write the /metrics, gRPC and web ports to FILE once listening");
  app.add_option("--metrics-bind", metrics_bind, "Override metrics.bind (host:port)");
  app.add_option("--grpc-bind", grpc_bind, "Override grpc.bind (host:port)");
  app.add_option("--web-bind", web_bind, "Override web.bind (host:port) of the web view");
  app.add_option("--duration", duration_s, "Stop by itself after SECONDS (0 = run until a signal)")
      ->check(CLI::NonNegativeNumber);
  auto* g = app.add_option_group("demo", "Demo options (with --demo)");
  g->add_option("--data", data,
                "COCO instances file (or folder) of the demo frames and baseline "
                "(default: tests/data/coco_val2017 near the executable)");
  g->add_option("--rate", d.frames_per_second, "Frames per second produced (default 200)")
      ->check(CLI::PositiveNumber);
  g->add_option("--window", window, "Window length (default 60s)");
  g->add_option("--pane", pane, "Window pane (default 5s)");
  g->add_option("--eval-interval", eval_interval, "Drift evaluation interval (default 2s)");
  g->add_option("--warmup", warmup, "Quiet time before the first episode (default 30s)");
  g->add_option("--episode", episode,
                "Length of each drift episode (default 75s; longer than --window, so a vanished "
                "class empties it)");
  g->add_option("--gap", gap, "Quiet time after each episode (default 75s)");
  g->add_option("--seed", d.seed, "Generator seed (default 1)");
  g->add_flag("--no-view", no_view, "No live view (log lines only)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    cmd.exit_code = app.exit(e);
    return cmd;
  }

  if (print_default) {
    std::fputs(config::render_yaml(config::Settings{}, false).c_str(), stdout);
    return cmd;
  }
  if (validate->count() > 0) {
    const std::string file = validate_file.empty() ? config_file : validate_file;
    if (file.empty()) {
      std::fprintf(stderr, "predwatchd: --validate-config needs a FILE (or --config FILE)\n");
      cmd.exit_code = 2;
      return cmd;
    }
    config::LoadResult r = config::load_config_file(file);
    if (r.ok()) {
      std::puts("ok");
      cmd.exit_code = 0;
    } else {
      std::fputs(r.error_text().c_str(), stderr);
      if (!r.error_text().empty() && r.error_text().back() != '\n') std::fputc('\n', stderr);
      cmd.exit_code = 1;
    }
    return cmd;
  }
  if (demo == !config_file.empty()) {
    std::fprintf(stderr, "predwatchd: give either --config FILE or --demo (see --help)\n");
    cmd.exit_code = 2;
    return cmd;
  }
  o.config_file = config_file;
  o.alerts_log = alerts_log;
  o.ports_file = ports_file;
  if (!metrics_bind.empty()) o.metrics_bind = metrics_bind;
  if (!grpc_bind.empty()) o.grpc_bind = grpc_bind;
  if (!web_bind.empty()) o.web_bind = web_bind;
  o.duration = std::chrono::milliseconds(static_cast<int64_t>(duration_s * 1000));
  d.data = data;
  d.view = !no_view;
  if ((!window.empty() && !parse_ms(window, d.window, "--window")) ||
      (!pane.empty() && !parse_ms(pane, d.pane, "--pane")) ||
      (!eval_interval.empty() &&
       !parse_ms(eval_interval, d.evaluation_interval, "--eval-interval")) ||
      (!warmup.empty() && !parse_ms(warmup, d.timing.warmup, "--warmup")) ||
      (!episode.empty() && !parse_ms(episode, d.timing.episode, "--episode")) ||
      (!gap.empty() && !parse_ms(gap, d.timing.gap, "--gap"))) {
    cmd.exit_code = 2;
    return cmd;
  }
  if (d.window.count() % d.pane.count() != 0) {
    std::fprintf(stderr, "predwatchd: --window must be a multiple of --pane\n");
    cmd.exit_code = 2;
    return cmd;
  }
  if (demo) cmd.demo = d;
  cmd.run = true;
  return cmd;
}

}  // namespace predwatch::daemon
