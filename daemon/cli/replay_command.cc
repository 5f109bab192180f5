#include <iostream>
#include <memory>

#include "daemon/cli/command.h"
#include "daemon/cli/replay.h"

namespace predwatch::daemon {

void add_replay_commands(CLI::App& app, CommandResult& result) {
  auto options = std::make_shared<ReplayOptions>();
  CLI::App* cmd = app.add_subcommand(
      "replay",
      "Replay recorded prediction events through the daemon's engine (same config, windows, "
      "baselines and drift evaluation, at event-time ticks) and print the alert timeline");
  cmd->add_option("events", options->events,
                  "JSON-lines file of PredictionEvents, or a COCO results file with --ground-truth")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--baseline", options->baseline,
                  "Baseline file (predwatch baseline build) for every stream, replacing the "
                  "configured ones")
      ->check(CLI::ExistingFile);
  cmd->add_option("--config", options->config,
                  "predwatch YAML configuration (windows, drift, alerting)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--ground-truth", options->ground_truth,
                  "COCO instances file: EVENTS is a COCO results file")
      ->check(CLI::ExistingFile);
  cmd->add_option("--fps", options->fps, "Synthetic frame rate for events without a timestamp")
      ->default_val(10.0);
  cmd->add_option("--topic", options->topic,
                  "Decode lines as predwatchd decodes this Kafka topic: with its event mapping "
                  "(kafka.mappings in --config) when it has one");
  cmd->add_option("--stream", options->stream, "Stream name for events that carry none")
      ->default_val("replay");
  cmd->add_option("--scores", options->scores,
                  "Write every evaluation's scores (time, stream, window, kind, subject, score, "
                  "threshold, p-value, counts, flagged) to FILE as JSON lines, for tuning");
  cmd->add_flag("--json", options->json, "One JSON object per alert transition and line");
  cmd->callback(
      [options, &result] { result.exit_code = run_replay(*options, std::cout, std::cerr); });
}

}  // namespace predwatch::daemon
