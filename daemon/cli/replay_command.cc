#include "daemon/cli/command.h"

namespace predwatch::daemon {

// Placeholder until the replay commands land; registers nothing.
void add_replay_commands(CLI::App&, CommandResult&) {}

}  // namespace predwatch::daemon
