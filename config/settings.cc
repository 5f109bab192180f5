#include "config/settings.h"

#include <algorithm>

namespace predwatch::config {

std::vector<DriftKind> all_drift_kinds() {
  return {DriftKind::kClassDistribution, DriftKind::kPairRate,      DriftKind::kNovelPair,
          DriftKind::kObjectsPerImage,   DriftKind::kSpatial,       DriftKind::kConfidence,
          DriftKind::kBoxSize,           DriftKind::kClassAppeared, DriftKind::kClassVanished,
          DriftKind::kObjectsPerFrame};
}

std::vector<DriftKind> default_reference_kinds() {
  return {DriftKind::kConfidence, DriftKind::kObjectsPerImage, DriftKind::kBoxSize,
          DriftKind::kObjectsPerFrame};
}

std::string_view to_string(Decoder v) {
  switch (v) {
    case Decoder::kJson:
      return "json";
    case Decoder::kProtobuf:
      return "protobuf";
    case Decoder::kAuto:
      return "auto";
  }
  return "?";
}

std::string_view to_string(WindowType v) { return v == WindowType::kTime ? "time" : "count"; }

std::string_view to_string(DriftMeasure v) {
  switch (v) {
    case DriftMeasure::kPsi:
      return "psi";
    case DriftMeasure::kHellinger:
      return "hellinger";
    default:
      return "js_distance";
  }
}

std::string_view to_string(Correction v) {
  switch (v) {
    case Correction::kBonferroni:
      return "bonferroni";
    case Correction::kBenjaminiHochbergByKind:
      return "bh_kinds";
    case Correction::kBenjaminiHochbergPresence:
      return "bh_presence";
    default:
      return "bh";
  }
}

std::string_view to_string(LogLevel v) {
  switch (v) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "?";
}

std::string_view to_string(LogFormat v) { return v == LogFormat::kText ? "text" : "json"; }

std::string_view to_string(EvaluationClock v) {
  return v == EvaluationClock::kWall ? "wall" : "event";
}

std::string_view to_string(DriftKind v) {
  switch (v) {
    case DriftKind::kClassDistribution:
      return "class_distribution";
    case DriftKind::kPairRate:
      return "pair_rate";
    case DriftKind::kNovelPair:
      return "novel_pair";
    case DriftKind::kObjectsPerImage:
      return "objects_per_image";
    case DriftKind::kSpatial:
      return "spatial";
    case DriftKind::kConfidence:
      return "confidence";
    case DriftKind::kBoxSize:
      return "box_size";
    case DriftKind::kClassAppeared:
      return "class_appeared";
    case DriftKind::kClassVanished:
      return "class_vanished";
    case DriftKind::kObjectsPerFrame:
      return "objects_per_frame";
  }
  return "?";
}

std::vector<WindowSettings> default_windows() {
  using std::chrono::hours;
  using std::chrono::minutes;
  using std::chrono::seconds;
  WindowSettings five_min{.name = "5m",
                          .type = WindowType::kTime,
                          .length = minutes(5),
                          .pane = seconds(10),
                          .allowed_lateness = seconds(10),
                          .frames = 0};
  WindowSettings hour{.name = "1h",
                      .type = WindowType::kTime,
                      .length = hours(1),
                      .pane = minutes(1),
                      .allowed_lateness = minutes(1),
                      .frames = 0};
  WindowSettings last10k{.name = "last10k",
                         .type = WindowType::kCount,
                         .length = Millis(0),
                         .pane = Millis(0),
                         .allowed_lateness = Millis(0),
                         .frames = 10000};
  return {five_min, hour, last10k};
}

DriftThresholds apply_overrides(DriftThresholds base, const ThresholdOverrides& over) {
  if (over.js_distance) base.js_distance = *over.js_distance;
  if (over.psi_warn) base.psi_warn = *over.psi_warn;
  if (over.psi) base.psi = *over.psi;
  if (over.hellinger_warn) base.hellinger_warn = *over.hellinger_warn;
  if (over.hellinger) base.hellinger = *over.hellinger;
  if (over.measure) base.measure = *over.measure;
  if (over.alpha) base.alpha = *over.alpha;
  if (over.min_frames) base.min_frames = *over.min_frames;
  if (over.min_class_images) base.min_class_images = *over.min_class_images;
  if (over.min_pair_count) base.min_pair_count = *over.min_pair_count;
  if (over.min_rate_ratio) base.min_rate_ratio = *over.min_rate_ratio;
  if (over.correction) base.correction = *over.correction;
  if (over.smoothing_epsilon) base.smoothing_epsilon = *over.smoothing_epsilon;
  if (over.min_window_fill) base.min_window_fill = *over.min_window_fill;
  if (over.minimum_effect) base.minimum_effect = *over.minimum_effect;
  return base;
}

DriftThresholds resolve_thresholds(const Settings& settings, std::string_view stream,
                                   std::string_view class_name) {
  DriftThresholds t = settings.drift.thresholds;
  if (auto it = settings.drift.per_stream.find(std::string(stream));
      it != settings.drift.per_stream.end()) {
    t = apply_overrides(t, it->second);
  }
  if (!class_name.empty()) {
    if (auto it = settings.drift.per_class.find(std::string(class_name));
        it != settings.drift.per_class.end()) {
      t = apply_overrides(t, it->second);
    }
  }
  return t;
}

Millis automatic_rebuild_horizon(const Settings& settings) {
  Millis h{0};
  for (const WindowSettings& w : settings.windows) {
    if (w.type == WindowType::kTime) h = std::max(h, w.length + w.allowed_lateness);
  }
  // An accepted event may be up to limits.max_future_skew ahead of its message timestamp, so
  // its message may be that much older than the window's start (0, unbounded: nothing added).
  if (h.count() > 0) h += settings.limits.max_future_skew;
  return h;
}

StreamSettings stream_settings(const Settings& settings, std::string_view stream) {
  const StreamSettings* templ = nullptr;
  for (const StreamSettings& s : settings.streams.entries) {
    if (s.key == stream) return s;
    if (s.key == kStreamTemplateKey) templ = &s;
  }
  // A model version's stream ("cam@v2") has its configured stream's settings.
  if (settings.streams.split_model_versions) {
    for (size_t at = stream.find('@'); at != std::string_view::npos;
         at = stream.find('@', at + 1)) {
      for (const StreamSettings& s : settings.streams.entries) {
        if (s.key == stream.substr(0, at)) {
          StreamSettings out = s;
          out.key = std::string(stream);
          return out;
        }
      }
    }
  }
  StreamSettings out = templ ? *templ : StreamSettings{};
  out.key = std::string(stream);
  return out;
}

}  // namespace predwatch::config
