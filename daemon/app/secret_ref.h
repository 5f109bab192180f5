// Secrets predwatchd reads at start: the secret references of kafka.properties
// ("${env:NAME}", "${file:PATH}", config/loader.h) and the gRPC bearer tokens of grpc.auth.
//
// A secret is the variable's value or the file's content with one trailing newline ("\n" or
// "\r\n") removed. Error messages name the variable or the file and what is wrong, never the
// value, so they can be logged.
//
// Thread-safety: reentrant; reads the environment and the file system only.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace predwatch::daemon {

// `value` when it is not a secret reference; else the secret it names, or nullopt with
// `error` (an unset or empty variable, an unreadable or empty file).
std::optional<std::string> resolve_secret_value(std::string_view value, std::string& error);

// A bearer token from `file` or `env` (at most one is set; neither: returns ""). `what`
// names the setting in messages ("grpc.auth.token_file"). A token has at least
// kMinTokenLength characters, all printable ASCII without spaces; otherwise nullopt with
// `error`. `warning` is set when the file can be read by every user of the machine.
inline constexpr size_t kMinTokenLength = 16;

// True when every user of the machine may read the file at `path` (mode o+r); false when
// not, or when it cannot be examined.
bool readable_by_everyone(const std::string& path);

std::optional<std::string> read_token(const std::optional<std::string>& file,
                                      const std::optional<std::string>& env, std::string& error,
                                      std::string& warning);

}  // namespace predwatch::daemon
