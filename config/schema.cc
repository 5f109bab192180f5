#include "config/schema.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <type_traits>

#include "config/duration.h"

namespace predwatch::config {
namespace {

template <typename T>
Value to_value(const T& v) {
  if constexpr (std::is_enum_v<T>) {
    return Value(static_cast<std::int64_t>(v));
  } else {
    return Value(v);
  }
}

template <typename T>
T from_value(const Value& v) {
  if constexpr (std::is_enum_v<T>) {
    return static_cast<T>(std::get<std::int64_t>(v));
  } else {
    return std::get<T>(v);
  }
}

// A section-level scalar: settings.*Section.*Member.
template <auto Section, auto Member>
constexpr Access<Settings> field() {
  return {[](const Settings& s) -> std::optional<Value> { return to_value((s.*Section).*Member); },
          [](Settings& s, const Value& v) {
            auto& f = (s.*Section).*Member;
            f = from_value<std::remove_cvref_t<decltype(f)>>(v);
          }};
}

template <auto Member>
constexpr Access<DriftThresholds> threshold() {
  return {[](const DriftThresholds& t) -> std::optional<Value> { return to_value(t.*Member); },
          [](DriftThresholds& t, const Value& v) {
            t.*Member = from_value<std::remove_cvref_t<decltype(t.*Member)>>(v);
          }};
}

template <auto Member>
constexpr Access<ThresholdOverrides> override_of() {
  return {[](const ThresholdOverrides& o) -> std::optional<Value> {
            if (!(o.*Member)) return std::nullopt;
            return to_value(*(o.*Member));
          },
          [](ThresholdOverrides& o, const Value& v) {
            using T = typename std::remove_cvref_t<decltype(o.*Member)>::value_type;
            o.*Member = from_value<T>(v);
          }};
}

constexpr std::array<std::string_view, 3> kDecoders = {"json", "protobuf", "auto"};
constexpr std::array<std::string_view, 2> kWindowTypes = {"time", "count"};
constexpr std::array<std::string_view, 3> kMeasures = {"js_distance", "psi", "hellinger"};
constexpr std::array<std::string_view, 4> kCorrections = {"bh", "bonferroni", "bh_kinds",
                                                          "bh_presence"};
constexpr std::array<std::string_view, 5> kLogLevels = {"trace", "debug", "info", "warn", "error"};
constexpr std::array<std::string_view, 2> kLogFormats = {"text", "json"};
constexpr std::array<std::string_view, 2> kEvaluationClocks = {"wall", "event"};
constexpr std::array<std::string_view, 2> kClassScores = {"flagged", "tested"};
constexpr std::array<std::string_view, 10> kDriftKinds = {
    "class_distribution", "pair_rate", "novel_pair",     "objects_per_image", "spatial",
    "confidence",         "box_size",  "class_appeared", "class_vanished",    "objects_per_frame"};

constexpr std::array<std::string_view, 5> kMappingPresets = {"none", "ultralytics", "torchvision",
                                                             "coco_results", "kserve_v2"};
constexpr std::array<std::string_view, 6> kTimestampUnits = {"auto", "rfc3339", "s",
                                                             "ms",   "us",      "ns"};
constexpr std::array<std::string_view, 2> kLayouts = {"rows", "columns"};
constexpr std::array<std::string_view, 3> kBoxFormats = {"xyxy", "xywh", "cxcywh"};
constexpr std::array<std::string_view, 2> kBoxUnits = {"pixels", "normalized"};

constexpr double kMs = 1;
constexpr double kSecond = 1000 * kMs;
constexpr double kMinute = 60 * kSecond;
constexpr double kHour = 60 * kMinute;
constexpr double kDay = 24 * kHour;

Interval closed(double lo, double hi) { return {lo, hi, false, false}; }
Interval open_closed(double lo, double hi) { return {lo, hi, true, false}; }

#define PW_FIELD(section, member) field<&Settings::section, &decltype(Settings::section)::member>()
#define PW_THRESHOLD(member)                              \
  .in_thresholds = threshold<&DriftThresholds::member>(), \
  .in_overrides = override_of<&ThresholdOverrides::member>()

const std::vector<Setting>& table() {
  static const std::vector<Setting> rows = {
      // ---- kafka ----
      {.path = "kafka.brokers",
       .kind = Kind::kOther,
       .type = "string",
       .bounds_note = "comma-separated host:port list; must be empty (or left out) when "
                      "`embedded` is true",
       .doc = "Bootstrap brokers.",
       .in_settings = PW_FIELD(kafka, brokers)},
      {.path = "kafka.embedded",
       .kind = Kind::kBool,
       .doc = "Run librdkafka's in-process mock cluster instead of connecting (demo, tests).",
       .in_settings = PW_FIELD(kafka, embedded)},
      {.path = "kafka.topics",
       .type = "list of string",
       .default_text = "`[predictions]`",
       .bounds_note = "≥ 1, unique, `[A-Za-z0-9._-]`, ≤ 249 chars",
       .doc = "Topics carrying prediction events."},
      {.path = "kafka.group_id",
       .kind = Kind::kString,
       .bounds_note = "non-empty",
       .doc = "Consumer group id.",
       .in_settings = PW_FIELD(kafka, group_id)},
      {.path = "kafka.decoder",
       .kind = Kind::kEnum,
       .names = kDecoders,
       .doc = "Payload decoder; `auto` picks per message from the content-type header.",
       .in_settings = PW_FIELD(kafka, decoder)},
      {.path = "kafka.dead_letter_topic",
       .type = "string",
       .default_text = "unset",
       .bounds_note = "topic name, not one of `topics`",
       .doc = "Receives undecodable / over-limit messages and events the monitor rejects "
              "(unknown stream, clock skew, …), with headers `predwatch-reason`, "
              "`predwatch-error`, `predwatch-source`; a message's offset is committed only "
              "once its copy is acknowledged (docs/KAFKA.md); unset = drop and count them."},
      {.path = "kafka.properties",
       .type = "map string → string",
       .default_text = "`{}`",
       .bounds_note = "not `bootstrap.servers`, `metadata.broker.list`, `group.id`, "
                      "`enable.auto.commit`, `auto.commit.interval.ms` (set from the settings "
                      "above)",
       .doc = "Extra librdkafka properties, passed verbatim. A value written exactly "
              "`${env:NAME}` or `${file:PATH}` (PATH relative to the config file) is a secret "
              "reference: predwatchd reads the variable or the file (one trailing newline "
              "removed) when it starts, and neither the value nor the file's content is ever "
              "logged. Literal values of keys containing password, secret, jaas, token, "
              "credentials or ssl.key.pem are masked when logged (docs/SECURITY.md)."},
      {.path = "kafka.dead_letter_properties",
       .type = "map string → string",
       .default_text = "`{}`",
       .bounds_note = "only with `dead_letter_topic`; not `bootstrap.servers`, "
                      "`metadata.broker.list`",
       .doc = "The dead-letter producer's own librdkafka properties (e.g. `acks`, "
              "`compression.type`, `queue.buffering.max.messages`), applied after what it "
              "shares with the consumer from `properties` (`security.*`, `sasl.*`, `ssl.*`, "
              "`client.id`) and its `linger.ms` 5. Secret references and masking as in "
              "`properties`. A full producer queue makes the consumer wait, never drop."},
      {.path = "kafka.commit_interval_ms",
       .kind = Kind::kInteger,
       .bounds = closed(100, 3'600'000),
       .type = "integer (ms)",
       .doc = "How often consumed offsets are committed.",
       .in_settings = PW_FIELD(kafka, commit_interval_ms)},
      {.path = "kafka.rebuild",
       .kind = Kind::kBool,
       .doc = "On start, re-read the retained history covering the longest time window to "
              "rebuild window state before drift is reported (false: windows start empty).",
       .in_settings = PW_FIELD(kafka, rebuild)},
      {.path = "kafka.rebuild_horizon",
       .kind = Kind::kDuration,
       .bounds = closed(0, 30 * kDay),
       .bounds_note = "; 0 = automatic; else ≥ the automatic horizon",
       .doc = "How far back the rebuild replays (message timestamps). Automatic: the longest "
              "time window plus its allowed lateness plus limits.max_future_skew (an accepted "
              "event's message may be that much older than the event). A count window (last N "
              "frames) of a "
              "stream slower than N frames per horizon restarts with only the horizon's "
              "frames (not judged until refilled), and with only count windows nothing is "
              "replayed (a warning at start); set this to N / the slowest stream's "
              "frame rate to rebuild it too (docs/KAFKA.md \"Delivery semantics\"), within "
              "the topic's retention.",
       .in_settings = PW_FIELD(kafka, rebuild_horizon)},
      {.path = "kafka.mappings",
       .type = "list",
       .default_text = "`[]`",
       .bounds_note = "one per topic of `topics`",
       .doc = "Event mappings: how the JSON messages of a topic that does not carry "
              "PredictionEvents (a detector's own output) map onto one (docs/EVENTS.md "
              "\"Other shapes\"). A field source is a path into the JSON (`a.b`, `boxes.0`, "
              "`outputs[name=boxes].data`, `$` = the payload), `@key`, `@timestamp`, "
              "`@topic`, `@offset` (the Kafka message's), or `=text` (a constant). Unset "
              "fields take the preset's."},
      {.path = "kafka.mappings[].topic",
       .type = "string",
       .default_text = "required",
       .bounds_note = "one of `topics`, unique",
       .doc = "The topic whose messages this mapping decodes (JSON only)."},
      {.path = "kafka.mappings[].preset",
       .kind = Kind::kEnum,
       .names = kMappingPresets,
       .default_text = "`none`",
       .doc = "Field names of a known output: `ultralytics` (`Results.summary()` rows: name, "
              "class, confidence, box x1..y2 in pixels), `torchvision` (columns boxes, labels, "
              "scores), `coco_results` (rows category_id, bbox [x, y, w, h] in pixels, score; "
              "frame id `image_id`), `kserve_v2` (a Triton / KServe v2 inference response: "
              "the data of the outputs named boxes, labels and scores, boxes flattened; frame "
              "id `id`, model `model_name` and `model_version`, stream `@key`, time "
              "`@timestamp`); `none` = PredictionEvent's own names. Other frame fields "
              "default to PredictionEvent's names."},
      {.path = "kafka.mappings[].stream",
       .type = "field source",
       .default_text = "`stream`",
       .bounds_note = "path, `@key`, `@topic` or `=text`",
       .doc = "The stream key."},
      {.path = "kafka.mappings[].frame_id",
       .type = "field source",
       .default_text = "preset's (`frame_id`)",
       .bounds_note = "path, `@key`, `@offset` or `=text`; a number is taken as its decimal text",
       .doc = "The frame id."},
      {.path = "kafka.mappings[].timestamp",
       .type = "field source",
       .default_text = "`timestamp`",
       .bounds_note = "path or `@timestamp`",
       .doc = "The event time, read as `timestamp_unit` says."},
      {.path = "kafka.mappings[].timestamp_unit",
       .kind = Kind::kEnum,
       .names = kTimestampUnits,
       .default_text = "`auto`",
       .doc = "`auto`: a string is RFC 3339, a number is epoch seconds, milliseconds, "
              "microseconds or nanoseconds by its size (< 1e11 s, < 1e14 ms, < 1e17 µs, else "
              "ns: unambiguous for dates 1973–5138); or one fixed unit."},
      {.path = "kafka.mappings[].detections",
       .type = "path",
       .default_text = "preset's (`detections`)",
       .bounds_note = "`$` = the payload is the list; layout columns: unused",
       .doc = "The list of detection objects (layout rows)."},
      {.path = "kafka.mappings[].layout",
       .kind = Kind::kEnum,
       .names = kLayouts,
       .default_text = "preset's (`rows`)",
       .doc = "`rows`: a list of detection objects; `columns`: parallel lists (one of "
              "boxes, one of classes, one of scores), as torchvision returns them."},
      {.path = "kafka.mappings[].class_name",
       .type = "path",
       .default_text = "preset's",
       .bounds_note = "in a detection (rows) or of a list (columns)",
       .doc = "The class as a name."},
      {.path = "kafka.mappings[].class_id",
       .type = "path",
       .default_text = "preset's",
       .bounds_note = "in a detection (rows) or of a list (columns)",
       .doc = "The class as an integer index, named by `class_names` (else by the stream's "
              "`classes` list)."},
      {.path = "kafka.mappings[].class_names",
       .type = "path",
       .default_text = "unset",
       .bounds_note = "an existing file; relative to the config file",
       .doc = "Names of class indices: a YOLO data.yaml (`names` list or map), a text file "
              "of one name per line (classes.txt, *.names), or a COCO JSON file (its "
              "`categories`, id → name). An index it lacks rejects the event (bad_value)."},
      {.path = "kafka.mappings[].confidence",
       .type = "path",
       .default_text = "preset's",
       .bounds_note = "in a detection (rows) or of a list (columns)",
       .doc = "The detection's score in [0, 1]; absent = ground truth."},
      {.path = "kafka.mappings[].box",
       .type = "path",
       .default_text = "preset's",
       .bounds_note = "in a detection (rows) or of a list (columns)",
       .doc = "The box: a list of 4 numbers, or an object with `box_keys`; layout columns "
              "also takes one flat list of 4 numbers per detection."},
      {.path = "kafka.mappings[].box_format",
       .kind = Kind::kEnum,
       .names = kBoxFormats,
       .default_text = "preset's (`xyxy`)",
       .doc = "Corners (`xyxy`), corner and size (`xywh`) or centre and size (`cxcywh`)."},
      {.path = "kafka.mappings[].box_units",
       .kind = Kind::kEnum,
       .names = kBoxUnits,
       .default_text = "preset's (`pixels`)",
       .doc = "Pixels (needs the image size) or fractions of the image side."},
      {.path = "kafka.mappings[].box_keys",
       .type = "list of 4 string",
       .default_text = "preset's",
       .bounds_note = "in `box_format`'s order",
       .doc = "Keys of an object box (e.g. `[x1, y1, x2, y2]`); without them an object box "
              "uses `x_min, y_min, x_max, y_max` (xyxy), `x, y, w, h` (xywh) or `cx, cy, w, h` "
              "(cxcywh)."},
      {.path = "kafka.mappings[].image_width",
       .type = "field source",
       .default_text = "`image.width`",
       .bounds_note = "path or `=number`",
       .doc = "Image width in pixels (pixel boxes)."},
      {.path = "kafka.mappings[].image_height",
       .type = "field source",
       .default_text = "`image.height`",
       .bounds_note = "path or `=number`",
       .doc = "Image height in pixels (pixel boxes)."},
      {.path = "kafka.mappings[].image_uri",
       .type = "field source",
       .default_text = "`image.uri`",
       .bounds_note = "path or `=text`",
       .doc = "Where a person can open the image (exemplars)."},
      {.path = "kafka.mappings[].model_name",
       .type = "field source",
       .default_text = "`model.name`",
       .bounds_note = "path or `=text`",
       .doc = "The model's name."},
      {.path = "kafka.mappings[].model_version",
       .type = "field source",
       .default_text = "`model.version`",
       .bounds_note = "path or `=text`",
       .doc = "The model's version."},

      // ---- streams ----
      {.path = "streams.max_streams",
       .kind = Kind::kInteger,
       .bounds = closed(1, 1'000'000),
       .bounds_note = ", ≥ number of non-`*` entries",
       .doc = "Most distinct streams tracked; events of further streams are dropped and counted.",
       .in_settings = PW_FIELD(streams, max_streams)},
      {.path = "streams.max_memory",
       .kind = Kind::kBytes,
       .bounds = closed(0, double(1024) * double(kGiB)),
       .type = "bytes or `auto`",
       .default_text = "`auto`",
       .bounds_note = "; 0 = no budget",
       .doc = "Memory budget of the streams' state (windows, exemplars, learned references, "
              "measured at each evaluation): a new stream is refused (`memory_budget`, "
              "counted and dead-lettered) while admitting it would exceed the budget; "
              "existing streams go on. `auto`: 70 % of the memory the process may use (its "
              "cgroup's memory.max, else the machine's memory), read at start and logged, so "
              "that more streams than fit are refused instead of the daemon being killed "
              "out of memory. `predwatch_state_bytes` shows the measure; size it with "
              "docs/BENCHMARKS.md \"Memory per stream\"."},
      {.path = "streams.idle_expiry",
       .kind = Kind::kDuration,
       .bounds = closed(0, 365 * kDay),
       .bounds_note = "; 0 = never; ≥ the longest time window",
       .doc = "A stream without events for this long (its newest event time against the "
              "evaluation clock) is dropped: its windows, learned reference in memory and "
              "pending or firing alerts (dropped with a note); a saved reference stays on "
              "disk. It frees the memory of cameras that were removed.",
       .in_settings = PW_FIELD(streams, idle_expiry)},
      {.path = "streams.split_model_versions",
       .kind = Kind::kBool,
       .doc = "Model versions as a dimension (docs/DRIFT.md \"Model versions\"): an event "
              "with `model.version` V counts in the stream `<stream>@V` (its own windows, "
              "statistics, alerts and series; the configuration and thresholds of "
              "`<stream>`). A new version starts with a copy of the previous version's "
              "complete learned reference and is judged against it on every drift kind "
              "(canary); old versions expire with `idle_expiry`.",
       .in_settings = PW_FIELD(streams, split_model_versions)},
      {.path = "streams.entries",
       .type = "list",
       .default_text = "`[]`",
       .bounds_note = "unique keys",
       .doc = "Per-stream settings. A stream not listed uses the `*` entry, else the defaults "
              "below."},
      {.path = "streams.entries[].key",
       .type = "string",
       .default_text = "required",
       .bounds_note = "non-empty; `*` = template for all unlisted streams",
       .doc = "Stream key carried by events."},
      {.path = "streams.entries[].classes",
       .type = "`auto` or list of string",
       .default_text = "`auto`",
       .bounds_note = "non-empty list, unique, ≤ `statistics.max_classes`",
       .doc = "Expected classes; `auto` learns them from the data."},
      {.path = "streams.entries[].class_map",
       .type = "path",
       .default_text = "unset",
       .bounds_note = "existing file",
       .doc = "YAML file mapping raw labels to class names."},
      {.path = "streams.entries[].baseline",
       .type = "path",
       .default_text = "unset",
       .bounds_note = "existing file",
       .doc = "Baseline drift is measured against."},
      {.path = "streams.entries[].windows",
       .type = "list of string",
       .default_text = "all windows",
       .bounds_note = "non-empty, unique, names defined in `windows`",
       .doc = "Windows kept for this stream."},
      {.path = "streams.entries[].min_confidence",
       .kind = Kind::kNumber,
       .bounds = closed(0, 1),
       .type = "number",
       .default_text = "`statistics.min_confidence`",
       .doc = "This stream's minimum confidence (see `statistics.min_confidence`), e.g. the "
              "threshold its detector is deployed with."},
      {.path = "streams.entries[].labels",
       .type = "map of strings",
       .default_text = "`{}`",
       .bounds_note = "≤ 8; names `[a-zA-Z_][a-zA-Z0-9_]*`, not `__*` nor stream, kind, subject, "
                      "window, state, against, job, instance, alertname; values ≤ 128 bytes",
       .doc = "Routing context (e.g. `{team: vision, site: plant-3, model: yolov8m}`) added to "
              "this stream's alert series (`predwatch_alert_firing`), so the Prometheus alerts "
              "and Alertmanager routes carry it (deploy/alertmanager/alertmanager.yml); the "
              "`*` entry's labels go to every stream it admits."},

      // ---- windows ----
      {.path = "windows[].name",
       .type = "string",
       .default_text = "required",
       .bounds_note = "1–64 chars of `[A-Za-z0-9_.-]`, unique",
       .doc = "Window name (metric label, gRPC)."},
      {.path = "windows[].type",
       .kind = Kind::kEnum,
       .names = kWindowTypes,
       .default_text = "`time`",
       .doc = "Event-time sliding window, or the last N frames."},
      {.path = "windows[].length",
       .kind = Kind::kDuration,
       .bounds = closed(1 * kSecond, 30 * kDay),
       .default_text = "required (time)",
       .bounds_note = "; time windows only",
       .doc = "Window length."},
      {.path = "windows[].pane",
       .kind = Kind::kDuration,
       .bounds = closed(1 * kSecond, 1 * kDay),
       .default_text = "required (time)",
       .bounds_note = "; ≤ length, divides length evenly, length / pane ≤ 3600; time windows only",
       .doc = "Slide granularity: the window advances and evicts a pane at a time."},
      {.path = "windows[].allowed_lateness",
       .kind = Kind::kDuration,
       .bounds = closed(0, 30 * kDay),
       .default_text = "one pane",
       .bounds_note = "; ≤ length; time windows only",
       .doc = "How far behind the newest event time an event may be and still be counted."},
      {.path = "windows[].frames",
       .kind = Kind::kInteger,
       .bounds = closed(1, 10'000'000),
       .default_text = "required (count)",
       .bounds_note = "; count windows only",
       .doc = "Number of most recent frames kept."},

      // ---- statistics ----
      {.path = "statistics.heatmap_grid",
       .kind = Kind::kInteger,
       .bounds = closed(2, 64),
       .doc = "Cells per side of the spatial heatmap of box centres.",
       .in_settings = PW_FIELD(statistics, heatmap_grid)},
      {.path = "statistics.exemplars_per_key",
       .kind = Kind::kInteger,
       .bounds = closed(0, 100),
       .doc = "Example event ids kept per statistic key.",
       .in_settings = PW_FIELD(statistics, exemplars_per_key)},
      {.path = "statistics.max_classes",
       .kind = Kind::kInteger,
       .bounds = closed(1, 100'000),
       .doc = "Classes tracked per stream; detections of further classes fold into one "
              "overflow class, `__other__`. The only class limit (`limits.max_classes` meant "
              "the same and was removed).",
       .in_settings = PW_FIELD(statistics, max_classes)},
      {.path = "statistics.max_detections_per_event",
       .kind = Kind::kInteger,
       .bounds = closed(1, 100'000),
       .bounds_note = ", ≤ `limits.max_detections_per_event`",
       .doc = "Detections of one event that enter the statistics (highest confidence first); "
              "the rest of the event's detections are left out.",
       .in_settings = PW_FIELD(statistics, max_detections_per_event)},
      {.path = "statistics.min_confidence",
       .kind = Kind::kNumber,
       .bounds = closed(0, 1),
       .doc = "Detections whose confidence is below this are left out of the statistics and "
              "counted (`predwatch_objects_limited_total{limit=\"min_confidence\"}`): "
              "detectors export boxes down to 0.001, far below the threshold they are used "
              "at. Detections without a confidence are kept. 0 keeps everything. Per stream: "
              "`streams.entries[].min_confidence`.",
       .in_settings = PW_FIELD(statistics, min_confidence)},

      // ---- drift ----
      {.path = "drift.evaluation_interval",
       .kind = Kind::kDuration,
       .bounds = closed(1 * kSecond, 1 * kHour),
       .doc = "How often each stream's windows are compared with the baseline.",
       .in_settings = PW_FIELD(drift, evaluation_interval)},
      {.path = "drift.evaluation_clock",
       .kind = Kind::kEnum,
       .names = kEvaluationClocks,
       .doc = "What decides when drift is evaluated: `wall`, every interval of real time "
              "(each stream's windows end at its newest event, so consumer lag or a backlog "
              "replayed after an outage fills them; a quiet stream keeps its last windows "
              "and is flagged by PredwatchStreamStale); `event`, at each multiple of the "
              "interval that the events' own time passes, on the consumer thread, exactly as "
              "`predwatch replay` evaluates a recording (windows advance to that time; a quiet "
              "stream is not re-evaluated until events arrive). Needs a restart.",
       .in_settings = PW_FIELD(drift, evaluation_clock)},
      {.path = "drift.judgments_per_window",
       .kind = Kind::kInteger,
       .bounds = closed(0, 10'000),
       .doc = "How many times per its own length a window is judged at most: an evaluation "
              "judges a window again only once 1/N of it has been replaced since its last "
              "judgment (time windows by event time, count windows by frames); in between "
              "its last findings stand. 30 judges a 5m window with 10 s panes at every 10 s "
              "evaluation, a 1h window every 2 min, a 10,000-frame window every 334 frames. "
              "0: every window at every evaluation.",
       .in_settings = PW_FIELD(drift, judgments_per_window)},
      {.path = "drift.thresholds.js_distance",
       .kind = Kind::kNumber,
       .bounds = open_closed(0, 1),
       .doc = "Jensen–Shannon distance (base 2) counted as drift.",
       PW_THRESHOLD(js_distance)},
      {.path = "drift.thresholds.psi_warn",
       .kind = Kind::kNumber,
       .bounds = open_closed(0, 10),
       .bounds_note = ", ≤ `psi`",
       .doc = "PSI \"watch\" level: a significant change with PSI between this and `psi` is "
              "reported as \"watch\" (gRPC `DriftScore.watch`, `predwatch drift`); it raises no "
              "alert.",
       PW_THRESHOLD(psi_warn)},
      {.path = "drift.thresholds.psi",
       .kind = Kind::kNumber,
       .bounds = open_closed(0, 10),
       .doc = "PSI \"act\" level.",
       PW_THRESHOLD(psi)},
      {.path = "drift.thresholds.hellinger_warn",
       .kind = Kind::kNumber,
       .bounds = open_closed(0, 1),
       .bounds_note = ", ≤ `hellinger`",
       .doc = "Hellinger \"watch\" level: a significant change with a Hellinger distance "
              "between this and `hellinger` is reported as \"watch\"; it raises no alert.",
       PW_THRESHOLD(hellinger_warn)},
      {.path = "drift.thresholds.hellinger",
       .kind = Kind::kNumber,
       .bounds = open_closed(0, 1),
       .doc = "Hellinger distance counted as drift.",
       PW_THRESHOLD(hellinger)},
      {.path = "drift.thresholds.measure",
       .kind = Kind::kEnum,
       .names = kMeasures,
       .doc = "The distance that decides whether a significant change is large enough to flag "
              "(docs/DRIFT.md).",
       PW_THRESHOLD(measure)},
      {.path = "drift.thresholds.alpha",
       .kind = Kind::kNumber,
       .bounds = open_closed(0, 0.5),
       .doc = "Significance level of tests, after correction.",
       PW_THRESHOLD(alpha)},
      {.path = "drift.thresholds.min_frames",
       .kind = Kind::kInteger,
       .bounds = closed(1, 10'000'000),
       .doc = "Minimum frames in a window before it is judged (minimum support).",
       PW_THRESHOLD(min_frames)},
      {.path = "drift.thresholds.min_class_images",
       .kind = Kind::kInteger,
       .bounds = closed(1, 10'000'000),
       .doc = "Images with the class needed on each side before per-class distribution tests "
              "run.",
       PW_THRESHOLD(min_class_images)},
      {.path = "drift.thresholds.min_pair_count",
       .kind = Kind::kInteger,
       .bounds = closed(1, 1'000'000),
       .doc = "Window frames showing a pair or a new class before it can flag; expected frames "
              "before a class can be reported vanished.",
       PW_THRESHOLD(min_pair_count)},
      {.path = "drift.thresholds.min_rate_ratio",
       .kind = Kind::kNumber,
       .bounds = open_closed(1, 1000),
       .doc = "`pair_rate` flags only when the window rate is at least this multiple of the "
              "smoothed baseline rate.",
       PW_THRESHOLD(min_rate_ratio)},
      {.path = "drift.thresholds.correction",
       .kind = Kind::kEnum,
       .names = kCorrections,
       .doc = "Multiple-testing correction of each evaluation's family of tests: "
              "`bh_presence` (weighted Benjamini–Hochberg: `class_appeared` and `class_vanished` "
              "are corrected as if the family held none of the thousands of pair tests, and the "
              "other tests pay for it, none judged more leniently than under `bh`), `bh` "
              "(Benjamini–Hochberg), `bonferroni`, or `bh_kinds` (weighted Benjamini–Hochberg: "
              "every kind, the two pair kinds together, gets an equal share of the alpha "
              "budget). docs/DRIFT.md \"One family, shared by kind\".",
       PW_THRESHOLD(correction)},
      {.path = "drift.thresholds.smoothing_epsilon",
       .kind = Kind::kNumber,
       .bounds = open_closed(0, 0.1),
       .doc = "Pseudo-probability added to empty bins before PSI / JS.",
       PW_THRESHOLD(smoothing_epsilon)},
      {.path = "drift.thresholds.min_window_fill",
       .kind = Kind::kNumber,
       .bounds = closed(0, 1),
       .doc = "Share of a window's length (time windows) or capacity (count windows) its frames "
              "must cover before it is judged: a window younger than the stream's scenes cannot "
              "tell held scenes from independent frames. Stream-wide (per class: ignored).",
       PW_THRESHOLD(min_window_fill)},
      {.path = "drift.thresholds.minimum_effect",
       .kind = Kind::kBool,
       .doc = "Minimum-effect tests: a finding is evidence that the change exceeds the effect "
              "threshold (the distance's threshold; `min_rate_ratio` for `pair_rate`), not merely "
              "that there is a change, which a large window finds for every tiny difference "
              "(docs/DRIFT.md \"Minimum effect\").",
       PW_THRESHOLD(minimum_effect)},
      {.path = "drift.per_stream",
       .type = "map stream key → partial thresholds",
       .default_text = "`{}`",
       .bounds_note = "keys of `drift.thresholds` only, same bounds",
       .doc = "Per-stream overrides."},
      {.path = "drift.per_class",
       .type = "map class → partial thresholds",
       .default_text = "`{}`",
       .bounds_note = "keys of `drift.thresholds` only, same bounds",
       .doc = "Per-class overrides (applied after per-stream)."},
      {.path = "drift.kinds",
       .kind = Kind::kEnumList,
       .names = kDriftKinds,
       .default_text = "all ten",
       .bounds_note = "; unique",
       .doc = "Drift kinds evaluated; `[]` disables drift evaluation."},

      // ---- alerting ----
      {.path = "alerting.for_evaluations",
       .kind = Kind::kInteger,
       .bounds = closed(1, 1000),
       .doc = "Consecutive drifting evaluations before an alert fires.",
       .in_settings = PW_FIELD(alerting, for_evaluations)},
      {.path = "alerting.resolve_evaluations",
       .kind = Kind::kInteger,
       .bounds = closed(1, 1000),
       .doc = "Consecutive calm evaluations before a firing alert resolves.",
       .in_settings = PW_FIELD(alerting, resolve_evaluations)},
      {.path = "alerting.resolve_ratio",
       .kind = Kind::kNumber,
       .bounds = open_closed(0, 1),
       .doc = "Calm means score < resolve_ratio × threshold (hysteresis).",
       .in_settings = PW_FIELD(alerting, resolve_ratio)},
      {.path = "alerting.confirm_share",
       .kind = Kind::kNumber,
       .bounds = closed(0, 1),
       .doc = "A finding with weak evidence (p > immediate_p) fires only after it stayed "
              "flagged while this share of its window was replaced by new frames, and a firing "
              "alert resolves only after every window stayed calm as long (docs/DRIFT.md "
              "\"Repeated looks\"); 0: neither.",
       .in_settings = PW_FIELD(alerting, confirm_share)},
      {.path = "alerting.immediate_p",
       .kind = Kind::kNumber,
       .bounds = closed(0, 1),
       .doc = "A flagged finding with a p-value at or below this needs no confirmation.",
       .in_settings = PW_FIELD(alerting, immediate_p)},
      {.path = "alerting.fold_pairs",
       .kind = Kind::kBool,
       .doc = "A pair that starts drifting while a pending or firing alert of the same kind "
              "(pair_rate, novel_pair) on the same stream shares a class with it raises no "
              "alert of its own: it is listed in that alert's related subjects (one scene "
              "type, e.g. fruit bowls, raises several pairs at once; docs/DRIFT.md "
              "\"Alerts\").",
       .in_settings = PW_FIELD(alerting, fold_pairs)},

      // ---- reference ----
      {.path = "reference.enabled",
       .kind = Kind::kBool,
       .doc = "Every stream learns a reference from its own first frames (docs/DRIFT.md "
              "\"Learned reference\") and, once complete, its windows are also compared with it "
              "on `reference.kinds`.",
       .in_settings = PW_FIELD(reference, enabled)},
      {.path = "reference.frames",
       .kind = Kind::kInteger,
       .bounds = closed(0, 100'000'000),
       .bounds_note = "; 0 = unused",
       .doc = "The reference is complete after this many frames (36000: 1 h at 10 fps), or at "
              "`reference.duration`, whichever comes first.",
       .in_settings = PW_FIELD(reference, frames)},
      {.path = "reference.duration",
       .kind = Kind::kDuration,
       .bounds = closed(0, 30 * kDay),
       .bounds_note = "; 0 = unused",
       .doc = "The reference is complete when its frames span this much event time, or at "
              "`reference.frames`, whichever comes first (with both 0: at `min_frames`).",
       .in_settings = PW_FIELD(reference, duration)},
      {.path = "reference.min_frames",
       .kind = Kind::kInteger,
       .bounds = closed(1, 100'000'000),
       .bounds_note = ", ≤ `reference.frames` when that is set",
       .doc = "The reference never completes with fewer frames (a pinned period may).",
       .in_settings = PW_FIELD(reference, min_frames)},
      {.path = "reference.alpha",
       .kind = Kind::kNumber,
       .bounds = open_closed(0, 0.5),
       .doc = "Significance level of the tests against the reference (after correction; "
              "the lower of this and the drift thresholds' `alpha` applies). The reference is "
              "the stream's own past, so on a healthy stream its tests run at their nominal "
              "level on every look: about 300 independent looks a day per window (docs/"
              "DRIFT.md, \"Learned reference\").",
       .in_settings = PW_FIELD(reference, alpha)},
      {.path = "reference.kinds",
       .kind = Kind::kEnumList,
       .names = kDriftKinds,
       .default_text = "`[confidence, objects_per_image, box_size, objects_per_frame]`",
       .bounds_note = "; unique",
       .doc = "Drift kinds judged against the learned reference (a kind also needs to be in "
              "`drift.kinds`); `[]` evaluates nothing against it."},

      // ---- state ----
      {.path = "state.dir",
       .type = "directory path",
       .default_text = "empty",
       .bounds_note = "relative to the config file",
       .doc = "What must survive a restart (docs/KAFKA.md \"State across restarts\"): complete "
              "learned references and baselines installed over gRPC (one file per stream, "
              "loaded when the stream is created) and the pending and firing alerts (so a "
              "restart neither relearns, forgets an installed baseline nor pages again); empty "
              "= nothing is persisted."},

      // ---- metrics ----
      {.path = "metrics.bind",
       .kind = Kind::kHostPort,
       .bounds_note = "port differs from `grpc.bind`'s (unless 0)",
       .doc = "Prometheus `/metrics` listen address. Read-only and scraped by a remote "
              "Prometheus, so every interface by default; it shows stream and class names "
              "(docs/SECURITY.md).",
       .in_settings = PW_FIELD(metrics, bind)},
      {.path = "metrics.max_classes_exported",
       .kind = Kind::kInteger,
       .bounds = closed(1, 100'000),
       .bounds_note = ", ≤ `statistics.max_classes`",
       .doc = "Classes with per-class series per stream (most frequent first).",
       .in_settings = PW_FIELD(metrics, max_classes_exported)},
      {.path = "metrics.top_pairs",
       .kind = Kind::kInteger,
       .bounds = closed(0, 1000),
       .doc = "Class pairs exported per stream (most frequent first).",
       .in_settings = PW_FIELD(metrics, top_pairs)},
      {.path = "metrics.max_series",
       .kind = Kind::kInteger,
       .bounds = closed(100, 10'000'000),
       .doc = "Cap on the total number of exported series (docs/METRICS.md \"Series count\": "
              "100 streams of 80 classes need about 45,000 with the defaults).",
       .in_settings = PW_FIELD(metrics, max_series)},
      {.path = "metrics.class_windows",
       .type = "list of window names",
       .default_text = "`[]`: the first window of `windows`",
       .bounds_note = "names from `windows`, or `[\"*\"]` for every window",
       .doc = "Windows with per-class series (`predwatch_class_*` and every per-class drift "
              "score); the other windows export a per-class drift score only while it is "
              "flagged. All windows' per-class numbers are always in the gRPC and web APIs."},
      {.path = "metrics.class_scores",
       .kind = Kind::kEnum,
       .names = kClassScores,
       .doc = "Per-class drift score series in `class_windows`: `flagged` findings only (a "
              "fleet's worth of series), or every `tested` finding (about 12 more series per "
              "class and stream).",
       .in_settings = PW_FIELD(metrics, class_scores)},

      // ---- grpc ----
      {.path = "grpc.bind",
       .kind = Kind::kHostPort,
       .doc = "gRPC listen address. The default accepts local clients only; to serve other "
              "hosts bind `0.0.0.0:50051` and configure `grpc.auth` (and `grpc.tls`).",
       .in_settings = PW_FIELD(grpc, bind)},
      {.path = "grpc.tls.cert",
       .type = "path",
       .default_text = "unset",
       .bounds_note = "required when `grpc.tls` is present",
       .doc = "PEM certificate chain."},
      {.path = "grpc.tls.key",
       .type = "path",
       .default_text = "unset",
       .bounds_note = "required when `grpc.tls` is present",
       .doc = "PEM private key."},
      {.path = "grpc.tls.client_ca",
       .type = "path",
       .default_text = "unset",
       .doc = "Set: clients must present certificates signed by this CA (mTLS); mutating RPCs "
              "then need no token unless `grpc.auth.token_*` is set."},
      {.path = "grpc.health_bind",
       .type = "host:port",
       .default_text = "unset",
       .bounds_note = "port differs from `grpc.bind`'s and `metrics.bind`'s (unless 0)",
       .doc = "Set: a second, plaintext listener that serves the standard health service "
              "(grpc.health.v1) only — serving status, no API, no reflection — for probes that "
              "cannot speak TLS while `grpc.tls` is on (Kubernetes gRPC probes)."},
      {.path = "grpc.auth.token_file",
       .type = "path",
       .default_text = "unset",
       .bounds_note = "not with `token_env`; the file holds ≥ 16 characters, no whitespace",
       .doc = "File holding the write token: mutating RPCs (SetBaseline, RevertBaseline, "
              "SnapshotBaseline, PinReference, ResetReference) need `authorization: Bearer "
              "<token>`. Without a "
              "write token they are refused unless `grpc.bind` is loopback, client "
              "certificates are required, or `allow_unauthenticated_mutations` is true."},
      {.path = "grpc.auth.token_env",
       .type = "string",
       .default_text = "unset",
       .bounds_note = "environment variable name; not with `token_file`",
       .doc = "Environment variable holding the write token (instead of `token_file`)."},
      {.path = "grpc.auth.read_token_file",
       .type = "path",
       .default_text = "unset",
       .bounds_note = "needs a write token; not with `read_token_env`",
       .doc = "Set: read RPCs need this token or the write token (unset: reads are open)."},
      {.path = "grpc.auth.read_token_env",
       .type = "string",
       .default_text = "unset",
       .bounds_note = "environment variable name; needs a write token; not with "
                      "`read_token_file`",
       .doc = "Environment variable holding the read token (instead of `read_token_file`)."},
      {.path = "grpc.auth.allow_unauthenticated_mutations",
       .type = "bool",
       .default_text = "`false`",
       .bounds_note = "ignored when a write token is set",
       .doc = "Allow mutating RPCs without a token from anyone who can reach `grpc.bind` "
              "(a trusted network only)."},
      {.path = "grpc.max_message_bytes",
       .kind = Kind::kBytes,
       .bounds = closed(double(kKiB), double(kGiB)),
       .doc = "Largest gRPC message sent or received.",
       .in_settings = PW_FIELD(grpc, max_message_bytes)},
      {.path = "grpc.peers",
       .type = "list of host:port",
       .default_text = "`[]`",
       .bounds_note = "unique; the replica's own address may be listed",
       .doc = "The other replicas of the consumer group: a call about a stream this replica "
              "does not hold is answered by the replica that holds it, and ListStreams, "
              "ListAlerts and ListAlertTransitions list every replica's (the web view too), so "
              "clients need one address (docs/KAFKA.md \"Several replicas\"). A host name "
              "stands for all its addresses (a Kubernetes headless service). Empty: this "
              "replica answers alone."},
      {.path = "grpc.peer_timeout",
       .kind = Kind::kDuration,
       .bounds = closed(100, 60'000),
       .doc = "How long a call forwarded to a peer may take (or the caller's deadline, if "
              "sooner); a peer slower than this counts as unreachable.",
       .in_settings = PW_FIELD(grpc, peer_timeout)},
      {.path = "grpc.peer_tls_name",
       .type = "string",
       .default_text = "unset",
       .bounds_note = "non-empty",
       .doc = "With `grpc.tls`: the name the peers' certificates carry, when peers are dialled "
              "by address (a headless service's pod IPs). Peers are verified against "
              "`grpc.tls.client_ca` (else against `grpc.tls.cert` itself: one certificate "
              "shared by the replicas) and shown this replica's certificate."},

      // ---- web ----
      {.path = "web.enabled",
       .kind = Kind::kBool,
       .doc = "Serve the read-only web view and its JSON API (docs/WEB.md).",
       .in_settings = PW_FIELD(web, enabled)},
      {.path = "web.bind",
       .kind = Kind::kHostPort,
       .bounds_note = "port differs from `metrics.bind`'s and `grpc.bind`'s (unless 0)",
       .doc = "Web view listen address; loopback by default: it speaks plain HTTP (its JSON "
              "API takes the read token of `grpc.auth`), so serve other hosts through a proxy "
              "that terminates TLS.",
       .in_settings = PW_FIELD(web, bind)},

      // ---- limits ----
      {.path = "limits.max_message_bytes",
       .kind = Kind::kBytes,
       .bounds = closed(double(kKiB), double(256 * kMiB)),
       .doc = "Larger Kafka messages are rejected before decoding (counted as "
              "`message_too_large`, dead-lettered).",
       .in_settings = PW_FIELD(limits, max_message_bytes)},
      {.path = "limits.max_detections_per_event",
       .kind = Kind::kInteger,
       .bounds = closed(1, 1'000'000),
       .doc = "Events with more detections are rejected (counted as `too_many_detections`) and, "
              "from Kafka, dead-lettered.",
       .in_settings = PW_FIELD(limits, max_detections_per_event)},
      {.path = "limits.max_future_skew",
       .kind = Kind::kDuration,
       .bounds = closed(0, 30 * kDay),
       .bounds_note = "; 0 = unbounded",
       .doc = "Events whose time is further ahead of the Kafka message timestamp (or of "
              "predwatchd's wall clock, when earlier) are rejected (counted as `clock_skew`, "
              "logged): a timestamp in the wrong unit must not move a stream's windows into "
              "the future. In `predwatch replay` the reference is the stream's newest event time, "
              "and a "
              "jump is accepted from its third consecutive event on (a gap in a recording). "
              "Events in the past are not bounded: beyond `windows[].allowed_lateness` they are "
              "counted late and change nothing.",
       .in_settings = PW_FIELD(limits, max_future_skew)},

      // ---- logging ----
      {.path = "logging.level",
       .kind = Kind::kEnum,
       .names = kLogLevels,
       .doc = "Minimum level logged.",
       .in_settings = PW_FIELD(logging, level)},
      {.path = "logging.format",
       .kind = Kind::kEnum,
       .names = kLogFormats,
       .doc = "Human-readable lines, or one JSON object per line.",
       .in_settings = PW_FIELD(logging, format)},
  };
  return rows;
}

#undef PW_FIELD
#undef PW_THRESHOLD

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::kInteger:
      return "integer";
    case Kind::kNumber:
      return "number";
    case Kind::kBool:
      return "bool";
    case Kind::kString:
      return "string";
    case Kind::kBytes:
      return "bytes";
    case Kind::kDuration:
      return "duration";
    case Kind::kEnum:
      return "enum";
    case Kind::kHostPort:
      return "host:port";
    case Kind::kEnumList:
      return "list of enum";
    case Kind::kOther:
      break;
  }
  return "";
}

std::string fmt_g(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string bound_text(const Setting& s, double v) {
  switch (s.kind) {
    case Kind::kBytes:
      return format_byte_size(static_cast<std::int64_t>(v));
    case Kind::kDuration:
      return format_duration(Millis(static_cast<std::int64_t>(v)));
    case Kind::kNumber:
      return fmt_g(v);
    default:
      return std::to_string(static_cast<std::int64_t>(v));
  }
}

}  // namespace

std::span<const Setting> settings_schema() { return table(); }

const Setting* find_setting(std::string_view path) {
  for (const Setting& s : table()) {
    if (s.path == path) return &s;
  }
  return nullptr;
}

const Setting& setting(std::string_view path) {
  const Setting* s = find_setting(path);
  if (!s) std::abort();  // a path spelled differently in loader.cc / render.cc
  return *s;
}

std::vector<std::string_view> keys_under(std::string_view prefix) {
  std::vector<std::string_view> keys;
  for (const Setting& s : table()) {
    std::string_view rest = s.path;
    if (!prefix.empty()) {
      if (!rest.starts_with(prefix) || rest.size() == prefix.size() || rest[prefix.size()] != '.') {
        continue;
      }
      rest.remove_prefix(prefix.size() + 1);
    }
    const std::string_view key = rest.substr(0, rest.find_first_of(".["));
    if (keys.empty() || keys.back() != key) keys.push_back(key);
  }
  return keys;
}

std::string number_text(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%g", v);
  if (std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string value_text(const Setting& s, const Value& v) {
  switch (s.kind) {
    case Kind::kBytes:
      return format_byte_size(std::get<std::int64_t>(v));
    case Kind::kEnum:
      return std::string(s.names[static_cast<size_t>(std::get<std::int64_t>(v))]);
    default:
      break;
  }
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return number_text(*d);
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  if (const auto* m = std::get_if<Millis>(&v)) return format_duration(*m);
  return std::get<std::string>(v);
}

std::string interval_text(const Setting& s) {
  if (s.bounds) {
    const Interval& b = *s.bounds;
    return std::string(b.lo_open ? "(" : "[") + bound_text(s, b.lo) + ", " + bound_text(s, b.hi) +
           (b.hi_open ? ")" : "]");
  }
  std::string out;
  for (std::string_view n : s.names) {
    if (!out.empty()) out += ", ";
    out += "`" + std::string(n) + "`";
  }
  return out;
}

std::string reference_row(const Setting& s) {
  std::string type(s.type.empty() ? kind_name(s.kind) : s.type);
  std::string def(s.default_text);
  if (def.empty()) {
    std::optional<Value> v;
    if (s.in_settings) v = s.in_settings.get(Settings{});
    if (s.in_thresholds) v = s.in_thresholds.get(DriftThresholds{});
    def = v ? "`" + value_text(s, *v) + "`" : "?";
  }
  std::string bounds = interval_text(s);
  bounds += s.bounds_note;
  const auto cell = [](const std::string& c) {
    return c.empty() ? std::string(" ") : " " + c + " ";
  };
  return "| `" + std::string(s.path) + "` |" + cell(type) + "|" + cell(def) + "|" + cell(bounds) +
         "|" + cell(std::string(s.doc)) + "|";
}

}  // namespace predwatch::config
