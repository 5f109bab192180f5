// Minimal blocking HTTP/1.0 requests for tests (the metrics endpoint, the web view): no
// chunked encoding, the server closes the connection after the body.
//   http_request: any method and extra header lines; status, headers (lower-case names)
//                 and body; status 0 when the connection or the answer failed.
//   http_get:     GET, (status, body).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <map>
#include <string>
#include <utility>

namespace predwatch::testing {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// `headers`: extra request header lines, each ending in "\r\n".
inline HttpResponse http_request(int port, const std::string& method, const std::string& target,
                                 const std::string& headers = "") {
  HttpResponse out;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return out;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return out;
  }
  const std::string req =
      method + " " + target + " HTTP/1.0\r\nHost: 127.0.0.1\r\n" + headers + "\r\n";
  if (::send(fd, req.data(), req.size(), 0) != ssize_t(req.size())) {
    ::close(fd);
    return out;
  }
  std::string resp;
  char buf[65536];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) resp.append(buf, size_t(n));
  ::close(fd);
  const size_t sp = resp.find(' ');
  const size_t end = resp.find("\r\n\r\n");
  if (sp == std::string::npos || end == std::string::npos) return out;
  out.status = std::stoi(resp.substr(sp + 1, 3));
  size_t pos = resp.find("\r\n") + 2;
  while (pos < end) {
    const size_t eol = resp.find("\r\n", pos);
    const std::string line = resp.substr(pos, eol - pos);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
      const size_t value = line.find_first_not_of(' ', colon + 1);
      out.headers[name] = value == std::string::npos ? "" : line.substr(value);
    }
    pos = eol + 2;
  }
  out.body = resp.substr(end + 4);
  return out;
}

inline std::pair<int, std::string> http_get(int port, const std::string& path) {
  HttpResponse r = http_request(port, "GET", path);
  return {r.status, std::move(r.body)};
}

}  // namespace predwatch::testing
