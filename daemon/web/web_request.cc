#include "daemon/web/web_request.h"

#include "config/utf8.h"
#include "daemon/common/json_writer.h"

namespace predwatch::daemon {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool decode(std::string_view in, bool plus_is_space, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      const char d = char(hi * 16 + lo);
      if (d == '\0') return false;
      out.push_back(d);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return true;
}

}  // namespace

bool percent_decode(std::string_view in, std::string& out) { return decode(in, false, out); }

bool parse_query(std::string_view query, std::vector<std::pair<std::string, std::string>>& out,
                 std::string& error) {
  out.clear();
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    std::string key, value;
    if (!decode(part.substr(0, eq), true, key)) {
      error = "malformed percent-escape in query parameter name '" +
              std::string(part.substr(0, eq)) + "'";
      return false;
    }
    if (eq != std::string_view::npos && !decode(part.substr(eq + 1), true, value)) {
      error = "parameter '" + key + "': malformed percent-escape";
      return false;
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  return true;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    const std::string_view seg = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (!seg.empty()) out.emplace_back(seg);
  }
  return out;
}

WebResponse error_response(int status, std::string_view code, std::string_view message) {
  WebResponse r;
  r.status = status;
  r.body = "{\"error\": {\"status\": " + std::to_string(status) +
           ", \"code\": " + json_quote(code) +
           ", \"message\": " + json_quote(config::replace_invalid_utf8(message)) + "}}\n";
  return r;
}

}  // namespace predwatch::daemon
