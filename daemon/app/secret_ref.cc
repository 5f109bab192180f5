#include "daemon/app/secret_ref.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace predwatch::daemon {
namespace {

void drop_trailing_newline(std::string& s) {
  if (!s.empty() && s.back() == '\n') s.pop_back();
  if (!s.empty() && s.back() == '\r') s.pop_back();
}

std::optional<std::string> from_env(const std::string& name, std::string& error) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr || *v == '\0') {
    error = "environment variable " + name + " is unset or empty";
    return std::nullopt;
  }
  std::string s = v;
  drop_trailing_newline(s);
  return s;
}

std::optional<std::string> from_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path;
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  drop_trailing_newline(s);
  if (s.empty()) {
    error = path + " is empty";
    return std::nullopt;
  }
  return s;
}

}  // namespace

bool readable_by_everyone(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IROTH) != 0;
}

std::optional<std::string> resolve_secret_value(std::string_view value, std::string& error) {
  if (!value.starts_with("${") || !value.ends_with("}")) return std::string(value);
  const std::string body(value.substr(2, value.size() - 3));
  if (body.starts_with("env:")) return from_env(body.substr(4), error);
  if (body.starts_with("file:")) return from_file(body.substr(5), error);
  error = "not a secret reference (${env:NAME} or ${file:PATH})";
  return std::nullopt;
}

std::optional<std::string> read_token(const std::optional<std::string>& file,
                                      const std::optional<std::string>& env, std::string& error,
                                      std::string& warning) {
  std::optional<std::string> token;
  std::string source;
  if (file) {
    source = *file;
    token = from_file(*file, error);
    if (token && readable_by_everyone(*file)) {
      warning = *file + " is readable by every user (chmod 0400 or 0440)";
    }
  } else if (env) {
    source = "$" + *env;
    token = from_env(*env, error);
  } else {
    return std::string();
  }
  if (!token) return std::nullopt;
  if (token->size() < kMinTokenLength) {
    error = source + ": the token is shorter than " + std::to_string(kMinTokenLength) +
            " characters (generate one: openssl rand -hex 32)";
    return std::nullopt;
  }
  for (char c : *token) {
    if (c <= ' ' || c > '~') {
      error = source + ": the token may hold printable ASCII without spaces only";
      return std::nullopt;
    }
  }
  return token;
}

}  // namespace predwatch::daemon
