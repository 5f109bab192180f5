// WebRequest / WebResponse: one HTTP request and its answer as the web view's handlers see
// them, independent of the HTTP server library (web_server.cc adapts civetweb to them), and
// the parsing every handler shares: percent-decoding and the query string.
//
// Pure functions; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace predwatch::daemon {

struct WebRequest {
  std::string method;  // "GET", "HEAD", ...
  // Percent-decoded by the HTTP server (civetweb decodes before routing: "%2F" is already
  // '/' here), without the query string. A name containing '/' therefore cannot be a path
  // segment; the API takes every name as a query parameter too.
  std::string path;
  std::string query;          // raw (still percent-encoded), without the '?'
  std::string authorization;  // the Authorization header ("Bearer <token>"), "" when absent
  std::string peer;           // the client's address, for the refusal log
};

struct WebResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

// Percent-decodes `in` ('+' stays '+'; a query value's '+' is decoded by parse_query).
// False for a malformed escape or a decoded NUL byte.
bool percent_decode(std::string_view in, std::string& out);

// Splits and decodes "a=1&b=x%20y&c" into {{"a","1"},{"b","x y"},{"c",""}} in order; '+'
// in keys and values is a space. False (with `error` naming the parameter) for a malformed
// escape.
bool parse_query(std::string_view query, std::vector<std::pair<std::string, std::string>>& out,
                 std::string& error);

// Splits a decoded path "/a/b/" into segments {"a", "b"} (empty segments dropped).
std::vector<std::string> split_path(std::string_view path);

// A JSON error body: {"error": {"status": 400, "code": "INVALID_ARGUMENT", "message": "..."}};
// the message is made valid UTF-8 first.
WebResponse error_response(int status, std::string_view code, std::string_view message);

}  // namespace predwatch::daemon
