// predwatch::config::Settings — the typed configuration of predwatchd.
//
// Defaults are the member initializers below; each setting's name, kind, bounds and meaning
// are in the one table of config/schema.cc (from which the loader validates, render_yaml
// writes and docs/CONFIG.md is checked). A default-constructed Settings is the
// configuration of an empty YAML file and is valid. Settings are plain values: copyable,
// comparable with ==, no invariants beyond those the loader checks. Only the loader produces
// validated instances; code that builds a Settings by hand is responsible for keeping it
// within bounds.
//
// Thread-safety: plain data; safe to share read-only between threads.
#ifndef PREDWATCH_CONFIG_SETTINGS_H_
#define PREDWATCH_CONFIG_SETTINGS_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace predwatch::config {

using Millis = std::chrono::milliseconds;

inline constexpr std::int64_t kKiB = 1024;
inline constexpr std::int64_t kMiB = 1024 * kKiB;
inline constexpr std::int64_t kGiB = 1024 * kMiB;

// ---- enumerations (YAML spellings in the comments; to_string gives them back) ----

enum class Decoder { kJson, kProtobuf, kAuto };  // json | protobuf | auto
enum class WindowType { kTime, kCount };         // time | count
// bh | bonferroni | bh_kinds | bh_presence (the order of config/schema.cc's names)
enum class Correction {
  kBenjaminiHochberg,
  kBonferroni,
  kBenjaminiHochbergByKind,
  kBenjaminiHochbergPresence
};
enum class DriftMeasure { kJsDistance, kPsi, kHellinger };     // js_distance | psi | hellinger
enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError };  // trace|debug|info|warn|error
enum class LogFormat { kText, kJson };                         // text | json
enum class EvaluationClock { kWall, kEvent };                  // wall | event
enum class ClassScores { kFlagged, kTested };                  // flagged | tested
// Event mappings (kafka.mappings[], docs/EVENTS.md "Other shapes"):
enum class MappingPreset { kNone, kUltralytics, kTorchvision, kCocoResults, kKserveV2 };
// none | ultralytics | torchvision | coco_results | kserve_v2
enum class TimestampUnit { kAuto, kRfc3339, kSeconds, kMillis, kMicros, kNanos };
// auto | rfc3339 | s | ms | us | ns
enum class DetectionLayout { kRows, kColumns };  // rows | columns
enum class BoxFormat { kXyxy, kXywh, kCxcywh };  // xyxy | xywh | cxcywh
enum class BoxUnits { kPixels, kNormalized };    // pixels | normalized
enum class DriftKind {
  kClassDistribution,  // class_distribution
  kPairRate,           // pair_rate
  kNovelPair,          // novel_pair
  kObjectsPerImage,    // objects_per_image
  kSpatial,            // spatial
  kConfidence,         // confidence
  kBoxSize,            // box_size
  kClassAppeared,      // class_appeared
  kClassVanished,      // class_vanished
  kObjectsPerFrame,    // objects_per_frame
};

// All drift kinds in declaration order (the default of drift.kinds).
std::vector<DriftKind> all_drift_kinds();

std::string_view to_string(Decoder v);
std::string_view to_string(WindowType v);
std::string_view to_string(Correction v);
std::string_view to_string(DriftMeasure v);
std::string_view to_string(LogLevel v);
std::string_view to_string(LogFormat v);
std::string_view to_string(EvaluationClock v);
std::string_view to_string(DriftKind v);

// ---- kafka ----

