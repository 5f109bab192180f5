// predwatch: the command-line tool (datasets, baselines, replay, and a client of predwatchd).
#include <CLI/CLI.hpp>

#include "daemon/cli/command.h"

int main(int argc, char** argv) {
  using namespace predwatch::daemon;
  CLI::App app{"predwatch: statistics and drift of computer-vision predictions"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("predwatch ") + PREDWATCH_VERSION);
  CommandResult result;
  add_dataset_commands(app, result);
  add_baseline_commands(app, result);
  add_replay_commands(app, result);
  add_client_commands(app, result);
  add_generate_commands(app, result);
  CLI11_PARSE(app, argc, argv);
  return result.exit_code;
}
