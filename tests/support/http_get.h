// A minimal blocking HTTP/1.0 GET for tests (the metrics endpoint): no chunked encoding,
// the server closes the connection after the body. Returns the status code and the body;
// status 0 when the connection failed.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <utility>

namespace predwatch::testing {

inline std::pair<int, std::string> http_get(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {0, {}};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return {0, {}};
  }
  const std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (::send(fd, req.data(), req.size(), 0) != ssize_t(req.size())) {
    ::close(fd);
    return {0, {}};
  }
  std::string resp;
  char buf[65536];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) resp.append(buf, size_t(n));
  ::close(fd);
  const size_t sp = resp.find(' ');
  const size_t hdr_end = resp.find("\r\n\r\n");
  if (sp == std::string::npos || hdr_end == std::string::npos) return {0, {}};
  return {std::stoi(resp.substr(sp + 1, 3)), resp.substr(hdr_end + 4)};
}

}  // namespace predwatch::testing
