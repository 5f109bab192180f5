// predwatch: the command-line tool (datasets, baselines, replay, and a client of predwatchd).
#include <CLI/CLI.hpp>
#include <iostream>

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
  add_check_event_commands(app, result);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2, as documented.
    return app.exit(e) == 0 ? 0 : 2;
  }
  // An answer that did not reach stdout (a closed pipe, a full disk) is a failure.
  std::cout.flush();
  if (!std::cout && result.exit_code == 0) {
    std::cerr << "predwatch: cannot write the answer to standard output\n";
    return 1;
  }
  return result.exit_code;
}