// How the JSON events of one topic map onto a PredictionEvent, for producers that send
// another shape (a detector's own output). Each field source is a string:
//   "a.b.0.c"  a path into the JSON payload (keys and array indices, dot-separated; "$" alone
//              is the payload itself, "$." may prefix a path; "outputs[name=boxes]" is the
//              element of the list `outputs` whose `name` is "boxes");
//   "@key", "@timestamp", "@topic", "@offset"  the Kafka message's key, timestamp (ms),
//              topic, or "<partition>:<offset>";
//   "=text"    a constant.
// Detection fields (class_name, class_id, confidence, box) are paths relative to one
// detection (layout rows) or paths of parallel arrays (layout columns). An empty source or
// an unset option takes the preset's (daemon/ingest/event_mapping.h); preset none is
// PredictionEvent's own field names.
// Every member has an initializer, so designated initializers may leave any out.
struct EventMappingSettings {
  std::string topic{};  // one of kafka.topics; unique
  MappingPreset preset = MappingPreset::kNone;
  std::string stream{}, frame_id{}, timestamp{}, detections{};
  std::string class_name{}, class_id{}, confidence{}, box{};
  std::string image_width{}, image_height{}, image_uri{}, model_name{}, model_version{};
  std::optional<TimestampUnit> timestamp_unit{};
  std::optional<DetectionLayout> layout{};
  std::optional<BoxFormat> box_format{};
  std::optional<BoxUnits> box_units{};
  std::vector<std::string> box_keys{};  // an object box's 4 keys, in box_format's order
  // Index -> name: a YOLO data.yaml (`names`), a text file of one name per line, or a COCO
  // JSON file (`categories` id -> name); resolved against the config file's directory.
  std::optional<std::string> class_names{};

  bool operator==(const EventMappingSettings&) const = default;
};

struct KafkaSettings {
  // Comma-separated bootstrap brokers (host:port,...). Must be empty when embedded is true.
  std::string brokers = "localhost:9092";
  // true: run librdkafka's in-process mock cluster (demo/tests); brokers is then "".
  bool embedded = false;
  // Topics to consume; at least one, no duplicates.
  std::vector<std::string> topics = {"predictions"};
  std::string group_id = "predwatch";
  // Payload decoder; kAuto picks by the message's content-type header.
  Decoder decoder = Decoder::kAuto;
  // Where undecodable / over-limit messages are copied; unset = drop (and count).
  std::optional<std::string> dead_letter_topic;
  // Extra librdkafka properties, passed through verbatim (secrets masked when rendered). A
  // value that is exactly "${env:NAME}" or "${file:PATH}" is a secret reference, kept as
  // written here (the loader has checked its form and made PATH absolute) and resolved by
  // predwatchd when it configures the client (daemon/app/secret_ref.h).
  std::map<std::string, std::string> properties;
  // The dead-letter producer's own librdkafka properties (e.g. acks, compression.type,
  // queue.buffering.max.messages), applied after the connection settings it shares with the
  // consumer from `properties` (security.*, sasl.*, ssl.*, client.id). Secret references as
  // in `properties`. Only with dead_letter_topic.
  std::map<std::string, std::string> dead_letter_properties;
  // Per-topic event mappings (JSON only); a topic without one takes PredictionEvents.
  std::vector<EventMappingSettings> mappings;
  // How often consumed offsets are committed, in milliseconds
  std::int64_t commit_interval_ms = 5000;
  // On start, re-read retained history covering the longest time window to rebuild window
  // state before reporting drift (false: windows start empty at the committed offsets).
  bool rebuild = true;
  // How far back the rebuild replays; 0 = the longest time window plus its lateness. Longer
  // covers the count windows of slow streams (last N frames spanning more than that).
  Millis rebuild_horizon{0};

  bool operator==(const KafkaSettings&) const = default;
};

// ---- streams ----

inline constexpr std::string_view kStreamTemplateKey = "*";

// Label names streams.entries[].labels cannot use: those of the alert series themselves and
// Prometheus' target labels.
inline constexpr std::string_view kReservedAlertLabels[] = {
    "stream", "kind", "subject", "window", "state", "against", "job", "instance", "alertname"};
inline constexpr std::size_t kMaxStreamLabels = 8;
inline constexpr std::size_t kMaxStreamLabelValueBytes = 128;

// Every member has an initializer, so designated initializers may leave any out.
struct StreamSettings {
  // Stream key as carried by events, or "*": the template for every unlisted stream.
  std::string key{};
  // Expected class names; empty means "auto" (learn the classes from the data).
  std::vector<std::string> classes{};
  // Path of a YAML file mapping raw labels to class names; resolved against the config
  // file's directory by load_config_file.
  std::optional<std::string> class_map{};
  // Path of the baseline file drift is measured against (resolved like class_map).
  std::optional<std::string> baseline{};
  // Names of windows (from Settings::windows) kept for this stream; empty means all.
  std::vector<std::string> windows{};
  // Overrides statistics.min_confidence for this stream.
  std::optional<double> min_confidence{};
  // Routing context (team, site, model...) put on this stream's alert series, so that
  // Prometheus alerts and Alertmanager routes carry it; names are Prometheus label names
  // other than predwatch's own (kReservedAlertLabels).
  std::map<std::string, std::string> labels{};

