// The predwatchd command line:
//   predwatchd --config FILE [--alerts-log F] [--ports-file F] [--metrics-bind H:P]
//              [--grpc-bind H:P] [--web-bind H:P] [--duration SECONDS]
//   predwatchd --validate-config FILE   errors as file:line:col (stderr) or "ok"; exit 0/1
//   predwatchd --print-default-config   the default configuration as YAML
//   predwatchd --demo [--data PATH] [--rate FPS] [--window D] [--pane D] [--eval-interval D]
//              [--warmup D] [--episode D] [--gap D] [--seed N] [--no-view] [--duration S]
// Durations (D) use the config syntax (10s, 1m30s). The one-shot actions (validate, print,
// help, usage errors) are carried out by parse_daemon_command_line itself.
#pragma once

#include <optional>

#include "daemon/app/application.h"
#include "daemon/demo/demo_application.h"

namespace predwatch::daemon {

struct DaemonCommand {
  bool run = false;   // true: start an Application with `options` (a DemoApplication with demo)
  int exit_code = 0;  // when !run: the process exit status
  ApplicationOptions options;
  std::optional<DemoOptions> demo;  // --demo
};

DaemonCommand parse_daemon_command_line(int argc, char** argv);

}  // namespace predwatch::daemon
