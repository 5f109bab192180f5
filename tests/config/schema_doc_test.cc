// The settings table (config/schema.h) is the one schema: docs/CONFIG.md must carry exactly
// its row for every setting and document nothing else, the example file must show every
// setting, render_yaml must write nothing the table lacks, and the loader must enforce the
// table's bounds.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "config/duration.h"
#include "config/loader.h"
#include "config/schema.h"
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
  static const std::set<std::string> kUserKeyed = {
      "kafka.properties", "kafka.dead_letter_properties", "streams.entries[].labels",
      "drift.per_stream", "drift.per_class"};
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
  s.kafka.dead_letter_properties["acks"] = "all";
  s.kafka.mappings = {{.topic = "predictions",
                       .preset = MappingPreset::kTorchvision,
                       .stream = "@key",
                       .frame_id = "@offset",
                       .timestamp = "@timestamp",
                       .detections = "$",
                       .class_name = "name",
                       .class_id = "labels",
                       .confidence = "scores",
                       .box = "boxes",
                       .image_width = "=640",
                       .image_height = "=480",
                       .image_uri = "uri",
                       .model_name = "=fasterrcnn",
                       .model_version = "=v2",
                       .timestamp_unit = TimestampUnit::kMillis,
                       .layout = DetectionLayout::kColumns,
                       .box_format = BoxFormat::kXyxy,
                       .box_units = BoxUnits::kPixels,
                       .box_keys = {"a", "b", "c", "d"},
                       .class_names = "/coco.json"}};
  s.streams.entries = {{.key = "cam",
                        .classes = {"a"},
                        .class_map = "/m.yaml",
                        .baseline = "/b.pb",
                        .windows = {"5m"},
                        .min_confidence = 0.3,
                        .labels = {{"team", "vision"}}}};
  s.drift.per_stream["cam"].psi = 0.3;
  s.drift.per_class["a"].psi = 0.3;
  s.grpc.tls = TlsSettings{.cert = "/c", .key = "/k", .client_ca = "/ca"};
  s.grpc.health_bind = "0.0.0.0:50052";
  s.grpc.peers = {"predwatch-peers:50051", "10.0.0.7:50051"};
  s.grpc.peer_timeout = std::chrono::milliseconds(1500);
  s.grpc.peer_tls_name = "predwatch.example";
  // Every key of grpc.auth (not a loadable combination: both sources of each token).
  s.grpc.auth = {.token_file = "/t",
                 .token_env = "T",
                 .read_token_file = "/r",
                 .read_token_env = "R",
                 .allow_unauthenticated_mutations = true};
  s.state.dir = "/var/lib/predwatch";
  return s;
}

TEST(Schema, DocsCarryExactlyTheTablesRows) {
  const std::string doc = read(PREDWATCH_SOURCE_DIR "/docs/CONFIG.md");
  ASSERT_FALSE(doc.empty());
  std::set<std::string> table_paths;
  for (const Setting& s : settings_schema()) {
    table_paths.insert(std::string(s.path));
    const std::string row = reference_row(s);
    EXPECT_NE(doc.find("\n" + row + "\n"), std::string::npos)
        << s.path << ": docs/CONFIG.md lacks the row (or it differs):\n"
        << row;
  }
  // Every documented setting row names a setting of the table.
  std::istringstream lines(doc);
  size_t rows = 0;
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("| `")) continue;
    ++rows;
    const std::string path = line.substr(3, line.find('`', 3) - 3);
    EXPECT_TRUE(table_paths.count(path)) << path << " is documented but not in the table";
  }
  EXPECT_EQ(rows, table_paths.size());
}

TEST(Schema, RenderedSettingsAreInTheTableAndTheExample) {
  std::set<std::string> paths;
  collect(YAML::Load(render_yaml(fully_populated(), false)), "", paths);
  ASSERT_GT(paths.size(), 50u);  // the walk found the schema, not an empty document
  const std::string example = read(PREDWATCH_SOURCE_DIR "/config/predwatch.example.yaml");
  ASSERT_FALSE(example.empty());
  for (const std::string& p : paths) {
    EXPECT_NE(find_setting(p), nullptr) << p << " is rendered but not in the table";
    const std::string leaf = p.substr(p.find_last_of(".]") + 1);
    EXPECT_NE(example.find(leaf + ":"), std::string::npos) << p << " is not in the example";
  }
  for (const Setting& s : settings_schema()) {
    const std::string path(s.path);
    auto it = paths.lower_bound(path);  // the path itself, or the first of its elements'
    EXPECT_TRUE(it != paths.end() && (*it == path || it->starts_with(path + "[]")))
        << s.path << " is not rendered";
  }
}

// "a:\n  b:\n    c: value\n" for path "a.b.c".
std::string yaml_at(std::string_view path, const std::string& value) {
  std::string out, indent;
  while (true) {
    const size_t dot = path.find('.');
    out += indent + std::string(path.substr(0, dot)) + ":";
    if (dot == std::string_view::npos) break;
    out += "\n";
    indent += "  ";
    path.remove_prefix(dot + 1);
  }
  return out + " " + value + "\n";
}

std::string bound(const Setting& s, double v) {
  switch (s.kind) {
    case Kind::kBytes:
      return std::to_string(static_cast<std::int64_t>(v));
    case Kind::kDuration:
      return format_duration(Millis(static_cast<std::int64_t>(v)));
    case Kind::kNumber:
      return number_text(v);
    default:
      return std::to_string(static_cast<std::int64_t>(v));
  }
}

// For a bounded setting, the nearest value outside each end of its interval.
double outside(const Setting& s, double end, bool below) {
  const double step = s.kind == Kind::kNumber ? 1e-9 * std::max(1.0, std::abs(end)) : 1;
  return below ? end - step : end + step;
}

TEST(Schema, LoaderEnforcesTheTablesBounds) {
  size_t checked = 0;
  for (const Setting& s : settings_schema()) {
    if (!s.bounds || s.path.find('[') != std::string_view::npos) continue;  // list fields
    const Interval& b = *s.bounds;
    const std::string path(s.path);
    const std::string problem = path + ": must be";
    auto problems = [&](double v) {
      const LoadResult r = load_config_string(yaml_at(s.path, bound(s, v)), "t.yaml");
      return r.error_text().find(problem) != std::string::npos;
    };
    if (b.lo >= 0 && !(s.kind == Kind::kNumber && b.lo == 0 && !b.lo_open)) {
      EXPECT_EQ(problems(b.lo), b.lo_open) << path << " at " << b.lo;
      if (!b.lo_open && b.lo > 0) {
        EXPECT_TRUE(problems(outside(s, b.lo, true))) << path;
      }
    }
    EXPECT_EQ(problems(b.hi), b.hi_open) << path << " at " << b.hi;
    EXPECT_TRUE(problems(outside(s, b.hi, false))) << path;
    ++checked;
  }
  EXPECT_GT(checked, 25u);
}

}  // namespace
}  // namespace predwatch::config
