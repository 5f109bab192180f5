// render_yaml and is_secret_property (declared in config/loader.h).
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "config/duration.h"
#include "config/loader.h"
#include "config/schema.h"

namespace predwatch::config {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

void emit_value(YAML::Emitter& e, const Setting& setting, const Value& v) {
  if (const auto* b = std::get_if<bool>(&v)) {
    e << *b;
  } else if (const auto* i = std::get_if<std::int64_t>(&v); i && setting.kind == Kind::kInteger) {
    e << *i;
  } else {
    e << value_text(setting, v);
  }
}

// The set fields of t, in table order.
void emit_thresholds(YAML::Emitter& e, const ThresholdOverrides& t) {
  e << YAML::BeginMap;
  for (const Setting& s : settings_schema()) {
    if (!s.in_overrides) continue;
    if (auto v = s.in_overrides.get(t)) {
      e << YAML::Key << std::string(s.path.substr(s.path.rfind('.') + 1)) << YAML::Value;
      emit_value(e, s, *v);
    }
  }
  e << YAML::EndMap;
}

void emit_strings(YAML::Emitter& e, const std::vector<std::string>& v) {
  e << YAML::Flow << YAML::BeginSeq;
  for (const std::string& s : v) e << s;
  e << YAML::EndSeq;
}

}  // namespace

bool is_secret_property(std::string_view key) {
  const std::string k = lower(key);
  static constexpr std::array<std::string_view, 6> kMarkers = {
      "password", "secret", "jaas", "token", "credentials", "ssl.key.pem"};
  return std::any_of(kMarkers.begin(), kMarkers.end(),
                     [&](std::string_view m) { return k.find(m) != std::string::npos; });
}

bool is_secret_reference(std::string_view value) {
  return (value.starts_with("${env:") || value.starts_with("${file:")) && value.ends_with("}");
}

