// Process-wide logging (spdlog's default logger) as `logging:` configures it: level, and
// text (human-readable lines) or json (one object per line: time, level, logger, msg).
// Logs go to stderr. Call configure_logging before other threads log; set_log_level may
// be called at any time (SIGHUP reload).
#pragma once

#include "config/settings.h"

namespace predwatch::daemon {

void configure_logging(const config::LoggingSettings& settings);
void set_log_level(config::LogLevel level);

}  // namespace predwatch::daemon
