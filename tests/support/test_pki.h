// Certificates for TLS tests, made by the openssl CLI at test time (scripts/setup.sh installs
// it): a CA, a server certificate for localhost and 127.0.0.1 and a client certificate, both
// signed by the CA, and a second CA that signed nothing. Files live in a temporary directory
// removed with the object; ok() says whether openssl succeeded (log() has its output).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/predwatchd_process.h"

namespace predwatch::testing {

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Pki {
 public:
  Pki() {
    const std::string d = dir_.path().string();
    dir_.write("make.sh",
               "set -e\n"
               "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > san.ext\n"
               "for ca in ca other; do\n"
               "  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=$ca \\\n"
               "    -keyout $ca.key -out $ca.pem\n"
               "done\n"
               "for who in server client; do\n"
               "  openssl req -newkey rsa:2048 -nodes -subj /CN=$who -keyout $who.key \\\n"
               "    -out $who.csr\n"
               "done\n"
               "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \\\n"
               "  -days 2 -extfile san.ext -out server.pem\n"
               "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial \\\n"
               "  -days 2 -out client.pem\n");
    ok_ = std::system(("cd '" + d + "' && bash make.sh > openssl.log 2>&1").c_str()) == 0;
  }
  bool ok() const { return ok_; }
  std::string log() const { return slurp(dir_.path() / "openssl.log"); }
  std::string pem(const std::string& name) const { return slurp(dir_.path() / name); }
  std::string path(const std::string& name) const { return (dir_.path() / name).string(); }

 private:
  TempDir dir_;
  bool ok_ = false;
};

}  // namespace predwatch::testing
