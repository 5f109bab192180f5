#include "daemon/cli/command.h"

namespace predwatch::daemon {

// Placeholder until the client commands land; registers nothing.
void add_client_commands(CLI::App&, CommandResult&) {}

}  // namespace predwatch::daemon
