#include "daemon/engine/monitor_engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <map>

#include "core/drift_evaluator.h"
#include "core/drift_observation.h"
#include "daemon/convert/proto_time.h"
#include "daemon/convert/stats_convert.h"

namespace predwatch::daemon {
namespace {

constexpr std::string_view kUnknownStream = "unknown_stream";
constexpr std::string_view kTooManyStreams = "too_many_streams";
constexpr std::string_view kMemoryBudget = "memory_budget";
constexpr std::string_view kTooManyDetections = "too_many_detections";
constexpr std::string_view kMissingStream = "missing_stream";
constexpr std::string_view kClockSkew = "clock_skew";

// t - ref > bound, without overflow (event times are any int64).
bool ahead_by_more(int64_t t, int64_t ref, int64_t bound) {
  return t > ref && uint64_t(t) - uint64_t(ref) > uint64_t(bound);
}

// Whether some partition of `of` is one of `in`.
bool any_in(std::span<const TopicPartition> of, std::span<const TopicPartition> in) {
  return std::any_of(of.begin(), of.end(), [&](const TopicPartition& tp) {
    return std::find(in.begin(), in.end(), tp) != in.end();
  });
}

core::StreamMonitorOptions monitor_options(const EngineOptions& o, const StreamConfig& c) {
  core::StreamMonitorOptions m = o.stream;
  m.naming = c.naming;
  if (c.min_confidence) m.min_confidence = *c.min_confidence;
  if (o.reference.enabled) m.reference = o.reference.learn;
  if (!c.windows.empty()) {
    std::erase_if(m.windows, [&](const core::WindowSpec& w) {
      return std::find(c.windows.begin(), c.windows.end(), w.name) == c.windows.end();
    });
  }
  return m;
}

}  // namespace

MonitorEngine::MonitorEngine(EngineOptions options)
    : options_(std::move(options)),
      learns_references_(options_.reference.enabled),
      tracker_(options_.alerting) {
  if (options_.state_dir.empty()) return;
  store_ = std::make_unique<StateStore>(options_.state_dir);
  alert_store_ = std::make_unique<AlertStore>(options_.state_dir);
  if (std::string error = alert_store_->split_legacy_file(); !error.empty()) {
    ++counters_.state_load_errors;
    spdlog::warn("alert state: {}", error);
  }
  // The alerts of streams not read from Kafka now; the others when their partition is
  // assigned (on_partitions_assigned).
  restore_alerts({}, [](const SavedAlert& a) { return a.partitions.empty(); });
}

void MonitorEngine::restore_alerts(std::span<const TopicPartition> assigned,
                                   const std::function<bool(const SavedAlert&)>& wanted) {
  std::string error;
  std::vector<SavedAlert> saved = alert_store_->load(error);  // file reads: no lock held
  std::lock_guard lock(mu_);
  if (!error.empty()) {
    ++counters_.state_load_errors;
    spdlog::warn("alert state: {}", error);
  }
  std::vector<core::Alert> alerts;
  std::set<std::string> streams;
  for (SavedAlert& a : saved) {
    const std::string& stream = a.alert.last.key.stream;
    if (!wanted(a) || streams_.contains(stream)) continue;  // a live stream has its own
    Unclaimed& u = unclaimed_[stream];
    for (TopicPartition& tp : a.partitions) {
      if (std::find(u.partitions.begin(), u.partitions.end(), tp) == u.partitions.end())
        u.partitions.push_back(std::move(tp));
    }
    u.last_evaluated_ms = std::max(u.last_evaluated_ms, a.alert.last_evaluated_ms);
    streams.insert(stream);
    alerts.push_back(std::move(a.alert));
  }
  size_t restored = 0;
  {
    std::lock_guard alerts_lock(alerts_mu_);
    restored = tracker_.restore(alerts);
  }
  counters_.alerts_restored += restored;
  if (restored > 0) {
    spdlog::info("alert state: {} pending or firing alerts of {} streams restored from {}{}",
                 restored, streams.size(), alert_store_->directory().string(),
                 assigned.empty() ? "" : " with their partitions");
  }
}

MonitorEngine::StreamState* MonitorEngine::find_or_create(std::string_view stream,
                                                          std::string_view base,
                                                          std::string_view& reject_reason) {
  if (auto it = streams_.find(stream); it != streams_.end()) return &it->second;
  if (stream.empty()) {
    reject_reason = kMissingStream;
    return nullptr;
  }
  std::optional<StreamConfig> config =
      options_.stream_config ? options_.stream_config(base) : StreamConfig{};
  if (!config) {
    reject_reason = kUnknownStream;
    return nullptr;
  }
  if (streams_.size() >= options_.max_streams) {
    reject_reason = kTooManyStreams;
    return nullptr;
  }
  if (options_.max_state_bytes > 0 && !streams_.empty()) {
    const size_t mean = counters_.state_bytes / streams_.size();
    if (counters_.state_bytes + (streams_created_since_measure_ + 1) * mean >
        options_.max_state_bytes) {
      reject_reason = kMemoryBudget;
      return nullptr;
    }
  }
  ++streams_created_since_measure_;
  StreamState state;
  state.base = std::string(base);
  std::vector<std::string> seed;
  if (config->baseline) {
    seed = config->baseline->stats.class_names;
    state.baseline = std::make_shared<const LoadedBaseline>(std::move(*config->baseline));
  }
  state.monitor = std::make_unique<core::StreamMonitor>(std::string(stream),
                                                        monitor_options(options_, *config), seed);
  // Its restored alerts, if any, go on with it, once its evaluations are past theirs.
  if (auto u = unclaimed_.find(stream); u != unclaimed_.end()) {
    state.alerts_judged_until_ms = u->second.last_evaluated_ms;
    unclaimed_.erase(u);
  }
  if (store_) {
    // Once per stream creation: the only file reads under the lock (see the header).
    std::string error;
    auto installed = store_->load_baseline(stream, error);
    if (installed && !(installed->stats.stats.layout() == state.monitor->options().layout)) {
      error = store_->baseline_path(stream).string() +
              ": the installed baseline's histogram layout differs from the stream's (heatmap "
              "grid, bins)";
      installed.reset();
    }
    if (installed) {
      state.baseline = std::make_shared<const LoadedBaseline>(std::move(*installed));
      state.baseline_installed = true;
    } else if (!error.empty()) {
      ++counters_.state_load_errors;
      spdlog::warn("installed baseline of stream '{}' not loaded, using the configured one: {}",
                   stream, error);
    }
  }
  if (store_ && state.monitor->reference()) {
    std::string error;
    auto saved = store_->load_reference(stream, error);
    if (saved && !(saved->stats.stats.layout() == state.monitor->options().layout)) {
      error = store_->reference_path(stream).string() +
              ": the reference's histogram layout differs from the stream's (heatmap grid, "
              "bins)";
      saved.reset();
    }
    if (saved) {
      state.monitor->reference()->restore(std::move(saved->stats), saved->start_ms, saved->end_ms,
                                          saved->state);
      state.reference_from = std::move(saved->inherited_from);
    } else if (!error.empty()) {
      ++counters_.reference_load_errors;
      spdlog::warn("reference of stream '{}' not loaded, relearning: {}", stream, error);
    }
  }
  const std::string key(stream);
  if (stream != base && state.monitor->reference() && !state.monitor->reference()->complete()) {
    inherit_reference(state, key);
  }
  return &streams_.emplace(key, std::move(state)).first->second;
}

void MonitorEngine::inherit_reference(StreamState& s, const std::string& key) {
  const StreamState* previous = nullptr;
  const std::string* previous_key = nullptr;
  for (const auto& [name, other] : streams_) {
    const core::ReferenceLearner* r = other.monitor->reference();
    if (other.base != s.base || !r || !r->complete()) continue;
    if (!previous || other.monitor->last_event_ms() > previous->monitor->last_event_ms()) {
      previous = &other;
      previous_key = &name;
    }
  }
  if (!previous) return;
  const core::ReferenceLearner& from = *previous->monitor->reference();
  s.monitor->reference()->restore(*from.reference(), from.start_ms(), from.end_ms(),
                                  core::ReferenceState::kComplete);
  s.reference_from = *previous_key;
  ++s.reference_version;
  s.reference_unsaved = store_ != nullptr;  // saved by the next evaluate(), outside the lock
  spdlog::info("stream {}: a new model version; judged against the reference of {} ({} frames)",
               key, *previous_key, from.frames());
}

MonitorEngine::SkewCheck MonitorEngine::check_skew(const StreamState* s, int64_t time_ms,
                                                   int64_t message_time_ms) const {
  SkewCheck c;
  const int64_t bound = options_.max_future_skew_ms;
  if (bound <= 0) return c;
  if (message_time_ms >= 0) {
    c.broker = true;
    c.reference_ms = message_time_ms;
    c.beyond = c.reject = ahead_by_more(time_ms, message_time_ms, bound);
    return c;
  }
  if (!s || s->monitor->applied_events() == 0) return c;  // nothing to compare with yet
  c.reference_ms = s->monitor->last_event_ms();
  c.beyond = ahead_by_more(time_ms, c.reference_ms, bound);
  if (!c.beyond) return c;
  const bool continues = s->skew_run > 0 && !ahead_by_more(time_ms, s->skew_last_ms, bound) &&
                         !ahead_by_more(s->skew_last_ms, time_ms, bound);
  c.run = continues ? s->skew_run + 1 : 1;
  c.reject = c.run < kSkewConfirmations;
  return c;
}

bool MonitorEngine::accepts_time(const core::Event& event, int64_t message_time_ms) const {
  std::lock_guard lock(mu_);
  auto it = streams_.find(event.stream);
  return !check_skew(it == streams_.end() ? nullptr : &it->second, event.time_ms, message_time_ms)
              .reject;
}

SinkResult MonitorEngine::apply_locked(const core::Event& event, int32_t partition,
                                       std::string_view topic, int64_t message_time_ms,
                                       bool rebuilding) {
  std::string_view reason;
  if (event.detections.size() > options_.max_detections_per_event) {
    reason = kTooManyDetections;
  }
  std::string_view key = event.stream;
  if (options_.split_model_versions && !event.model_version.empty() && !event.stream.empty()) {
    version_key_.assign(event.stream).append("@").append(event.model_version);
    key = version_key_;
  }
  StreamState* s = reason.empty() ? find_or_create(key, event.stream, reason) : nullptr;
  if (s) {
    const SkewCheck skew = check_skew(s, event.time_ms, message_time_ms);
    // A rejected run (without broker time) waits for its confirmation; anything else ends it.
    s->skew_run = skew.reject ? skew.run : 0;
    s->skew_last_ms = event.time_ms;
    if (skew.reject) {
      reason = kClockSkew;
      if (std::has_single_bit(++s->skew_rejected)) {
        spdlog::warn(
            "stream {}: event {} rejected (clock_skew): its time {} ms is more than {} ms ahead "
            "of the {} {} ms; {} such events so far",
            s->monitor->stream(), event.frame_id, event.time_ms, options_.max_future_skew_ms,
            skew.broker ? "Kafka message timestamp (or the wall clock, when earlier)"
                        : "stream's newest event time",
            skew.reference_ms, s->skew_rejected);
      }
      s = nullptr;
    }
  }
  if (!s) {
    ++counters_.rejected;
    ++counters_.rejected_by_reason[std::string(reason)];
    return SinkResult::Rejected(reason);
  }
  s->rebuilding = rebuilding;
  if (partition >= 0) {
    s->partition = partition;
    const auto same = [&](const TopicPartition& tp) {
      return tp.partition == partition && tp.topic == topic;
    };
    if (s->seen_on.empty() || !same(s->seen_on.back())) {
      auto it = std::find_if(s->seen_on.begin(), s->seen_on.end(), same);
      if (it == s->seen_on.end()) {
        s->seen_on.push_back({std::string(topic), partition});
      } else {
        std::rotate(it, it + 1, s->seen_on.end());  // the latest last: the fast path above
      }
    }
  }
  const core::ApplyResult r = s->monitor->apply(event);
  if (r.late_windows > 0) ++counters_.late_by_stream[s->monitor->stream()];
  if (r.reference_completed) {
    ++s->reference_version;
    s->reference_unsaved = store_ != nullptr;  // saved by the next evaluate(), outside the lock
  }
  ++counters_.applied;
  return SinkResult::Applied();
}

SinkResult MonitorEngine::apply(const core::Event& event, const EventOrigin& origin) {
  std::lock_guard lock(mu_);
  return apply_locked(event, origin.partition, origin.topic, origin.message_time_ms,
                      origin.rebuilding);
}

SinkResult MonitorEngine::apply(const core::Event& event) {
  std::lock_guard lock(mu_);
  return apply_locked(event, -1, {}, -1, false);
}

std::vector<MonitorEngine::TakenStream> MonitorEngine::take_streams_of(
    std::span<const TopicPartition> partitions) {
  std::vector<TakenStream> taken;
  for (auto it = streams_.begin(); it != streams_.end();) {
    const StreamState& s = it->second;
    if (!any_in(s.seen_on, partitions)) {
      ++it;
      continue;
    }
    std::string others;  // partitions of the stream that are not replayed with these
    for (const TopicPartition& tp : s.seen_on) {
      if (std::find(partitions.begin(), partitions.end(), tp) != partitions.end()) continue;
      others += (others.empty() ? "" : ", ") + tp.topic + "/" + std::to_string(tp.partition);
    }
    if (!others.empty()) {
      ++counters_.split_streams_dropped;
      spdlog::warn(
          "stream {}: dropped with its partition, but its events also came from {}; those "
          "are not replayed, so its windows restart without them (key events by stream)",
          it->first, others);
    }
    taken.push_back({it->first, s.seen_on, s.evaluated_at_ms});
    it = streams_.erase(it);
    ++counters_.streams_dropped;
  }
  return taken;
}

void MonitorEngine::expire_idle_streams(int64_t now_ms) {
  for (auto it = streams_.begin(); it != streams_.end();) {
    StreamState& s = it->second;
    if (s.first_evaluated_ms == INT64_MIN) s.first_evaluated_ms = now_ms;
    const int64_t last = s.monitor->last_event_ms();
    const int64_t since = last == INT64_MIN ? s.first_evaluated_ms : last;
    if (now_ms - since <= options_.idle_expiry_ms) {
      ++it;
      continue;
    }
    const std::string note = "stream idle for " + std::to_string((now_ms - since) / 1000) +
                             " s (streams.idle_expiry): expired";
    {
      std::lock_guard alerts_lock(alerts_mu_);
      queue(tracker_.forget_stream(it->first, now_ms, note));
    }
    spdlog::info("stream {}: {}", it->first, note);
    it = streams_.erase(it);
    ++counters_.streams_expired;
  }
  std::vector<std::string> idle;
  for (const auto& [stream, u] : unclaimed_) {
    if (u.partitions.empty() && now_ms - u.last_evaluated_ms > options_.idle_expiry_ms)
      idle.push_back(stream);
  }
  for (const std::string& stream : idle) {
    forget_unclaimed(stream, now_ms,
                     "restored alert: its stream sent nothing for longer than "
                     "streams.idle_expiry since");
  }
}

void MonitorEngine::queue(std::vector<core::AlertTransition> t, bool handed_over) {
  if (t.empty()) return;
  for (const core::AlertTransition& x : t) {
    if (handed_over) {
      unsaved_alert_streams_.erase(x.alert.last.key.stream);
    } else {
      unsaved_alert_streams_.insert(x.alert.last.key.stream);
    }
  }
  undelivered_.insert(undelivered_.end(), std::make_move_iterator(t.begin()),
                      std::make_move_iterator(t.end()));
}

void MonitorEngine::forget_unclaimed(const std::string& stream, int64_t now_ms,
                                     std::string_view note) {
  spdlog::info("stream {}: {}", stream, note);
  {
    std::lock_guard alerts_lock(alerts_mu_);
    queue(tracker_.forget_stream(stream, now_ms, note));
  }
  unclaimed_.erase(stream);
}

void MonitorEngine::deliver() {
  std::lock_guard delivery(delivery_mu_);
  std::vector<core::AlertTransition> transitions;
  std::vector<AlertListener> listeners;
  {
    std::lock_guard lock(alerts_mu_);
    transitions.swap(undelivered_);
    if (transitions.empty()) return;
    for (auto& [id, l] : listeners_) listeners.push_back(l);
    history_.insert(history_.end(), transitions.begin(), transitions.end());
    while (history_.size() > kTransitionHistory) history_.pop_front();
  }
  for (const auto& t : transitions)
    for (const auto& l : listeners) l(t);
}

void MonitorEngine::on_partitions_assigned(std::span<const TopicPartition> partitions) {
  std::lock_guard store_lock(store_mu_);  // a save in flight finishes first
  {
    // Streams already here are rebuilt from the horizon; their alerts stay, as restored ones.
    std::lock_guard lock(mu_);
    for (TakenStream& t : take_streams_of(partitions)) {
      Unclaimed& u = unclaimed_[t.name];
      u.partitions = std::move(t.seen_on);
      u.last_evaluated_ms = t.evaluated_at_ms;
    }
  }
  if (!alert_store_) return;
  restore_alerts(partitions, [&](const SavedAlert& a) { return any_in(a.partitions, partitions); });
}

void MonitorEngine::on_partition_rebuilt(const TopicPartition& partition) {
  std::lock_guard lock(mu_);
  for (auto& [name, s] : streams_) {
    if (s.rebuilding &&
        std::find(s.seen_on.begin(), s.seen_on.end(), partition) != s.seen_on.end()) {
      s.rebuilding = false;
    }
  }
}

void MonitorEngine::on_partitions_revoked(std::span<const TopicPartition> partitions) {
  std::lock_guard store_lock(store_mu_);
  constexpr std::string_view kNote = "stream moved to another replica (its partition was revoked)";
  // The streams leave with their alerts, which are written first for the next owner (also
  // when there are none: a file this replica left must not bring back a resolved alert).
  struct Handed {
    std::vector<TopicPartition> partitions;
    std::vector<SavedAlert> alerts;
  };
  std::map<std::string, Handed, std::less<>> handed;
  int64_t now_ms = 0;
  {
    std::lock_guard lock(mu_);
    std::vector<std::pair<std::string, int64_t>> leaving;  // stream, its last evaluation
    for (TakenStream& t : take_streams_of(partitions)) {
      handed[t.name].partitions = std::move(t.seen_on);
      leaving.emplace_back(t.name, t.evaluated_at_ms);
    }
    for (auto it = unclaimed_.begin(); it != unclaimed_.end();) {
      if (!any_in(it->second.partitions, partitions)) {
        ++it;
        continue;
      }
      handed[it->first].partitions = it->second.partitions;
      leaving.emplace_back(it->first, it->second.last_evaluated_ms);
      it = unclaimed_.erase(it);
    }
    std::lock_guard alerts_lock(alerts_mu_);
    for (core::Alert& a : tracker_.active()) {
      auto h = handed.find(a.last.key.stream);
      if (h == handed.end()) continue;
      now_ms = std::max(now_ms, a.last_evaluated_ms);
      h->second.alerts.push_back({std::move(a), h->second.partitions});
    }
    for (const auto& [stream, at] : leaving)
      queue(tracker_.forget_stream(stream, at, kNote), /*handed_over=*/true);
  }
  for (const auto& [stream, h] : handed) {
    if (!alert_store_) break;
    if (std::string error = alert_store_->save(stream, h.alerts, now_ms); !error.empty()) {
      spdlog::warn("alert state of stream {} not handed over: {}", stream, error);
      std::lock_guard lock(mu_);
      ++counters_.state_save_errors;
    }
  }
  deliver();
}

EvaluationSummary MonitorEngine::evaluate(int64_t now_ms) {
  // One stream at a time: its windows' totals are copied and their parts (panes,
  // count-window blocks; immutable once packed) shared under the lock, evaluated outside
  // it, and the results stored back under it, so the copies in flight are one stream's,
  // whatever the number of streams.
  struct Job {
    size_t window = 0;
    double position = 0;  // StreamMonitor::window_position when copied
    std::string window_name;
    core::Stats stats;
    std::vector<core::SharedPart> parts;  // shared with the window: packed parts never change
    double fill = 1.0;
    core::DriftReport report;
    core::DriftReport reference_report;
  };
  std::vector<std::string> names;
  std::vector<std::pair<std::string, uint64_t>> to_save;
  decltype(options_.thresholds) thresholds;
  std::array<bool, core::kAlertKindCount> reference_kinds{};
  double reference_alpha = 1.0;
  uint32_t judgments_per_window = 0;
  {
    std::lock_guard lock(mu_);
    thresholds = options_.thresholds;
    judgments_per_window = options_.judgments_per_window;
    reference_kinds = options_.reference.kinds;
    reference_alpha = options_.reference.alpha;
    ++counters_.evaluations;
    if (options_.idle_expiry_ms > 0) expire_idle_streams(now_ms);
    for (auto& [name, s] : streams_) {
      if (options_.advance_windows) s.monitor->advance(now_ms);
      if (s.reference_unsaved) {
        s.reference_unsaved = false;
        to_save.emplace_back(name, s.reference_version);
      }
      const bool has_reference = s.monitor->reference() && s.monitor->reference()->complete();
      if (!(s.baseline || has_reference)) continue;
      if (s.rebuilding && !options_.evaluate_while_rebuilding) {
        ++counters_.rebuild_deferred;
        continue;
      }
      names.push_back(name);
    }
  }
  if (store_) {
    std::lock_guard store_lock(store_mu_);
    for (const auto& [name, version] : to_save) save_reference(name, version);
  }

  EvaluationSummary summary;
  // Reused from stream to stream in this pass: a Job's copy of the totals is assigned into
  // the buffers the previous stream's left, instead of ~10 allocations per stream.
  std::vector<Job> job_pool;
  size_t job_count = 0;
  std::vector<const core::PackedPart*> part_ptrs;
  for (const std::string& stream : names) {
    std::shared_ptr<const LoadedBaseline> baseline;
    std::shared_ptr<const core::BaselineStats> reference;
    std::vector<std::string> class_names;
    uint64_t reference_key = kNoReference;  // the version of `reference`
    std::string base;                       // whose configuration and thresholds apply
    bool inherited = false;                 // the reference is the previous model version's
    job_count = 0;
    {
      std::lock_guard lock(mu_);
      auto it = streams_.find(stream);
      if (it == streams_.end()) continue;  // dropped meanwhile
      StreamState& s = it->second;
      base = s.base;
      inherited = !s.reference_from.empty();
      baseline = s.baseline;
      if (s.monitor->reference()) reference = s.monitor->reference()->reference();
      if (!baseline && !reference) continue;
      class_names = s.monitor->classes().names();
      reference_key = reference ? s.reference_version : kNoReference;
      if (s.judged_baseline != baseline.get() || s.judged_reference != reference_key ||
          s.judged_at.size() != s.monitor->window_count()) {
        s.judged_at.assign(s.monitor->window_count(), std::numeric_limits<double>::quiet_NaN());
      }
      for (size_t w = 0; w < s.monitor->window_count(); ++w) {
        const double position = s.monitor->window_position(w);
        const double renewed = position - s.judged_at[w];  // NaN: never judged
        if (judgments_per_window > 0 && !std::isnan(renewed) &&
            renewed * judgments_per_window < s.monitor->window_length(w)) {
          continue;  // its last reports stand
        }
        if (job_count == job_pool.size()) job_pool.emplace_back();
        Job& job = job_pool[job_count++];
        job.window = w;
        job.position = position;
        job.window_name = s.monitor->spec(w).name;
        job.stats = s.monitor->window(w).totals();
        job.fill = s.monitor->fill_ratio(w);
        s.monitor->window(w).shared_parts(job.parts);
      }
      // No window judged anew and no alert of the stream pending or firing: the tracker got
      // these very reports last time, they started nothing, and they would start nothing
      // now (AlertTracker::tracks_stream). Quiet streams, and the passes between a slow
      // window's judgments, cost a lookup.
      if (job_count == 0 && s.drift_observed) {
        std::lock_guard alerts_lock(alerts_mu_);
        if (!tracker_.tracks_stream(stream)) {
          s.evaluated_at_ms = now_ms;
          summary.reports += s.drift.size();
          ++summary.unchanged;
          continue;
        }
      }
    }

    std::map<std::string, core::DriftThresholds, std::less<>> cache;
    const core::ThresholdResolver resolve =
        [&](std::string_view cls) -> const core::DriftThresholds& {
      auto it = cache.find(cls);
      if (it == cache.end()) {
        it = cache
                 .emplace(std::string(cls),
                          thresholds ? thresholds(base, cls) : core::DriftThresholds{})
                 .first;
      }
      return it->second;
    };
    // Against the reference: only its kinds (every kind against a previous model version's),
    // the reference's frames as dependent as the window's.
    std::map<std::string, core::DriftThresholds, std::less<>> reference_cache;
    const core::ThresholdResolver resolve_reference =
        [&](std::string_view cls) -> const core::DriftThresholds& {
      auto it = reference_cache.find(cls);
      if (it == reference_cache.end()) {
        core::DriftThresholds t = resolve(cls);
        for (size_t k = 0; k < core::kAlertKindCount; ++k)
          t.enabled[k] = t.enabled[k] && (inherited || reference_kinds[k]);
        t.alpha = std::min(t.alpha, reference_alpha);
        it = reference_cache.emplace(std::string(cls), t).first;
      }
      return it->second;
    };
    core::DispersionOptions same_stream;
    same_stream.baseline_same_stream = true;
    const std::span<Job> jobs(job_pool.data(), job_count);
    for (Job& job : jobs) {
      part_ptrs.clear();
      for (const core::SharedPart& p : job.parts) part_ptrs.push_back(p.get());
      if (baseline) {
        job.report =
            core::evaluate_drift(stream, job.window_name, job.stats, class_names, baseline->stats,
                                 resolve, now_ms, part_ptrs, {}, job.fill);
        job.report.window_position = job.position;
      }
      if (reference) {
        job.reference_report =
            core::evaluate_drift(stream, job.window_name, job.stats, class_names, *reference,
                                 resolve_reference, now_ms, part_ptrs, same_stream, job.fill);
        job.reference_report.against = core::Against::kReference;
        job.reference_report.window_position = job.position;
      }
    }

    // One observation per kind and subject, merged over the stream's windows, with
    // exemplars for what is flagged.
    std::vector<core::AlertObservation> observations;
    {
      std::lock_guard lock(mu_);
      auto it = streams_.find(stream);
      if (it == streams_.end()) continue;  // dropped by a rebalance meanwhile
      StreamState& s = it->second;
      // The windows judged now replace their reports; the others' stand (see
      // EngineOptions::judgments_per_window). Order: every window's baseline report, then
      // every window's reference report.
      std::vector<core::DriftReport> previous;
      previous.swap(s.drift);
      auto report_of = [&](size_t w, core::Against against) -> core::DriftReport* {
        for (Job& job : jobs) {
          if (job.window == w)
            return against == core::Against::kBaseline ? &job.report : &job.reference_report;
        }
        const std::string& name = s.monitor->spec(w).name;
        for (core::DriftReport& r : previous) {
          if (r.window == name && r.against == against) return &r;
        }
        return nullptr;
      };
      for (const core::Against against : {core::Against::kBaseline, core::Against::kReference}) {
        if (against == core::Against::kBaseline ? !baseline : !reference) continue;
        for (size_t w = 0; w < s.monitor->window_count(); ++w) {
          if (core::DriftReport* r = report_of(w, against)) s.drift.push_back(std::move(*r));
        }
      }
      if (s.judged_at.size() == s.monitor->window_count()) {
        for (const Job& job : jobs) s.judged_at[job.window] = job.position;
      }
      s.judged_baseline = baseline.get();
      s.judged_reference = reference_key;
      s.evaluated_at_ms = now_ms;
      summary.reports += s.drift.size();
      summary.judgments += jobs.size();
      // Restored alerts: the earlier run judged them up to alerts_judged_until_ms; replayed
      // (partly rebuilt) windows up to then must not resolve or re-judge them. Otherwise the
      // tracker observes these reports, below, still under mu_.
      s.drift_observed = now_ms > s.alerts_judged_until_ms;
      if (!s.drift_observed) continue;
      // Still under mu_: a rebalance cannot drop the stream (and forget its alerts) between
      // the check above and the tracker's update.
      std::unique_lock alerts_lock(alerts_mu_);
      const std::vector<core::AlertKey> tracked = tracker_.tracked_keys(stream);
      alerts_lock.unlock();
      observations = core::stream_observations(*s.monitor, s.drift, tracked);
      alerts_lock.lock();
      auto t = tracker_.evaluate(stream, observations, now_ms);
      summary.transitions += t.size();
      queue(std::move(t));
    }
  }
  deliver();
  save_alerts(now_ms, /*force=*/false);
  std::lock_guard lock(mu_);
  summary.streams = streams_.size();
  // Measured after the pass, so that what the evaluation left allocated (the windows'
  // scratch parts and cached totals) counts too.
  uint64_t state_bytes = 0;
  for (const auto& [name, s] : streams_) state_bytes += s.monitor->bytes();
  counters_.state_bytes = state_bytes;
  streams_created_since_measure_ = 0;
  return summary;
}

bool MonitorEngine::with_stream(std::string_view stream,
                                const std::function<void(const StreamView&)>& fn) const {
  std::lock_guard lock(mu_);
  auto it = streams_.find(stream);
  if (it == streams_.end()) return false;
  const StreamState& s = it->second;
  fn(StreamView{*s.monitor, s.baseline.get(), s.drift, s.evaluated_at_ms, s.partition, s.base,
                s.reference_from});
  return true;
}

void MonitorEngine::for_each_stream(const std::function<void(const StreamView&)>& fn) const {
  std::lock_guard lock(mu_);
  for (const auto& [name, s] : streams_)
    fn(StreamView{*s.monitor, s.baseline.get(), s.drift, s.evaluated_at_ms, s.partition, s.base,
                  s.reference_from});
}

std::vector<std::string> MonitorEngine::stream_names() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> names;
  for (const auto& [name, s] : streams_) names.push_back(name);
  return names;
}

