// How `predwatch` subcommands plug into the one CLI binary.
//
// Each command family lives in daemon/cli/<family>_command.cc and defines one
// `add_<family>_commands(CLI::App&, CommandResult&)` function, declared here and called from
// daemon/predwatch_main.cc. A command's callback stores its exit code in the CommandResult
// (0 success, 1 a failure it reported, 2 a usage error) instead of calling exit(), so that
// destructors run and tests can drive commands in-process.
//
// Conventions every command keeps: human-readable output on stdout by default (aligned
// tables, terminal heatmaps), `--json` for scripts (one JSON document, or one JSON object per
// line for streams of records), errors on stderr naming the place and the problem, progress
// on stderr only when it is a terminal.
#pragma once

#include <CLI/CLI.hpp>

namespace predwatch::daemon {

struct CommandResult {
  int exit_code = 0;
};

void add_dataset_commands(CLI::App& app, CommandResult& result);  // dataset report
void add_baseline_commands(CLI::App& app,
                           CommandResult& result);  // baseline build|show|pull|push|snapshot
void add_replay_commands(CLI::App& app, CommandResult& result);  // replay
void add_client_commands(CLI::App& app,
                         CommandResult& result);  // streams|stats|drift|alerts|exemplars|health
void add_generate_commands(CLI::App& app, CommandResult& result);     // generate
void add_check_event_commands(CLI::App& app, CommandResult& result);  // check-event

// The `baseline` subcommand group (created on first call, then the same object): every file
// that adds `baseline <verb>` commands (build/show here, pull/push/snapshot in the gRPC client
// commands) attaches them to this group, whatever the order of the add_* calls.
CLI::App& baseline_group(CLI::App& app);

}  // namespace predwatch::daemon