  bool operator==(const StreamSettings&) const = default;
};

struct StreamsSettings {
  // Maximum number of distinct streams tracked; events of further streams are dropped
  // (and counted)
  std::int64_t max_streams = 10000;
  // Admission by memory: new streams are refused while the streams' state would exceed this
  // many bytes (0 = no budget; kAutoMemoryBudget: decided at start from the memory the
  // process may use, daemon/app/memory_budget.h).
  static constexpr std::int64_t kAutoMemoryBudget = -1;
  std::int64_t max_memory = kAutoMemoryBudget;
  // A stream without events for this long is dropped with its state and alerts (0 = never).
  Millis idle_expiry{86'400'000};
  // Each model version of a stream is a stream of its own, "<stream>@<version>"; a new
  // version is judged against the previous one's learned reference (canary).
  bool split_model_versions = false;
  // Per-stream settings; unique keys; at most one "*".
  std::vector<StreamSettings> entries;

  bool operator==(const StreamsSettings&) const = default;
};

// ---- windows ----

struct WindowSettings {
  std::string name;  // unique, [A-Za-z0-9_.-]+
  WindowType type = WindowType::kTime;
  // Time windows only: window length and pane (slide granularity); length is a multiple
  // of pane and length / pane <= 3600. allowed_lateness: how far behind the newest event
  // time an event may arrive and still be counted (<= length; the loader's default is one
  // pane).
  Millis length{0};
  Millis pane{0};
  Millis allowed_lateness{0};
  // Count windows only: number of most recent frames kept
  std::int64_t frames = 0;

  bool operator==(const WindowSettings&) const = default;
};

// "5m" (10s panes), "1h" (1m panes), "last10k" (count window of 10000 frames); the time
// windows allow one pane of lateness.
std::vector<WindowSettings> default_windows();

// ---- statistics ----

struct StatisticsSettings {
  std::int64_t heatmap_grid = 16;                // spatial heatmap cells per side
  std::int64_t exemplars_per_key = 5;            // example event ids kept per key
  std::int64_t max_classes = 1000;               // classes tracked per stream
  std::int64_t max_detections_per_event = 1000;  // detections counted per event
  double min_confidence = 0;  // detections scored below this are left out (counted)

  bool operator==(const StatisticsSettings&) const = default;
};

// ---- drift ----

struct DriftThresholds {
  double js_distance = 0.1;      // Jensen–Shannon distance (base 2) alarm level
  double psi_warn = 0.1;         // PSI "watch" level
  double psi = 0.25;             // PSI "act" level
  double hellinger_warn = 0.15;  // Hellinger "possible drift" level
  double hellinger = 0.4;        // Hellinger distance alarm level
  DriftMeasure measure = DriftMeasure::kJsDistance;  // the distance that decides "effect"
  double alpha = 0.05;                               // significance level of tests after correction
  std::int64_t min_frames = 200;       // minimum frames in a window before it is judged
  std::int64_t min_class_images = 30;  // per-class tests: images with the class, each side
  std::int64_t min_pair_count = 5;     // pair/appeared: minimum window frames; vanished: expected
  double min_rate_ratio = 2.0;         // pair_rate: window rate / smoothed baseline rate
  Correction correction = Correction::kBenjaminiHochbergPresence;  // multiple-testing correction
  double smoothing_epsilon = 1e-4;  // added to empty bins before PSI/JS
  double min_window_fill = 1.0;     // share of a window's length/capacity covered before judging
  bool minimum_effect = true;       // tests' null: "within the threshold", not "no change"

  bool operator==(const DriftThresholds&) const = default;
};

