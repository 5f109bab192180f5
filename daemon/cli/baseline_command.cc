#include "daemon/cli/command.h"

namespace predwatch::daemon {

// Placeholder until the baseline commands land; registers nothing.
void add_baseline_commands(CLI::App&, CommandResult&) {}

}  // namespace predwatch::daemon