namespace {

void emit_windows(YAML::Emitter& e, const std::vector<WindowSettings>& windows) {
  e << YAML::BeginSeq;
  for (const WindowSettings& w : windows) {
    e << YAML::BeginMap;
    e << YAML::Key << "name" << YAML::Value << w.name;
    e << YAML::Key << "type" << YAML::Value << std::string(to_string(w.type));
    if (w.type == WindowType::kTime) {
      e << YAML::Key << "length" << YAML::Value << format_duration(w.length);
      e << YAML::Key << "pane" << YAML::Value << format_duration(w.pane);
      e << YAML::Key << "allowed_lateness" << YAML::Value << format_duration(w.allowed_lateness);
    } else {
      e << YAML::Key << "frames" << YAML::Value << w.frames;
    }
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;
}

void emit_stream_entries(YAML::Emitter& e, const std::vector<StreamSettings>& entries) {
  e << YAML::BeginSeq;
  for (const StreamSettings& st : entries) {
    e << YAML::BeginMap;
    e << YAML::Key << "key" << YAML::Value << st.key;
    e << YAML::Key << "classes" << YAML::Value;
    if (st.classes.empty()) {
      e << "auto";
    } else {
      emit_strings(e, st.classes);
    }
    if (st.class_map) e << YAML::Key << "class_map" << YAML::Value << *st.class_map;
    if (st.baseline) e << YAML::Key << "baseline" << YAML::Value << *st.baseline;
    if (!st.windows.empty()) {
      e << YAML::Key << "windows" << YAML::Value;
      emit_strings(e, st.windows);
    }
    if (st.min_confidence) e << YAML::Key << "min_confidence" << YAML::Value << *st.min_confidence;
    if (!st.labels.empty()) {
      e << YAML::Key << "labels" << YAML::Value << YAML::BeginMap;
      for (const auto& [name, value] : st.labels) e << YAML::Key << name << YAML::Value << value;
      e << YAML::EndMap;
    }
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;
}

void emit_mappings(YAML::Emitter& e, const std::vector<EventMappingSettings>& mappings) {
  const auto enum_text = [](std::string_view path, auto v) {
    return value_text(setting(path), Value(static_cast<std::int64_t>(v)));
  };
  e << YAML::BeginSeq;
  for (const EventMappingSettings& m : mappings) {
    e << YAML::BeginMap;
    e << YAML::Key << "topic" << YAML::Value << m.topic;
    e << YAML::Key << "preset" << YAML::Value << enum_text("kafka.mappings[].preset", m.preset);
    const std::pair<const char*, const std::string*> sources[] = {
        {"stream", &m.stream},
        {"frame_id", &m.frame_id},
        {"timestamp", &m.timestamp},
        {"detections", &m.detections},
        {"class_name", &m.class_name},
        {"class_id", &m.class_id},
        {"confidence", &m.confidence},
        {"box", &m.box},
        {"image_width", &m.image_width},
        {"image_height", &m.image_height},
        {"image_uri", &m.image_uri},
        {"model_name", &m.model_name},
        {"model_version", &m.model_version}};
    for (const auto& [key, value] : sources) {
      if (!value->empty()) e << YAML::Key << key << YAML::Value << *value;
    }
    if (m.timestamp_unit) {
      e << YAML::Key << "timestamp_unit" << YAML::Value
        << enum_text("kafka.mappings[].timestamp_unit", *m.timestamp_unit);
    }
    if (m.layout) {
      e << YAML::Key << "layout" << YAML::Value << enum_text("kafka.mappings[].layout", *m.layout);
    }
    if (m.box_format) {
      e << YAML::Key << "box_format" << YAML::Value
        << enum_text("kafka.mappings[].box_format", *m.box_format);
    }
    if (m.box_units) {
      e << YAML::Key << "box_units" << YAML::Value
        << enum_text("kafka.mappings[].box_units", *m.box_units);
    }
    if (!m.box_keys.empty()) {
      e << YAML::Key << "box_keys" << YAML::Value;
      emit_strings(e, m.box_keys);
    }
    if (m.class_names) e << YAML::Key << "class_names" << YAML::Value << *m.class_names;
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;
}

void emit_overrides_map(YAML::Emitter& e, const std::map<std::string, ThresholdOverrides>& m) {
  e << YAML::BeginMap;
  for (const auto& [name, o] : m) {
    e << YAML::Key << name << YAML::Value;
    emit_thresholds(e, o);
  }
  e << YAML::EndMap;
}

// librdkafka properties; literal secret values masked when asked.
void emit_properties(YAML::Emitter& e, const std::map<std::string, std::string>& properties,
                     bool mask_secrets) {
  e << YAML::BeginMap;
  for (const auto& [key, value] : properties) {
    e << YAML::Key << key << YAML::Value
      << (mask_secrets && is_secret_property(key) && !is_secret_reference(value)
              ? std::string("*****")
              : value);
  }
  e << YAML::EndMap;
}

// Optional structured values that are left out when unset.
bool is_unset(std::string_view path, const Settings& s) {
  return (path == "kafka.dead_letter_topic" && !s.kafka.dead_letter_topic) ||
         (path == "grpc.tls" && !s.grpc.tls) ||
         (path == "grpc.auth" && s.grpc.auth == GrpcAuthSettings{}) ||
         (path == "grpc.health_bind" && !s.grpc.health_bind) ||
         (path == "grpc.peer_tls_name" && !s.grpc.peer_tls_name) ||
         (path == "state.dir" && s.state.dir.empty());
}

// The settings of `path` that the table does not render by itself: lists, maps and
// optional values.
void emit_structured(YAML::Emitter& e, std::string_view path, const Settings& s,
                     bool mask_secrets) {
  if (path == "kafka.topics") {
    emit_strings(e, s.kafka.topics);
  } else if (path == "streams.max_memory") {
    if (s.streams.max_memory == StreamsSettings::kAutoMemoryBudget) {
      e << "auto";
    } else {
      e << value_text(setting("streams.max_memory"), Value(s.streams.max_memory));
    }
  } else if (path == "grpc.peers") {
    emit_strings(e, s.grpc.peers);
  } else if (path == "kafka.dead_letter_topic") {
    e << *s.kafka.dead_letter_topic;
  } else if (path == "kafka.properties") {
    emit_properties(e, s.kafka.properties, mask_secrets);
  } else if (path == "kafka.dead_letter_properties") {
    emit_properties(e, s.kafka.dead_letter_properties, mask_secrets);
  } else if (path == "kafka.mappings") {
    emit_mappings(e, s.kafka.mappings);
  } else if (path == "streams.entries") {
    emit_stream_entries(e, s.streams.entries);
  } else if (path == "drift.thresholds") {
    ThresholdOverrides all;
    for (const Setting& t : settings_schema()) {
      if (t.in_overrides) t.in_overrides.set(all, *t.in_thresholds.get(s.drift.thresholds));
    }
    emit_thresholds(e, all);
  } else if (path == "drift.per_stream") {
    emit_overrides_map(e, s.drift.per_stream);
  } else if (path == "drift.per_class") {
    emit_overrides_map(e, s.drift.per_class);
  } else if (path == "drift.kinds") {
    e << YAML::BeginSeq;
    for (DriftKind kind : s.drift.kinds) e << std::string(to_string(kind));
    e << YAML::EndSeq;
  } else if (path == "reference.kinds") {
    e << YAML::BeginSeq;
    for (DriftKind kind : s.reference.kinds) e << std::string(to_string(kind));
    e << YAML::EndSeq;
  } else if (path == "metrics.class_windows") {
    emit_strings(e, s.metrics.class_windows);
  } else if (path == "state.dir") {
    e << s.state.dir;
  } else if (path == "grpc.tls") {
    e << YAML::BeginMap;
    e << YAML::Key << "cert" << YAML::Value << s.grpc.tls->cert;
    e << YAML::Key << "key" << YAML::Value << s.grpc.tls->key;
    if (s.grpc.tls->client_ca)
      e << YAML::Key << "client_ca" << YAML::Value << *s.grpc.tls->client_ca;
    e << YAML::EndMap;
  } else if (path == "grpc.health_bind") {
    e << *s.grpc.health_bind;
  } else if (path == "grpc.peer_tls_name") {
    e << *s.grpc.peer_tls_name;
  } else if (path == "grpc.auth") {
    const GrpcAuthSettings& a = s.grpc.auth;
    e << YAML::BeginMap;
    const auto opt = [&](const char* key, const std::optional<std::string>& v) {
      if (v) e << YAML::Key << key << YAML::Value << *v;
    };
    opt("token_file", a.token_file);
    opt("token_env", a.token_env);
    opt("read_token_file", a.read_token_file);
    opt("read_token_env", a.read_token_env);
    e << YAML::Key << "allow_unauthenticated_mutations" << YAML::Value
      << (a.allow_unauthenticated_mutations ? "true" : "false");
    e << YAML::EndMap;
  } else {
    std::abort();  // a table row without a renderer
  }
}

}  // namespace

std::string render_yaml(const Settings& s, bool mask_secrets) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  for (std::string_view section : keys_under("")) {
    e << YAML::Key << std::string(section) << YAML::Value;
    if (section == "windows") {
      emit_windows(e, s.windows);
      continue;
    }
    e << YAML::BeginMap;
    for (std::string_view key : keys_under(section)) {
      const std::string path = std::string(section) + "." + std::string(key);
      if (const Setting* setting = find_setting(path); setting && setting->in_settings) {
        e << YAML::Key << std::string(key) << YAML::Value;
        emit_value(e, *setting, *setting->in_settings.get(s));
        continue;
      }
      if (is_unset(path, s)) continue;
      e << YAML::Key << std::string(key) << YAML::Value;
      emit_structured(e, path, s, mask_secrets);
    }
    e << YAML::EndMap;
  }
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace predwatch::config
