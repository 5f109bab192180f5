#include <iostream>
#include <memory>

#include "daemon/cli/check_event.h"
#include "daemon/cli/command.h"

namespace predwatch::daemon {

void add_check_event_commands(CLI::App& app, CommandResult& result) {
  auto options = std::make_shared<CheckEventOptions>();
  CLI::App* cmd = app.add_subcommand(
      "check-event",
      "Explain what predwatch makes of sample prediction events before a producer sends them: "
      "accepted or why not, the class each detection is counted under, what min_confidence "
      "leaves out, timestamps in the wrong unit, and every field that is ignored (with what "
      "it usually means). Exit 1 when an event would be rejected");
  cmd->add_option("events", options->events,
                  "JSON PredictionEvents, one per line, or one event over several lines; - "
                  "reads stdin")
      ->required();
  cmd->add_option("--config", options->config,
                  "predwatch YAML configuration (stream entries, class maps, min_confidence, "
                  "limits); default: the defaults")
      ->check(CLI::ExistingFile);
  cmd->add_option("--topic", options->topic,
                  "Decode as predwatchd decodes this Kafka topic: with its event mapping "
                  "(kafka.mappings in --config) when it has one");
  cmd->add_option("--limit", options->limit, "Events explained (the rest are only counted)")
      ->default_val(20)
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--json", options->json, "One JSON object per event and line");
  cmd->callback(
      [options, &result] { result.exit_code = run_check_event(*options, std::cout, std::cerr); });
}

}  // namespace predwatch::daemon
