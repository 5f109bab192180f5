#include "daemon/cli/command.h"

namespace predwatch::daemon {

// Placeholder until the generate commands land; registers nothing.
void add_generate_commands(CLI::App&, CommandResult&) {}

}  // namespace predwatch::daemon