// A partial DriftThresholds: set fields replace the layer below.
struct ThresholdOverrides {
  std::optional<double> js_distance;
  std::optional<double> psi_warn;
  std::optional<double> psi;
  std::optional<double> hellinger_warn;
  std::optional<double> hellinger;
  std::optional<DriftMeasure> measure;
  std::optional<double> alpha;
  std::optional<std::int64_t> min_frames;
  std::optional<std::int64_t> min_class_images;
  std::optional<std::int64_t> min_pair_count;
  std::optional<double> min_rate_ratio;
  std::optional<Correction> correction;
  std::optional<double> smoothing_epsilon;
  std::optional<double> min_window_fill;
  std::optional<bool> minimum_effect;

  bool operator==(const ThresholdOverrides&) const = default;
};

// Returns base with every set field of over replacing the corresponding field.
DriftThresholds apply_overrides(DriftThresholds base, const ThresholdOverrides& over);

struct DriftSettings {
  Millis evaluation_interval{10'000};                         // how often drift is evaluated
  EvaluationClock evaluation_clock = EvaluationClock::kWall;  // what decides when
  std::int64_t judgments_per_window = 30;  // a window is judged again after 1/N renewed
  DriftThresholds thresholds;
  std::map<std::string, ThresholdOverrides> per_stream;  // stream key -> overrides
  std::map<std::string, ThresholdOverrides> per_class;   // class name -> overrides
  std::vector<DriftKind> kinds = all_drift_kinds();      // enabled kinds, no duplicates

  bool operator==(const DriftSettings&) const = default;
};

// ---- alerting ----

struct AlertingSettings {
  std::int64_t for_evaluations = 3;      // consecutive drifting evaluations to fire
  std::int64_t resolve_evaluations = 3;  // consecutive calm evaluations to resolve
  // An evaluation counts as calm when score < resolve_ratio * threshold (hysteresis)
  double resolve_ratio = 0.8;
  // Weak evidence (p > immediate_p) must stay flagged while confirm_share of the window is
  // replaced by new frames (docs/DRIFT.md "Repeated looks").
  double confirm_share = 0.25;
  double immediate_p = 1e-5;
  // New pair alerts sharing a class with an active one of the same kind fold into it.
  bool fold_pairs = true;

  bool operator==(const AlertingSettings&) const = default;
};

// ---- reference (a stream's learned reference, docs/DRIFT.md "Learned reference") ----

// The kinds judged against the learned reference by default: those a training baseline
// cannot judge well (confidence, detector-specific counts and sizes).
std::vector<DriftKind> default_reference_kinds();

struct ReferenceSettings {
  bool enabled = true;
  std::int64_t frames = 36'000;     // complete after this many frames (0 = unused)
  Millis duration{3'600'000};       // ... or when its event-time span reaches this (0 = unused)
  std::int64_t min_frames = 2'000;  // never complete with fewer
  double alpha = 1e-4;              // significance level of the tests against the reference
  std::vector<DriftKind> kinds = default_reference_kinds();

  bool operator==(const ReferenceSettings&) const = default;
};

// ---- state (what survives a restart) ----

struct StateSettings {
  // Learned references, baselines installed over gRPC, pending and firing alerts
  // (daemon/baseline/state_store.h); "" = nothing is persisted.
  std::string dir;

  bool operator==(const StateSettings&) const = default;
};

// ---- metrics (Prometheus) ----

struct MetricsSettings {
  std::string bind = "0.0.0.0:9464";        // host:port of /metrics; port 0 = any
  std::int64_t max_classes_exported = 200;  // per-class series per stream
  std::int64_t top_pairs = 20;              // class pairs exported per stream
  std::int64_t max_series = 60000;          // total series cap
  // Windows with per-class series (statistics and drift scores): empty (`[]`) = the first window
  // of `windows`; {"*"} = every window. Elsewhere only flagged per-class scores.
  std::vector<std::string> class_windows;
  // Per-class drift scores in class_windows: flagged findings only, or every tested one.
  ClassScores class_scores = ClassScores::kFlagged;

  bool operator==(const MetricsSettings&) const = default;
};

// ---- grpc ----

struct TlsSettings {
  std::string cert;                      // PEM certificate chain path (required)
  std::string key;                       // PEM private key path (required)
  std::optional<std::string> client_ca;  // set: require client certificates signed by it