std::vector<core::Alert> MonitorEngine::alerts(std::string_view stream) const {
  std::lock_guard lock(alerts_mu_);
  std::vector<core::Alert> out = tracker_.active();
  if (!stream.empty()) {
    std::erase_if(out, [&](const core::Alert& a) { return a.last.key.stream != stream; });
  }
  return out;
}

void MonitorEngine::install_baseline(StreamState& s,
                                     std::shared_ptr<const LoadedBaseline> baseline) {
  s.baseline = std::move(baseline);
  s.judged_at.clear();  // judged afresh (a new baseline may reuse the old one's address)
}

std::string MonitorEngine::save_installed(std::string_view stream,
                                          std::shared_ptr<const LoadedBaseline> baseline) {
  if (!store_) return {};
  std::string error = store_->save_baseline(stream, baseline_to_proto(*baseline));
  if (!error.empty()) {
    spdlog::warn("installed baseline of stream '{}' not saved (lost at restart): {}", stream,
                 error);
    std::lock_guard lock(mu_);
    ++counters_.state_save_errors;
  }
  return error;
}

std::vector<core::AlertTransition> MonitorEngine::recent_transitions(std::string_view stream,
                                                                     size_t limit) const {
  std::vector<core::AlertTransition> out;
  std::lock_guard lock(alerts_mu_);
  for (auto it = history_.rbegin(); it != history_.rend() && out.size() < limit; ++it) {
    if (stream.empty() || it->alert.last.key.stream == stream) out.push_back(*it);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::string MonitorEngine::set_baseline(std::string_view stream, LoadedBaseline baseline) {
  std::lock_guard store_lock(store_mu_);
  auto shared = std::make_shared<const LoadedBaseline>(std::move(baseline));
  {
    std::lock_guard lock(mu_);
    std::string_view reason;
    StreamState* s = find_or_create(stream, stream, reason);
    if (!s) return "stream '" + std::string(stream) + "' is not accepted: " + std::string(reason);
    if (!(shared->stats.stats.layout() == s->monitor->options().layout)) {
      return "the baseline's histogram layout differs from the stream's (heatmap grid, bins); "
             "rebuild it with this daemon's statistics settings";
    }
    install_baseline(*s, shared);
    s->baseline_installed = true;
  }
  save_installed(stream, std::move(shared));
  return {};
}

std::string MonitorEngine::revert_baseline(std::string_view stream) {
  std::lock_guard store_lock(store_mu_);
  {
    std::lock_guard lock(mu_);
    auto it = streams_.find(stream);
    if (it == streams_.end()) return "unknown stream '" + std::string(stream) + "'";
    StreamState& s = it->second;
    if (!s.baseline_installed) {
      return "stream '" + std::string(stream) + "' has no installed baseline";
    }
    std::optional<StreamConfig> config =
        options_.stream_config ? options_.stream_config(stream) : std::nullopt;
    std::shared_ptr<const LoadedBaseline> configured;
    if (config && config->baseline)
      configured = std::make_shared<const LoadedBaseline>(std::move(*config->baseline));
    install_baseline(s, std::move(configured));
    s.baseline_installed = false;
  }
  if (!store_) return {};
  std::string error = store_->remove_baseline(stream);
  if (!error.empty()) {
    spdlog::warn("installed baseline of stream '{}': {}", stream, error);
    std::lock_guard lock(mu_);
    ++counters_.state_save_errors;
  }
  return error;
}

bool MonitorEngine::apply_configured_baseline(std::string_view stream,
                                              std::shared_ptr<const LoadedBaseline> baseline,
                                              std::string& error) {
  std::lock_guard lock(mu_);
  auto it = streams_.find(stream);
  if (it == streams_.end() || it->second.baseline_installed) return false;
  if (!(baseline->stats.stats.layout() == it->second.monitor->options().layout)) {
    error = "the baseline's histogram layout differs from the stream's (heatmap grid, bins)";
    return false;
  }
  install_baseline(it->second, std::move(baseline));
  return true;
}

std::optional<v1::Baseline> MonitorEngine::snapshot_baseline(std::string_view stream,
                                                             std::string_view window, bool install,
                                                             std::string& error) {
  std::lock_guard store_lock(store_mu_);
  std::unique_lock lock(mu_);
  auto it = streams_.find(stream);
  if (it == streams_.end()) {
    error = "unknown stream '" + std::string(stream) + "'";
    return std::nullopt;
  }
  StreamState& s = it->second;
  const int w = window.empty() ? 0 : s.monitor->find_window(window);
  if (w < 0) {
    error = "stream '" + std::string(stream) + "' has no window '" + std::string(window) + "'";
    return std::nullopt;
  }
  const core::Stats& stats = s.monitor->window(size_t(w)).totals();
  if (stats.frames() == 0) {
    error = "window '" + s.monitor->spec(size_t(w)).name + "' of stream '" + std::string(stream) +
            "' is empty";
    return std::nullopt;
  }
  std::vector<std::string> names = s.monitor->classes().names();
  names.resize(stats.num_classes());
  v1::Baseline b = make_baseline(stats, names, core::BaselineKind::kProductionWindow);
  v1::WindowOrigin* origin = b.mutable_window();
  origin->set_stream(std::string(stream));
  origin->set_window(s.monitor->spec(size_t(w)).name);
  const int64_t start = s.monitor->window_start_ms(size_t(w));
  const int64_t end = s.monitor->window_end_ms(size_t(w));
  ms_to_timestamp(start, origin->mutable_start());
  ms_to_timestamp(end, origin->mutable_end());
  if (install) {
    std::string err;
    auto loaded = baseline_from_proto(b, err);
    if (!loaded) {
      error = err;
      return std::nullopt;
    }
    auto shared = std::make_shared<const LoadedBaseline>(std::move(*loaded));
    install_baseline(s, shared);
    s.baseline_installed = true;
    lock.unlock();
    save_installed(stream, std::move(shared));
  }
  return b;
}

void MonitorEngine::save_reference(const std::string& stream, uint64_t version) {
  std::shared_ptr<const core::BaselineStats> reference;
  StoredReference stored;
  {
    std::lock_guard lock(mu_);
    auto it = streams_.find(stream);
    if (it == streams_.end() || it->second.reference_version != version) return;
    const core::ReferenceLearner* learner = it->second.monitor->reference();
    if (!learner || !learner->complete()) return;
    reference = learner->reference();
    stored.start_ms = learner->start_ms();
    stored.end_ms = learner->end_ms();
    stored.state = learner->state();
    stored.inherited_from = it->second.reference_from;
  }
  stored.stats = *reference;  // a copy, outside the lock
  if (std::string error = store_->save_reference(stream, stored); !error.empty()) {
    spdlog::warn("reference of stream '{}' not saved: {}", stream, error);
    std::lock_guard lock(mu_);
    ++counters_.reference_save_errors;
  }
}

std::optional<ReferenceInfo> MonitorEngine::reference_info(std::string_view stream) const {
  std::lock_guard lock(mu_);
  auto it = streams_.find(stream);
  if (it == streams_.end() || !it->second.monitor->reference()) return std::nullopt;
  const core::ReferenceLearner& l = *it->second.monitor->reference();
  ReferenceInfo info;
  info.state = l.state();
  info.frames = l.frames();
  if (l.start_ms() != std::numeric_limits<int64_t>::min()) {
    info.start_ms = l.start_ms();
    info.end_ms = l.end_ms();
  }
  info.progress = l.progress();
  info.inherited_from = it->second.reference_from;
  return info;
}

std::string MonitorEngine::pin_reference(std::string_view stream, std::string_view window) {
  std::lock_guard store_lock(store_mu_);
  uint64_t version = 0;
  {
    std::lock_guard lock(mu_);
    auto it = streams_.find(stream);
    if (it == streams_.end()) return "unknown stream '" + std::string(stream) + "'";
    StreamState& s = it->second;
    core::ReferenceLearner* learner = s.monitor->reference();
    if (!learner) return "stream '" + std::string(stream) + "' learns no reference";
    const int w = window.empty() ? 0 : s.monitor->find_window(window);
    if (w < 0) {
      return "stream '" + std::string(stream) + "' has no window '" + std::string(window) + "'";
    }
    const core::Stats& stats = s.monitor->window(size_t(w)).totals();
    if (stats.frames() == 0) {
      return "window '" + s.monitor->spec(size_t(w)).name + "' of stream '" + std::string(stream) +
             "' is empty";
    }
    s.reference_from.clear();
    learner->pin(stats, s.monitor->classes().names(), s.monitor->window_start_ms(size_t(w)),
                 s.monitor->window_end_ms(size_t(w)));
    version = ++s.reference_version;
    s.reference_unsaved = false;
  }
  if (store_) save_reference(std::string(stream), version);
  return {};
}

std::string MonitorEngine::reset_reference(std::string_view stream) {
  std::lock_guard store_lock(store_mu_);
  {
    std::lock_guard lock(mu_);
    auto it = streams_.find(stream);
    if (it == streams_.end()) return "unknown stream '" + std::string(stream) + "'";
    StreamState& s = it->second;
    if (!s.monitor->reference()) return "stream '" + std::string(stream) + "' learns no reference";
    s.monitor->reference()->reset();
    s.reference_from.clear();
    ++s.reference_version;
    s.reference_unsaved = false;
  }
  if (store_) {
    if (std::string error = store_->remove_reference(stream); !error.empty()) {
      spdlog::warn("reference of stream '{}': {}", stream, error);
      std::lock_guard lock(mu_);
      ++counters_.reference_save_errors;
      return error;
    }
  }
  return {};
}

void MonitorEngine::save_alerts(int64_t now_ms, bool force) {
  if (!alert_store_) return;
  constexpr int64_t kRefreshMs = 60'000;  // payloads of active alerts move every evaluation
  std::lock_guard store_lock(store_mu_);
  std::map<std::string, std::vector<SavedAlert>, std::less<>> saved;  // stream: its file
  {
    std::lock_guard lock(mu_);
    std::lock_guard alerts_lock(alerts_mu_);
    const bool stale = tracker_.active_count() > 0 &&
                       (alerts_saved_ms_ == INT64_MIN || now_ms - alerts_saved_ms_ >= kRefreshMs);
    if (!(force || stale || !unsaved_alert_streams_.empty())) return;
    // Streams whose alerts changed (with none left, the file goes); forced or stale: also
    // every stream with active alerts.
    for (const std::string& stream : unsaved_alert_streams_) saved[stream];
    unsaved_alert_streams_.clear();
    if (force || stale) alerts_saved_ms_ = now_ms;
    for (core::Alert& a : tracker_.active()) {
      const std::string& stream = a.last.key.stream;
      auto file = saved.find(stream);
      if (file == saved.end()) {
        if (!(force || stale)) continue;
        file = saved.emplace(stream, std::vector<SavedAlert>{}).first;
      }
      SavedAlert& out = file->second.emplace_back();
      if (auto it = streams_.find(stream); it != streams_.end()) {
        out.partitions = it->second.seen_on;
      } else if (auto u = unclaimed_.find(stream); u != unclaimed_.end()) {
        out.partitions = u->second.partitions;
      }
      out.alert = std::move(a);
    }
  }
  std::vector<std::string> failed;
  for (const auto& [stream, alerts] : saved) {
    if (std::string error = alert_store_->save(stream, alerts, now_ms); !error.empty()) {
      spdlog::warn("alert state not saved: {}", error);
      failed.push_back(stream);
    }
  }
  if (!failed.empty()) {
    std::lock_guard lock(mu_);
    std::lock_guard alerts_lock(alerts_mu_);
    counters_.state_save_errors += failed.size();
    unsaved_alert_streams_.insert(failed.begin(), failed.end());  // tried again next time
  }
}

void MonitorEngine::save_state(int64_t now_ms) { save_alerts(now_ms, /*force=*/true); }

uint64_t MonitorEngine::subscribe(AlertListener listener) {
  std::lock_guard lock(alerts_mu_);
  const uint64_t id = next_listener_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void MonitorEngine::unsubscribe(uint64_t id) {
  std::lock_guard lock(alerts_mu_);
  listeners_.erase(id);
}

std::span<const std::string_view> MonitorEngine::rejection_reasons() {
  static constexpr std::string_view kReasons[] = {kUnknownStream, kTooManyStreams,
                                                  kMemoryBudget,  kTooManyDetections,
                                                  kMissingStream, kClockSkew};
  return kReasons;
}

EngineCounters MonitorEngine::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

void MonitorEngine::reconfigure(EngineOptions options) {
  {
    std::lock_guard lock(alerts_mu_);
    tracker_.set_options(options.alerting);
  }
  std::lock_guard lock(mu_);
  options.stream = options_.stream;  // windows and layout stay: state is kept
  // The learners and the store stay too; only how the reference judges (kinds, alpha) changes.
  const auto kinds = options.reference.kinds;
  const double alpha = options.reference.alpha;
  options.reference = options_.reference;
  options.reference.kinds = kinds;
  options.reference.alpha = alpha;
  options_ = std::move(options);
  // Thresholds may have changed: every window is judged afresh at the next evaluation.
  for (auto& [name, s] : streams_) s.judged_at.clear();
}

}  // namespace predwatch::daemon
