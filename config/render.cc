// render_yaml and is_secret_property (declared in config/loader.h).
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "config/duration.h"
#include "config/loader.h"

namespace predwatch::config {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// %.17g round-trips every double; %g first so defaults stay readable (0.1, not
// 0.10000000000000001).
std::string number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%g", v);
  if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void emit_thresholds(YAML::Emitter& e, const ThresholdOverrides& t) {
  e << YAML::BeginMap;
  if (t.js_distance) e << YAML::Key << "js_distance" << YAML::Value << number(*t.js_distance);
  if (t.psi_warn) e << YAML::Key << "psi_warn" << YAML::Value << number(*t.psi_warn);
  if (t.psi) e << YAML::Key << "psi" << YAML::Value << number(*t.psi);
  if (t.hellinger_warn) {
    e << YAML::Key << "hellinger_warn" << YAML::Value << number(*t.hellinger_warn);
  }
  if (t.hellinger) e << YAML::Key << "hellinger" << YAML::Value << number(*t.hellinger);
  if (t.measure) e << YAML::Key << "measure" << YAML::Value << std::string(to_string(*t.measure));
  if (t.alpha) e << YAML::Key << "alpha" << YAML::Value << number(*t.alpha);
  if (t.min_frames) e << YAML::Key << "min_frames" << YAML::Value << *t.min_frames;
  if (t.min_class_images) {
    e << YAML::Key << "min_class_images" << YAML::Value << *t.min_class_images;
  }
  if (t.min_pair_count) e << YAML::Key << "min_pair_count" << YAML::Value << *t.min_pair_count;
  if (t.min_rate_ratio) {
    e << YAML::Key << "min_rate_ratio" << YAML::Value << number(*t.min_rate_ratio);
  }
  if (t.correction) {
    e << YAML::Key << "correction" << YAML::Value << std::string(to_string(*t.correction));
  }
  if (t.smoothing_epsilon) {
    e << YAML::Key << "smoothing_epsilon" << YAML::Value << number(*t.smoothing_epsilon);
  }
  e << YAML::EndMap;
}

ThresholdOverrides all_set(const DriftThresholds& t) {
  return ThresholdOverrides{t.js_distance,
                            t.psi_warn,
                            t.psi,
                            t.hellinger_warn,
                            t.hellinger,
                            t.measure,
                            t.alpha,
                            t.min_frames,
                            t.min_class_images,
                            t.min_pair_count,
                            t.min_rate_ratio,
                            t.correction,
                            t.smoothing_epsilon};
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

std::string render_yaml(const Settings& s, bool mask_secrets) {
  YAML::Emitter e;
  e << YAML::BeginMap;

  const KafkaSettings& k = s.kafka;
  e << YAML::Key << "kafka" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "brokers" << YAML::Value << k.brokers;
  e << YAML::Key << "embedded" << YAML::Value << k.embedded;
  e << YAML::Key << "topics" << YAML::Value;
  emit_strings(e, k.topics);
  e << YAML::Key << "group_id" << YAML::Value << k.group_id;
  e << YAML::Key << "decoder" << YAML::Value << std::string(to_string(k.decoder));
  if (k.dead_letter_topic) {
    e << YAML::Key << "dead_letter_topic" << YAML::Value << *k.dead_letter_topic;
  }
  e << YAML::Key << "properties" << YAML::Value << YAML::BeginMap;
  for (const auto& [key, value] : k.properties) {
    e << YAML::Key << key << YAML::Value
      << (mask_secrets && is_secret_property(key) ? std::string("*****") : value);
  }
  e << YAML::EndMap;
  e << YAML::Key << "commit_interval_ms" << YAML::Value << k.commit_interval_ms;
  e << YAML::Key << "rebuild" << YAML::Value << k.rebuild;
  e << YAML::EndMap;

  e << YAML::Key << "streams" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "max_streams" << YAML::Value << s.streams.max_streams;
  e << YAML::Key << "entries" << YAML::Value << YAML::BeginSeq;
  for (const StreamSettings& st : s.streams.entries) {
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
    e << YAML::EndMap;
  }
  e << YAML::EndSeq << YAML::EndMap;

  e << YAML::Key << "windows" << YAML::Value << YAML::BeginSeq;
  for (const WindowSettings& w : s.windows) {
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

  const StatisticsSettings& st = s.statistics;
  e << YAML::Key << "statistics" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "heatmap_grid" << YAML::Value << st.heatmap_grid;
  e << YAML::Key << "exemplars_per_key" << YAML::Value << st.exemplars_per_key;
  e << YAML::Key << "max_classes" << YAML::Value << st.max_classes;
  e << YAML::Key << "max_detections_per_event" << YAML::Value << st.max_detections_per_event;
  e << YAML::EndMap;

  const DriftSettings& d = s.drift;
  e << YAML::Key << "drift" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "evaluation_interval" << YAML::Value << format_duration(d.evaluation_interval);
  e << YAML::Key << "evaluation_clock" << YAML::Value << std::string(to_string(d.evaluation_clock));
  e << YAML::Key << "thresholds" << YAML::Value;
  emit_thresholds(e, all_set(d.thresholds));
  e << YAML::Key << "per_stream" << YAML::Value << YAML::BeginMap;
  for (const auto& [name, o] : d.per_stream) {
    e << YAML::Key << name << YAML::Value;
    emit_thresholds(e, o);
  }
  e << YAML::EndMap;
  e << YAML::Key << "per_class" << YAML::Value << YAML::BeginMap;
  for (const auto& [name, o] : d.per_class) {
    e << YAML::Key << name << YAML::Value;
    emit_thresholds(e, o);
  }
  e << YAML::EndMap;
  e << YAML::Key << "kinds" << YAML::Value << YAML::BeginSeq;
  for (DriftKind kind : d.kinds) e << std::string(to_string(kind));
  e << YAML::EndSeq;
  e << YAML::EndMap;

  const AlertingSettings& a = s.alerting;
  e << YAML::Key << "alerting" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "for_evaluations" << YAML::Value << a.for_evaluations;
  e << YAML::Key << "resolve_evaluations" << YAML::Value << a.resolve_evaluations;
  e << YAML::Key << "resolve_ratio" << YAML::Value << number(a.resolve_ratio);
  e << YAML::EndMap;

  const MetricsSettings& m = s.metrics;
  e << YAML::Key << "metrics" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "bind" << YAML::Value << m.bind;
  e << YAML::Key << "max_classes_exported" << YAML::Value << m.max_classes_exported;
  e << YAML::Key << "top_pairs" << YAML::Value << m.top_pairs;
  e << YAML::Key << "max_series" << YAML::Value << m.max_series;
  e << YAML::EndMap;

  const GrpcSettings& g = s.grpc;
  e << YAML::Key << "grpc" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "bind" << YAML::Value << g.bind;
  if (g.tls) {
    e << YAML::Key << "tls" << YAML::Value << YAML::BeginMap;
    e << YAML::Key << "cert" << YAML::Value << g.tls->cert;
    e << YAML::Key << "key" << YAML::Value << g.tls->key;
    if (g.tls->client_ca) e << YAML::Key << "client_ca" << YAML::Value << *g.tls->client_ca;
    e << YAML::EndMap;
  }
  e << YAML::Key << "max_message_bytes" << YAML::Value << format_byte_size(g.max_message_bytes);
  e << YAML::EndMap;

  const LimitsSettings& l = s.limits;
  e << YAML::Key << "limits" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "max_message_bytes" << YAML::Value << format_byte_size(l.max_message_bytes);
  e << YAML::Key << "max_classes" << YAML::Value << l.max_classes;
  e << YAML::Key << "max_detections_per_event" << YAML::Value << l.max_detections_per_event;
  e << YAML::EndMap;

  e << YAML::Key << "logging" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "level" << YAML::Value << std::string(to_string(s.logging.level));
  e << YAML::Key << "format" << YAML::Value << std::string(to_string(s.logging.format));
  e << YAML::EndMap;

  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace predwatch::config
