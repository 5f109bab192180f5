// Keeps docs/CONFIG.md and config/predwatch.example.yaml in step with the schema: every
// setting render_yaml emits for a fully populated Settings must have a row in the reference
// table and appear (possibly commented out) in the example file.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "config/loader.h"
#include "config/settings.h"

namespace predwatch::config {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Leaf key paths: list elements become "[]"; maps with user-chosen keys are leaves.
void collect(const YAML::Node& n, const std::string& path, std::set<std::string>& out) {
  static const std::set<std::string> kUserKeyed = {"kafka.properties", "drift.per_stream",
                                                   "drift.per_class"};
  if (n.IsMap() && !kUserKeyed.count(path)) {
    for (auto it = n.begin(); it != n.end(); ++it) {
      collect(it->second, path.empty() ? it->first.Scalar() : path + "." + it->first.Scalar(), out);
    }
  } else if (n.IsSequence() && n.size() > 0 && n[0].IsMap()) {
    for (const YAML::Node& e : n) collect(e, path + "[]", out);
  } else {
    out.insert(path);
  }
}

Settings fully_populated() {
  Settings s;
  s.kafka.dead_letter_topic = "dlq";
  s.kafka.properties["client.id"] = "x";
  s.streams.entries = {{.key = "cam",
                        .classes = {"a"},
                        .class_map = "/m.yaml",
                        .baseline = "/b.pb",
                        .windows = {"5m"}}};
  s.drift.per_stream["cam"].psi = 0.3;
  s.drift.per_class["a"].psi = 0.3;
  s.grpc.tls = TlsSettings{.cert = "/c", .key = "/k", .client_ca = "/ca"};
  return s;
}

TEST(SchemaDocs, EverySettingIsDocumentedAndInTheExample) {
  std::set<std::string> paths;
  collect(YAML::Load(render_yaml(fully_populated(), false)), "", paths);
  ASSERT_GT(paths.size(), 50u);  // the walk found the schema, not an empty document
  const std::string doc = read(PREDWATCH_SOURCE_DIR "/docs/CONFIG.md");
  const std::string example = read(PREDWATCH_SOURCE_DIR "/config/predwatch.example.yaml");
  ASSERT_FALSE(doc.empty());
  ASSERT_FALSE(example.empty());
  for (const std::string& p : paths) {
    EXPECT_NE(doc.find("| `" + p + "` |"), std::string::npos) << p << " has no row in CONFIG.md";
    const std::string leaf = p.substr(p.find_last_of(".]") + 1);
    EXPECT_NE(example.find(leaf + ":"), std::string::npos) << p << " is not in the example";
  }
}

}  // namespace
}  // namespace predwatch::config