  bool operator==(const TlsSettings&) const = default;
};

// Bearer tokens of the gRPC API (docs/SECURITY.md). Each token comes from a file (its
// content, one trailing newline removed) or an environment variable, never from the YAML.
struct GrpcAuthSettings {
  std::optional<std::string> token_file;       // write token (mutating RPCs; it also reads)
  std::optional<std::string> token_env;        // ... or from this variable (not both)
  std::optional<std::string> read_token_file;  // set: read RPCs need this or the write token
  std::optional<std::string> read_token_env;   // ... or from this variable (not both)
  // Without a write token, mutating RPCs are refused unless the bind is loopback or client
  // certificates are required; true allows them from anyone who reaches the port.
  bool allow_unauthenticated_mutations = false;

  bool operator==(const GrpcAuthSettings&) const = default;
};

struct GrpcSettings {
  std::string bind = "127.0.0.1:50051";  // host:port; port 0 = any
  std::optional<TlsSettings> tls;        // unset = plaintext
  // Set: a second, plaintext listener serving only grpc.health.v1 (probes that cannot speak
  // TLS); host:port, its port differs from bind's and metrics.bind's.
  std::optional<std::string> health_bind;
  GrpcAuthSettings auth;
  std::int64_t max_message_bytes = 16 * kMiB;
  // The other replicas of the consumer group (host:port; a name stands for all its
  // addresses), asked for the streams this replica does not hold (daemon/api/peer_router.h);
  // empty = this replica answers alone.
  std::vector<std::string> peers;
  Millis peer_timeout{3000};
  std::optional<std::string> peer_tls_name;  // set: the name the peers' certificates carry

  bool operator==(const GrpcSettings&) const = default;
};

// ---- web (the web view and its JSON API, docs/WEB.md) ----

struct WebSettings {
  bool enabled = true;
  // host:port; port 0 = any. Loopback by default: plain HTTP (the JSON API takes the read
  // token of grpc.auth); other hosts go through a TLS-terminating proxy.
  std::string bind = "127.0.0.1:8088";

  bool operator==(const WebSettings&) const = default;
};

// ---- limits ----

struct LimitsSettings {
  std::int64_t max_message_bytes = 1 * kMiB;  // larger Kafka messages are rejected
  // Events with more detections are rejected.
  std::int64_t max_detections_per_event = 10000;
  // Events this far ahead of the Kafka message timestamp (or, without one, of the stream's
  // newest event) are rejected as clock_skew; 0 = unbounded.
  Millis max_future_skew{300'000};

  bool operator==(const LimitsSettings&) const = default;
};

// ---- logging ----

struct LoggingSettings {
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kText;

  bool operator==(const LoggingSettings&) const = default;
};

struct Settings {
  KafkaSettings kafka;
  StreamsSettings streams;
  std::vector<WindowSettings> windows = default_windows();
  StatisticsSettings statistics;
  DriftSettings drift;
  AlertingSettings alerting;
  ReferenceSettings reference;
  StateSettings state;
  MetricsSettings metrics;
  GrpcSettings grpc;
  WebSettings web;
  LimitsSettings limits;
  LoggingSettings logging;

  bool operator==(const Settings&) const = default;
};

// Thresholds in force for (stream, class): drift.thresholds, then drift.per_stream[stream]
// (if present), then drift.per_class[class_name] (if present); later layers win field by field.
// An empty class_name means stream-level statistics (per_class is not consulted).
DriftThresholds resolve_thresholds(const Settings& settings, std::string_view stream,
                                   std::string_view class_name);

// Settings in force for a stream: its entry in streams.entries, else (with
// streams.split_model_versions, for a model version's stream "<key>@<version>") the entry of
// <key>, else the "*" template, else defaults (auto classes, no class map, no baseline, all
// windows). The result's key is stream.
StreamSettings stream_settings(const Settings& settings, std::string_view stream);

// The automatic Kafka rebuild horizon: the longest time window plus its allowed lateness plus
// limits.max_future_skew (0 without time windows). kafka.rebuild_horizon, when set, must be
// at least this.
Millis automatic_rebuild_horizon(const Settings& settings);

}  // namespace predwatch::config

#endif  // PREDWATCH_CONFIG_SETTINGS_H_
