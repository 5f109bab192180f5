#include "daemon/app/engine_config.h"

#include <algorithm>

#include "daemon/app/memory_budget.h"
#include "daemon/dataset/class_mapping.h"

namespace predwatch::daemon {
namespace {

core::WindowSpec to_window_spec(const config::WindowSettings& w) {
  core::WindowSpec s;
  s.name = w.name;
  if (w.type == config::WindowType::kCount) {
    s.type = core::WindowSpec::Type::kCount;
    s.frames = static_cast<size_t>(w.frames);
    s.allowed_lateness_ms = 0;
  } else {
    s.type = core::WindowSpec::Type::kTime;
    s.length_ms = w.length.count();
    s.pane_ms = w.pane.count();
    s.allowed_lateness_ms = w.allowed_lateness.count();
  }
  return s;
}

// What stream_config hands out per entry, prepared once.
struct PreparedEntry {
  core::ClassNaming naming;
  std::vector<std::string> windows;
  std::optional<double> min_confidence;
  std::shared_ptr<const LoadedBaseline> baseline;
};

}  // namespace

core::DriftThresholds to_core_thresholds(const config::DriftThresholds& t,
                                         const std::vector<config::DriftKind>& kinds) {
  core::DriftThresholds c;
  c.js_distance = t.js_distance;
  c.psi_warn = t.psi_warn;
  c.psi = t.psi;
  c.hellinger_warn = t.hellinger_warn;
  c.hellinger = t.hellinger;
  switch (t.measure) {
    case config::DriftMeasure::kPsi:
      c.measure = core::DriftThresholds::Measure::kPsi;
      break;
    case config::DriftMeasure::kHellinger:
      c.measure = core::DriftThresholds::Measure::kHellinger;
      break;
    default:
      c.measure = core::DriftThresholds::Measure::kJsDistance;
  }
  c.alpha = t.alpha;
  c.min_frames = uint64_t(t.min_frames);
  c.min_class_images = uint64_t(t.min_class_images);
  c.min_pair_count = uint64_t(t.min_pair_count);
  c.min_rate_ratio = t.min_rate_ratio;
  switch (t.correction) {
    case config::Correction::kBonferroni:
      c.correction = core::DriftThresholds::Correction::kBonferroni;
      break;
    case config::Correction::kBenjaminiHochbergByKind:
      c.correction = core::DriftThresholds::Correction::kBenjaminiHochbergByKind;
      break;
    case config::Correction::kBenjaminiHochbergPresence:
      c.correction = core::DriftThresholds::Correction::kBenjaminiHochbergPresence;
      break;
    default:
      c.correction = core::DriftThresholds::Correction::kBenjaminiHochberg;
  }
  c.smoothing_epsilon = t.smoothing_epsilon;
  c.min_window_fill = t.min_window_fill;
  c.minimum_effect = t.minimum_effect;
  // config::DriftKind and core::AlertKind list the kinds in the same order.
  static_assert(core::kAlertKindCount == 10);
  c.enabled.fill(false);
  for (const config::DriftKind k : kinds) c.enabled[size_t(k)] = true;
  return c;
}

core::StatsLayout stats_layout(const config::Settings& settings) {
  core::StatsLayout layout;
  layout.heatmap_grid = static_cast<uint32_t>(settings.statistics.heatmap_grid);
  return layout;
}

int64_t rebuild_horizon_ms(const config::Settings& s) {
  if (s.kafka.rebuild_horizon.count() > 0) return s.kafka.rebuild_horizon.count();
  return config::automatic_rebuild_horizon(s).count();
}

std::string rebuild_horizon_warning(const config::Settings& s) {
  if (!s.kafka.rebuild || s.kafka.embedded || s.windows.empty() || rebuild_horizon_ms(s) > 0)
    return {};
  return "kafka.rebuild_horizon: only count windows and no horizon set, so nothing is "
         "replayed and every restart starts the windows empty; set it to the time the "
         "largest count window spans on the slowest stream (frames / frame rate)";
}

MetricsOptions metrics_options(const config::Settings& settings) {
  const config::MetricsSettings& m = settings.metrics;
  MetricsOptions o;
  o.bind = m.bind;
  o.max_classes_exported = size_t(m.max_classes_exported);
  o.top_pairs = size_t(m.top_pairs);
  o.max_series = size_t(m.max_series);
  if (m.class_windows.empty()) {
    o.class_windows.emplace();
    if (!settings.windows.empty()) o.class_windows->insert(settings.windows.front().name);
  } else if (m.class_windows != std::vector<std::string>{"*"}) {
    o.class_windows.emplace(m.class_windows.begin(), m.class_windows.end());
  }
  o.tested_class_scores = m.class_scores == config::ClassScores::kTested;
  o.stream_labels = stream_labels(settings);
  return o;
}

MetricsOptions::StreamLabels stream_labels(const config::Settings& settings) {
  const bool any = std::any_of(settings.streams.entries.begin(), settings.streams.entries.end(),
                               [](const config::StreamSettings& e) { return !e.labels.empty(); });
  if (!any) return nullptr;
  // The stream's entry, else the "*" entry (config::stream_settings).
  auto shared = std::make_shared<const config::Settings>(settings);
  return [shared](std::string_view stream) -> std::vector<std::pair<std::string, std::string>> {
    const std::map<std::string, std::string> labels =
        config::stream_settings(*shared, stream).labels;
    return {labels.begin(), labels.end()};
  };
}

std::optional<EngineConfig> make_engine_config(const config::Settings& settings,
                                               std::string& error) {
  EngineConfig out;
  EngineOptions& o = out.options;
  o.stream.layout = stats_layout(settings);
  o.stream.max_classes = static_cast<size_t>(settings.statistics.max_classes);
  o.stream.max_detections_per_event =
      static_cast<size_t>(settings.statistics.max_detections_per_event);
  for (const auto& w : settings.windows) o.stream.windows.push_back(to_window_spec(w));
  o.stream.min_confidence = static_cast<float>(settings.statistics.min_confidence);
  o.stream.exemplars.per_key = static_cast<uint32_t>(settings.statistics.exemplars_per_key);
  o.max_streams = static_cast<size_t>(settings.streams.max_streams);
  o.max_state_bytes = settings.streams.max_memory == config::StreamsSettings::kAutoMemoryBudget
                          ? static_cast<size_t>(auto_memory_budget(usable_memory()))
                          : static_cast<size_t>(settings.streams.max_memory);
  // On the wall clock, windows follow their stream's events; at event-time ticks they
  // follow the ticks (EngineOptions::advance_windows).
  o.advance_windows = settings.drift.evaluation_clock == config::EvaluationClock::kEvent;
  o.judgments_per_window = static_cast<uint32_t>(settings.drift.judgments_per_window);
  // On the wall clock, half-rebuilt windows are not judged.
  o.evaluate_while_rebuilding = o.advance_windows;
  o.idle_expiry_ms = settings.streams.idle_expiry.count();
  o.split_model_versions = settings.streams.split_model_versions;
  o.max_detections_per_event = static_cast<size_t>(settings.limits.max_detections_per_event);
  o.max_future_skew_ms = settings.limits.max_future_skew.count();
  o.alerting.for_evaluations = static_cast<uint32_t>(settings.alerting.for_evaluations);
  o.alerting.resolve_evaluations = static_cast<uint32_t>(settings.alerting.resolve_evaluations);
  o.alerting.resolve_ratio = settings.alerting.resolve_ratio;
  o.alerting.confirm_share = settings.alerting.confirm_share;
  o.alerting.immediate_p = settings.alerting.immediate_p;
  o.alerting.fold_pairs = settings.alerting.fold_pairs;
  o.reference.enabled = settings.reference.enabled;
  o.reference.learn.frames = static_cast<uint64_t>(settings.reference.frames);
  o.reference.learn.duration_ms = settings.reference.duration.count();
  o.reference.learn.min_frames = static_cast<uint64_t>(settings.reference.min_frames);
  o.reference.alpha = settings.reference.alpha;
  o.reference.kinds.fill(false);
  // config::DriftKind and core::AlertKind list the kinds in the same order.
  for (const config::DriftKind k : settings.reference.kinds) o.reference.kinds[size_t(k)] = true;
  o.state_dir = settings.state.dir;

  // Files are shared between entries that name the same path.
  std::map<std::string, std::shared_ptr<const LoadedBaseline>> baselines;
  std::map<std::string, core::ClassNaming> namings;
  auto prepare = [&](const config::StreamSettings& s) -> std::optional<PreparedEntry> {
    PreparedEntry e;
    e.windows = s.windows;
    e.min_confidence = s.min_confidence;
    if (s.class_map) {
      auto it = namings.find(*s.class_map);
      if (it == namings.end()) {
        std::string err;
        auto mapping = ClassMapping::load(*s.class_map, err);
        if (!mapping) {
          error = "streams[" + s.key + "].class_map: " + err;
          return std::nullopt;
        }
        it = namings.emplace(*s.class_map, mapping->naming()).first;
      }
      e.naming = it->second;
    }
    e.naming.index_names = s.classes;
    if (s.baseline) {
      auto it = baselines.find(*s.baseline);
      if (it == baselines.end()) {
        std::string err;
        auto loaded = load_baseline(*s.baseline, err);
        if (!loaded) {
          error = "streams[" + s.key + "].baseline: " + err;
          return std::nullopt;
        }
        if (!(loaded->stats.stats.layout() == o.stream.layout)) {
          error = "streams[" + s.key + "].baseline: " + *s.baseline +
                  ": its histogram layout (heatmap grid, bins) differs from "
                  "statistics.heatmap_grid = " +
                  std::to_string(settings.statistics.heatmap_grid) +
                  "; rebuild it with `predwatch baseline build --grid N`";
          return std::nullopt;
        }
        it = baselines
                 .emplace(*s.baseline, std::make_shared<const LoadedBaseline>(std::move(*loaded)))
                 .first;
      }
      e.baseline = it->second;
    }
    return e;
  };

  auto entries = std::make_shared<std::map<std::string, PreparedEntry, std::less<>>>();
  std::optional<PreparedEntry> templ;
  for (const config::StreamSettings& s : settings.streams.entries) {
    auto e = prepare(s);
    if (!e) return std::nullopt;
    if (s.key == config::kStreamTemplateKey) {
      templ = std::move(*e);
    } else {
      if (e->baseline) out.entry_baselines[s.key] = e->baseline;
      entries->emplace(s.key, std::move(*e));
    }
  }
  const bool open = settings.streams.entries.empty();
  auto templ_ptr = templ ? std::make_shared<const PreparedEntry>(std::move(*templ)) : nullptr;
  o.stream_config = [entries, templ_ptr,
                     open](std::string_view stream) -> std::optional<StreamConfig> {
    const PreparedEntry* e = nullptr;
    if (auto it = entries->find(stream); it != entries->end()) {
      e = &it->second;
    } else if (templ_ptr) {
      e = templ_ptr.get();
    } else if (!open) {
      return std::nullopt;
    }
    StreamConfig c;
    if (e) {
      c.naming = e->naming;
      c.windows = e->windows;
      if (e->min_confidence) c.min_confidence = float(*e->min_confidence);
      if (e->baseline) c.baseline = *e->baseline;
    }
    return c;
  };

  auto shared = std::make_shared<const config::Settings>(settings);
  o.thresholds = [shared](std::string_view stream, std::string_view cls) {
    return to_core_thresholds(config::resolve_thresholds(*shared, stream, cls),
                              shared->drift.kinds);
  };
  return out;
}

}  // namespace predwatch::daemon
