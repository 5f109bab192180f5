// EngineConfig: turns validated config::Settings into the MonitorEngine's options.
//
// Mapping (docs/CONFIG.md names on the left):
//   windows[]                  -> core::WindowSpec (time: length/pane/lateness; count: frames)
//   statistics.heatmap_grid    -> StatsLayout::heatmap_grid (other bins keep their defaults)
//   statistics.exemplars_per_key, .max_classes, .max_detections_per_event -> StreamMonitorOptions
//   limits.max_detections_per_event -> EngineOptions (events with more are rejected)
//   streams.max_memory         -> max_state_bytes (`auto`: daemon/app/memory_budget.h)
//   streams.entries[]          -> stream_config(key): class_map (ClassMapping -> ClassNaming),
//                                 classes (index names), windows, baseline (load_baseline)
//   drift.thresholds / per_stream / per_class -> config::resolve_thresholds -> core thresholds
//                                 (to_core_thresholds below; `predwatch replay` builds its
//                                 engine here too, so both judge alike), drift.kinds -> enabled
//   alerting.*                 -> core::AlertTrackerOptions
//   metrics.*                  -> MetricsOptions (metrics_options below): class_windows `[]`
//                                 -> the first window, `["*"]` -> every window
// Stream admission: with no streams.entries every stream key is accepted (defaults); with
// entries, only listed keys are, unless a "*" entry exists (the template for the rest).
//
// Every referenced file (class maps, baselines) is read and validated here, once, so that a
// broken file stops the start (or a SIGHUP reload) instead of a stream's first event.
// Baselines are checked against the statistics layout.
//
// Thread-safety: the returned callbacks share immutable state; safe from any thread.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "config/settings.h"
#include "daemon/engine/monitor_engine.h"
#include "daemon/metrics/metrics_exporter.h"

namespace predwatch::daemon {

// The drift engine's thresholds from a resolved configuration layer: every threshold field,
// plus the enabled kinds (drift.kinds).
core::DriftThresholds to_core_thresholds(const config::DriftThresholds& t,
                                         const std::vector<config::DriftKind>& kinds);

// The statistics layout the settings ask for.
core::StatsLayout stats_layout(const config::Settings& settings);

struct EngineConfig {
  EngineOptions options;
  // Baselines of the explicit (non-"*") stream entries, by stream key, for reloads.
  std::map<std::string, std::shared_ptr<const LoadedBaseline>> entry_baselines;
};

// How far back the Kafka rebuild replays, in ms: kafka.rebuild_horizon, or when it is 0 the
// longest time window plus its allowed lateness (0 without time windows).
int64_t rebuild_horizon_ms(const config::Settings& settings);
// "" or the startup warning for a rebuild that replays nothing: kafka.rebuild on, only count
// windows and no kafka.rebuild_horizon, so a restart starts every window empty.
std::string rebuild_horizon_warning(const config::Settings& settings);

// The routing labels of each stream's alert series (streams.entries[].labels: its own
// entry's, else the "*" entry's); null when no entry has labels.
MetricsOptions::StreamLabels stream_labels(const config::Settings& settings);

// The metrics exporter's options (bind, caps, class windows and scores, stream labels).
MetricsOptions metrics_options(const config::Settings& settings);

// Builds the engine options; nullopt with `error` naming the file and problem when a class
// map or baseline cannot be used.
std::optional<EngineConfig> make_engine_config(const config::Settings& settings,
                                               std::string& error);

}  // namespace predwatch::daemon
