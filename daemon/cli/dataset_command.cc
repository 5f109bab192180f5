#include "daemon/cli/command.h"

namespace predwatch::daemon {

// Placeholder until the dataset commands land; registers nothing.
void add_dataset_commands(CLI::App&, CommandResult&) {}

}  // namespace predwatch::daemon
