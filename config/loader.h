// Loading and validating predwatch's YAML configuration into config::Settings.
//
// The YAML is parsed once and fully validated: unknown keys (with a "did you mean"
// suggestion), duplicate keys, wrong types, out-of-bounds values and cross-field
// inconsistencies are all reported, every one of them, as ConfigError values — nothing
// throws. Absent keys take the defaults declared in config/settings.h; an empty document is
// the default configuration.
//
// Thread-safety: the functions are reentrant; they share no state.
#ifndef PREDWATCH_CONFIG_LOADER_H_
#define PREDWATCH_CONFIG_LOADER_H_

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"

namespace predwatch::config {

struct ConfigError {
  std::string file;     // file name (or the name given to load_config_string)
  int line = 0;         // 1-based; 0 when the error has no position (e.g. unreadable file)
  int column = 0;       // 1-based; 0 when line is 0
  std::string path;     // key path, e.g. "windows[1].pane"; empty for document-level errors
  std::string message;  // what is wrong and what is allowed

  // "file:line:column: path: message" (parts without a value are left out).
  std::string to_string() const;
};

struct LoadResult {
  std::optional<Settings> settings;  // set iff errors is empty
  std::vector<ConfigError> errors;   // sorted by line, then column

  bool ok() const { return errors.empty(); }
  // All errors, one to_string() per line.
  std::string error_text() const;
};

struct LoadOptions {
  // Relative paths (streams.entries[].class_map / .baseline, grpc.tls.*) are resolved
  // against this directory when it is not empty; otherwise they are kept as written.
  std::filesystem::path base_dir;
  // Also report referenced files (class_map, baseline, TLS files) that do not exist.
  bool check_files_exist = false;
};

// Parses text (named `name` in error messages) into validated Settings.
LoadResult load_config_string(std::string_view text, std::string_view name,
                              const LoadOptions& options = {});

// Reads the file at path, then as load_config_string with name = path as given,
// base_dir = the file's directory (made absolute) and check_files_exist = true.
LoadResult load_config_file(const std::filesystem::path& path);

// The effective configuration as YAML that load_config_string accepts and maps back to an
// equal Settings (when mask_secrets is false). With mask_secrets, literal values of
// kafka.properties whose key names a secret (password, secret, jaas, token, credentials,
// ssl.key.pem) are replaced by "*****" — for logging at start. Tokens are never in Settings
// (grpc.auth names their files or variables).
std::string render_yaml(const Settings& settings, bool mask_secrets = true);

// True for kafka.properties keys render_yaml masks.
bool is_secret_property(std::string_view key);

// True for a kafka.properties value that is a secret reference, "${env:NAME}" or
// "${file:PATH}" (render_yaml shows references as written: they name, not hold, a secret).
bool is_secret_reference(std::string_view value);

}  // namespace predwatch::config

#endif  // PREDWATCH_CONFIG_LOADER_H_
