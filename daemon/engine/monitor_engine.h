// MonitorEngine: the daemon's state — one StreamMonitor per stream, each stream's baseline,
// the latest drift reports and the alert lifecycle — behind one thread-safe interface.
//
// Data flows one way: sources (the Kafka consumer, the demo generator, `predwatch replay`)
// call apply(); a periodic evaluate(now) advances the windows, runs the drift evaluator on
// every (stream, window) against the stream's baseline, and feeds the alert tracker with one
// observation per (stream, kind, subject), merged over the stream's windows
// (core::stream_observations: the windows are details of the alert); readers
// (the gRPC service, the metrics collector, the terminal view) take consistent snapshots
// through with_stream() / for_each_stream() / alerts() and subscribe to alert transitions.
//
// Streams are created on their first event when the configuration allows the key (an
// explicit entry or the "*" template), up to max_streams; other events are rejected as
// `unknown_stream`. A stream's baseline comes from its configuration (loaded at creation)
// or from set_baseline() / snapshot_baseline(); without a baseline, statistics are kept
// and drift is not evaluated. evaluate(now) drops a stream idle for longer than
// options.idle_expiry_ms (streams.idle_expiry) with its alerts (dropped, with a note), so
// removed cameras do not hold memory forever; it comes back empty with its next event.
//
// Learned reference (docs/DRIFT.md "Learned reference"): with options.reference.enabled,
// every stream also learns a reference from its own first frames (core::ReferenceLearner,
// fed by the stream's StreamMonitor). Once it is complete, every evaluation also compares
// each window with it (DriftReport::against == kReference), on the kinds of
// options.reference.kinds only, with the reference's frames taken as dependent as the
// window's (DispersionOptions::baseline_same_stream). A window overlapping the reference
// period compares partly the same frames: that can only hide drift, never invent it. A
// stream with a reference and no baseline is evaluated against the reference alone.
// Findings of both comparisons merge into one alert per (stream, kind, subject).
//
// State across restarts (options.state_dir non-empty; docs/KAFKA.md "State across restarts"):
//   - references (daemon/baseline/state_store.h): a stream's saved reference is loaded when
//     the stream is created; a reference that completes is saved by the next evaluate(), pin
//     and reset save / delete the file. A file that cannot be loaded is logged (file and
//     problem), counted (EngineCounters::reference_load_errors) and the stream relearns.
//   - installed baselines: set_baseline() and snapshot_baseline() with install save the
//     baseline; it is loaded when the stream is created and wins over the configured one
//     (it was installed later), until revert_baseline(). A configuration reload does not
//     replace it (apply_configured_baseline). Unusable file: logged, counted
//     (EngineCounters::state_load_errors), the configured baseline applies.
//   - alerts (daemon/engine/alert_store.h): one file per stream with pending or firing
//     alerts, holding them with the Kafka partitions of the stream. evaluate() rewrites the
//     files of the streams whose alerts changed state (a stream left with none: its file is
//     deleted), and every stream's at least once a minute of evaluation time while any is
//     active (their payload moves); save_state() at shutdown writes every stream's. Restored
//     (core::AlertTracker::restore: listed at once, no transition, the episode continues: a
//     restart or a partition move does not page again): at construction, the alerts of
//     streams not read from Kafka; at each assignment, those whose stream came from one of
//     the assigned partitions (so replicas sharing the directory each take only their own).
//     Evaluations of the stream at times up to the alerts' last evaluation (the rebuild
//     replaying what the earlier owner judged, windows filling again) leave them as they
//     are. A restored alert whose stream has not come back yet is "unclaimed": a revocation
//     of one of its partitions hands it over like a live stream's (below); without
//     partitions (no Kafka) it is dropped after idle_expiry_ms since its last evaluation,
//     like an idle stream.
// Reading a stream's reference and installed baseline happens in find_or_create, under the
// state lock, once per stream creation: the only file I/O under it; every write and delete
// is outside it.
//
// Clock skew: an event whose time is more than max_future_skew_ms ahead of a reference
// clock is rejected as `clock_skew` (a timestamp in the wrong unit must not move a stream's
// windows and watermark into the future, where every later event would be late). The
// reference is the Kafka message timestamp when the source has one; otherwise (replay, the
// generator, messages without a timestamp) the stream's newest accepted event time, so old
// recordings replay unchanged. Without a broker timestamp a jump beyond the bound is accepted
// once kSkewConfirmations consecutive events confirm it (each within the bound of the one
// before: a gap in a recording); the events before the confirming one are rejected. An event
// far in the past is not bounded here: the windows count it late (allowed_lateness) and it
// moves nothing. Each rejection is logged (stream, event time, reference) for the 1st, 2nd,
// 4th, 8th, ... rejection of the stream.
//
// Kafka: the engine remembers which partition each stream arrived on. When partitions are
// assigned, the streams of those partitions are dropped, because the consumer replays them
// from the rebuild horizon; when partitions are revoked, their streams are dropped (another
// replica owns them now). A stream that arrived on several partitions (producers that do not
// key by stream, a changed partition count) is dropped with any of them, so a replay never
// counts an event twice; its events on the other partitions are not replayed, so its windows
// restart incomplete (counted as split_streams_dropped, logged). A stream dropped by an
// assignment keeps its alerts (unclaimed, as if restored). A stream dropped by a revocation
// hands its alerts over: its alert file is written with them (or deleted when it has none),
// before the revocation returns and so before the next owner is assigned the partition;
// then they leave the tracker: listeners get a transition to inactive ("dropped") whose note
// says why, timed at the stream's last evaluation, and alerts() no longer lists them; the
// next save leaves the file alone.
//
// Thread-safety: every public method may be called from any thread. State is guarded by
// one mutex (held per event for O(objects + pairs), and while a reader copies what it
// needs); drift evaluation runs stream by stream on copies of the stream's window totals
// and parts (panes, count-window blocks: the evidence for dependence between frames,
// docs/DRIFT.md), outside the lock. Alert listeners are called on the evaluating thread (or
// the rebalancing one, for dropped streams), outside the state lock, one transition at a time
// in the order the tracker made them; they must not block.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/alert_tracker.h"
#include "core/drift_report.h"
#include "core/stream_monitor.h"
#include "daemon/baseline/baseline_file.h"
#include "daemon/baseline/state_store.h"
#include "daemon/engine/alert_store.h"
#include "daemon/ingest/event_sink.h"

namespace predwatch::daemon {

// Per-stream configuration, resolved from the stream key.
struct StreamConfig {
  core::ClassNaming naming;                // class map and index names
  std::vector<std::string> windows;        // window names to keep (empty = all)
  std::optional<float> min_confidence;     // overrides StreamMonitorOptions::min_confidence
  std::optional<LoadedBaseline> baseline;  // loaded from the configured file, if any
};

// The learned reference of every stream (docs/CONFIG.md `reference.*`).
struct ReferenceSettings {
  bool enabled = true;
  core::ReferenceOptions learn;  // completion rule
  // Significance level of the tests against the reference (the lower of this and the
  // thresholds' alpha applies): the stream's own past is an exact null, tested on every look.
  double alpha = 1e-4;
  // Kinds judged against the reference: those a training baseline cannot judge well.
  std::array<bool, core::kAlertKindCount> kinds = default_kinds();

  static std::array<bool, core::kAlertKindCount> default_kinds() {
    std::array<bool, core::kAlertKindCount> k{};
    for (core::AlertKind a : {core::AlertKind::kConfidence, core::AlertKind::kObjectsPerImage,
                              core::AlertKind::kBoxSize, core::AlertKind::kObjectsPerFrame})
      k[size_t(a)] = true;
    return k;
  }
};

// What a reader or a control call sees of a stream's learned reference.
struct ReferenceInfo {
  core::ReferenceState state = core::ReferenceState::kLearning;
  uint64_t frames = 0;
  int64_t start_ms = 0;  // event time of the first / last frame; 0 before the first
  int64_t end_ms = 0;
  double progress = 0;  // towards completion, [0, 1]
  // The version's stream the reference was copied from (split_model_versions); "" when the
  // stream learned or was pinned its own.
  std::string inherited_from;
};

struct EngineOptions {
  core::StreamMonitorOptions stream;  // layout, max classes, every window, exemplars
  size_t max_streams = 10'000;
  // Admission by memory (streams.max_memory): a new stream is refused (`memory_budget`) when
  // the streams' state, as measured at the last evaluate() (StreamMonitor::bytes) plus the
  // mean stream's size for each stream created since, would exceed this. 0: no budget.
  size_t max_state_bytes = 0;
  // true: evaluate(now) moves every stream's time windows to `now` (now is event time: the
  // EventTimeEvaluator of replay and drift.evaluation_clock `event`). false: the windows move
  // only with their own stream's events (each window ends at its stream's watermark), for
  // evaluations on the wall clock: consumer lag or a backlog replayed after an outage then
  // fills the windows instead of counting every event late against the wall clock. A quiet
  // stream keeps its last windows; the wall clock only flags it (idle_expiry below, and the
  // PredwatchStreamStale rule on predwatch_last_event_timestamp_seconds).
  bool advance_windows = true;
  // A window is judged again (compared with the baseline and the reference) only once
  // 1 / judgments_per_window of it has been replaced since its last judgment (time windows:
  // by event time, count windows: by frames); in between its last reports stand, with the
  // position they were judged at. 0: every window at every evaluation. Three looks at a 1h
  // window 10 s apart see the same frames: the repeats cost the evaluation and add no
  // evidence (drift.judgments_per_window).
  uint32_t judgments_per_window = 0;
  // false: evaluate() leaves out a stream whose latest event came from a partition's
  // rebuild (EventOrigin::rebuilding) until that partition is rebuilt (on_partition_rebuilt):
  // on the wall clock a half-replayed window would be judged, and page, on part of its
  // frames (counted in EngineCounters::rebuild_deferred). true: judged like any stream, as
  // evaluations at event-time ticks need (they replay history in order).
  bool evaluate_while_rebuilding = true;
  // Model versions as a dimension (streams.split_model_versions, docs/DRIFT.md "Model
  // versions"): an event that names its model version is applied to the stream
  // "<stream>@<version>", whose configuration and thresholds are <stream>'s. A version's
  // stream created while another version of the same stream has a complete reference starts
  // with a copy of that reference (of the version with the newest event): the canary, judged
  // against the previous version on every enabled kind (not only reference.kinds). Without
  // one it learns its own.
  bool split_model_versions = false;
  // evaluate(now) drops a stream whose newest event time (or, without events, its first
  // evaluation) is more than this before now, with its alerts ("idle"); 0 = never.
  int64_t idle_expiry_ms = 0;
  size_t max_detections_per_event = 10'000;
  // Events more than this ahead of the reference clock are rejected (`clock_skew`, see
  // above); 0 = unbounded.
  int64_t max_future_skew_ms = 0;
  core::AlertTrackerOptions alerting;
  // nullopt: the stream key is not configured (the event is rejected as unknown_stream).
  std::function<std::optional<StreamConfig>(std::string_view stream)> stream_config;
  // Thresholds for (stream, class); class "" = stream-wide measures.
  std::function<core::DriftThresholds(std::string_view stream, std::string_view class_name)>
      thresholds;
  ReferenceSettings reference;
  // state.dir: references, installed baselines and alerts survive a restart (see above);
  // "" = nothing is persisted.
  std::string state_dir;
};

// What a reader sees of one stream, valid during the with_stream() callback.
struct StreamView {
  const core::StreamMonitor& monitor;
  const LoadedBaseline* baseline;  // null when the stream has no baseline
  // Latest evaluation: one report per window against the baseline (if any), then one per
  // window against the learned reference (if complete); DriftReport::against tells which.
  const std::vector<core::DriftReport>& drift;
  int64_t evaluated_at_ms;  // 0 before the first evaluation
  int32_t partition;        // -1 when not from Kafka
  // The configured stream this one belongs to (itself, or the stream of which it is a model
  // version: split_model_versions), and the stream whose reference its copies ("": its own).
  const std::string& base;
  const std::string& reference_from;
};

struct EngineCounters {
  uint64_t applied = 0;
  uint64_t rejected = 0;
  std::map<std::string, uint64_t> rejected_by_reason;  // unknown_stream, too_many_detections, ...
  std::map<std::string, uint64_t> late_by_stream;      // frames late for at least one window
  uint64_t evaluations = 0;
  uint64_t streams_dropped = 0;
  uint64_t streams_expired = 0;        // dropped by evaluate() after streams.idle_expiry
  uint64_t reference_load_errors = 0;  // saved references that could not be loaded
  uint64_t reference_save_errors = 0;  // references that could not be saved or deleted
  // Installed baselines and the alert file that could not be loaded (left out), saved or
  // deleted.
  uint64_t state_load_errors = 0;
  uint64_t state_save_errors = 0;
  uint64_t alerts_restored = 0;  // alerts taken over from the state directory
  // Dropped streams that had arrived on more than one partition (see "Kafka" above).
  uint64_t split_streams_dropped = 0;
  // Stream evaluations left out because the stream's partition was still being rebuilt.
  uint64_t rebuild_deferred = 0;
  // Bytes of the streams' state measured at the end of the last evaluate()
  // (StreamMonitor::bytes, with what the evaluation left allocated).
  uint64_t state_bytes = 0;
};

struct EvaluationSummary {
  size_t streams = 0;
  size_t reports = 0;    // drift reports held after the pass (judged now or standing)
  size_t judgments = 0;  // (stream, window) pairs judged by this pass
  size_t unchanged = 0;  // streams left out: nothing judged anew, no alert pending or firing
  size_t transitions = 0;
};

class MonitorEngine : public EventSink {
 public:
  explicit MonitorEngine(EngineOptions options);

  // EventSink: from the Kafka consumer thread.
  SinkResult apply(const core::Event& event, const EventOrigin& origin) override;
  void on_partitions_assigned(std::span<const TopicPartition> partitions) override;
  void on_partitions_revoked(std::span<const TopicPartition> partitions) override;
  // The partition's replay is complete: its streams are judged again (see
  // EngineOptions::evaluate_while_rebuilding).
  void on_partition_rebuilt(const TopicPartition& partition) override;

  // From sources without Kafka (generator, replay).
  SinkResult apply(const core::Event& event);

  // False when apply() would reject the event as `clock_skew` (message_time_ms: the Kafka
  // message timestamp, -1 without one). For EventTimeEvaluator, which must not tick to the
  // time of an event that will be rejected. Valid until the next apply() of the stream.
  bool accepts_time(const core::Event& event, int64_t message_time_ms) const;

  // Moves every window to now_ms and evaluates drift on every (stream, window) that has a
  // baseline; feeds the alert tracker (one observation per stream, kind and subject, merged
  // over the stream's windows) and notifies listeners of transitions.
  EvaluationSummary evaluate(int64_t now_ms);

  // Readers. Return false when the stream is unknown.
  bool with_stream(std::string_view stream, const std::function<void(const StreamView&)>& fn) const;
  void for_each_stream(const std::function<void(const StreamView&)>& fn) const;
  std::vector<std::string> stream_names() const;

  // Pending and firing alerts (optionally of one stream), by fingerprint.
  std::vector<core::Alert> alerts(std::string_view stream = {}) const;
  // The latest alert transitions (optionally of one stream), oldest first, at most `limit`:
  // the engine keeps the last kTransitionHistory of all streams (about 1 KB each), as they
  // were delivered to listeners (restored alerts made none). For the web view's timeline
  // and ListAlertTransitions: what happened before a reader connected.
  static constexpr size_t kTransitionHistory = 1000;
  std::vector<core::AlertTransition> recent_transitions(std::string_view stream,
                                                        size_t limit) const;

  // Baselines. set_baseline installs a baseline on the stream (creating the stream if its
  // key is configured; saved in state_dir) and returns "" or an error. snapshot_baseline
  // turns the window's current contents into a production-window baseline, installs it when
  // asked (saved too), and returns it. revert_baseline removes an installed baseline (and
  // its file): the stream goes back to its configured baseline, or none; "" or an error.
  // apply_configured_baseline (configuration reload): the stream's configured baseline
  // changed; it replaces the current one unless one was installed; false when it did not
  // (unknown stream, installed baseline kept, layout error in `error`).
  std::string set_baseline(std::string_view stream, LoadedBaseline baseline);
  std::string revert_baseline(std::string_view stream);
  bool apply_configured_baseline(std::string_view stream,
                                 std::shared_ptr<const LoadedBaseline> baseline,
                                 std::string& error);
  std::optional<v1::Baseline> snapshot_baseline(std::string_view stream, std::string_view window,
                                                bool install, std::string& error);

  // Learned reference. reference_info: nullopt when the stream is unknown or learns no
  // reference. pin_reference makes the window's current totals the stream's reference
  // (complete at once, saved when a state_dir is set); reset_reference discards it and
  // deletes its file (the stream relearns from its next frame). Both return "" or an error.
  std::optional<ReferenceInfo> reference_info(std::string_view stream) const;
  // options.reference.enabled at construction (it needs a restart to change).
  bool learns_references() const { return learns_references_; }
  // options.state_dir was set at construction (it needs a restart to change).
  bool persists_state() const { return store_ != nullptr; }
  std::string pin_reference(std::string_view stream, std::string_view window);
  std::string reset_reference(std::string_view stream);

  // Writes the pending and firing alerts to state_dir now (shutdown); no-op without one.
  // now_ms: the time recorded with them.
  void save_state(int64_t now_ms);

  // Alert transitions, as they happen. Returns an id for unsubscribe().
  using AlertListener = std::function<void(const core::AlertTransition&)>;
  uint64_t subscribe(AlertListener listener);
  void unsubscribe(uint64_t id);

  EngineCounters counters() const;
  // Every reason apply() can reject an event with (metric labels).
  static std::span<const std::string_view> rejection_reasons();
  const EngineOptions& options() const { return options_; }

  // Replaces thresholds and alerting options, the kinds judged against the reference and
  // the per-stream configuration source (SIGHUP); windows, statistics, learned references
  // and the other reference settings are kept.
  void reconfigure(EngineOptions options);

 private:
  static constexpr uint64_t kNoReference = UINT64_MAX;
  size_t streams_created_since_measure_ = 0;  // streams created since state_bytes was measured
  struct StreamState {
    std::unique_ptr<core::StreamMonitor> monitor;
    // The configured stream (the key without "@<version>", split_model_versions): its
    // configuration and thresholds apply.
    std::string base;
    // The stream whose complete reference this one's copies (the previous model version);
    // "" when its reference is its own. Its reference is then judged on every kind.
    std::string reference_from;
    std::shared_ptr<const LoadedBaseline> baseline;
    bool baseline_installed = false;  // by set_baseline / snapshot_baseline (saved)
    uint64_t reference_version = 0;   // bumped by every change of the reference
    bool reference_unsaved = false;   // complete (learned or pinned) and not saved yet
    std::vector<core::DriftReport> drift;
    // The alert tracker has seen `drift` as it is (an evaluation pass that judges no window
    // of a stream without pending or firing alerts then leaves the stream out).
    bool drift_observed = false;
    int64_t evaluated_at_ms = 0;
    // Per window: its position (StreamMonitor::window_position) at its last judgment; NaN:
    // judge it at the next evaluation. The judgments compared with judged_baseline and the
    // reference of version judged_reference (kNoReference: none); another comparison
    // judges every window afresh.
    std::vector<double> judged_at;
    const LoadedBaseline* judged_baseline = nullptr;
    uint64_t judged_reference = kNoReference;
    // The first evaluation's time (INT64_MIN before it): a stream without events (created by
    // set_baseline) is idle since then.
    int64_t first_evaluated_ms = INT64_MIN;
    // Restored alerts of the stream were last judged at this evaluation time by the earlier
    // run: evaluations until then update its reports, not its alerts.
    int64_t alerts_judged_until_ms = INT64_MIN;
    int32_t partition = -1;               // the latest event's
    bool rebuilding = false;              // the latest event came from a partition's rebuild
    std::vector<TopicPartition> seen_on;  // every partition the stream's events came from
    uint32_t skew_run = 0;       // consecutive events beyond the skew bound (no broker time)
    int64_t skew_last_ms = 0;    // the time of the last of them
    uint64_t skew_rejected = 0;  // clock_skew rejections, for the log's rate limit
  };

  // Consecutive beyond-the-bound events (no broker timestamp) that move a stream's clock.
  static constexpr uint32_t kSkewConfirmations = 3;

  struct SkewCheck {
    bool reject = false;
    bool beyond = false;  // beyond the bound (rejected, or the confirming event)
    int64_t reference_ms = 0;
    bool broker = false;  // the reference is the Kafka message timestamp
    uint32_t run = 0;     // without broker time: consecutive beyond-bound events, this one too
  };

  // `base`: the configured stream `stream` belongs to (stream itself unless it is a model
  // version's, split_model_versions).
  StreamState* find_or_create(std::string_view stream, std::string_view base,
                              std::string_view& reject_reason);
  // A newly created version's stream `s` of `base`: copies the complete reference of the
  // version with the newest event (see split_model_versions). REQUIRES mu_.
  void inherit_reference(StreamState& s, const std::string& key);
  SkewCheck check_skew(const StreamState* s, int64_t time_ms, int64_t message_time_ms) const;
  SinkResult apply_locked(const core::Event& event, int32_t partition, std::string_view topic,
                          int64_t message_time_ms, bool rebuilding);
  // A stream taken out by take_streams_of.
  struct TakenStream {
    std::string name;
    std::vector<TopicPartition> seen_on;
    int64_t evaluated_at_ms = 0;
  };
  // Erases the streams that came from one of `partitions` (a stream also seen on others is
  // counted and logged: those events are lost to it); their alerts stay with the caller to
  // decide. REQUIRES mu_.
  std::vector<TakenStream> take_streams_of(std::span<const TopicPartition> partitions);
  // Restores the saved alerts `wanted` picks whose stream is not live, as unclaimed (see the
  // top of this file); `assigned`: the partitions that made the call, for the log. Reads the
  // files before taking mu_; REQUIRES store_mu_ or the constructor.
  void restore_alerts(std::span<const TopicPartition> assigned,
                      const std::function<bool(const SavedAlert&)>& wanted);
  // Drops the streams idle for longer than idle_expiry_ms, with their alerts. REQUIRES mu_.
  void expire_idle_streams(int64_t now_ms);
  // Calls the listeners with every undelivered transition, in order.
  void deliver();
  // Moves `t` to undelivered_ and marks their streams' alert files for the next save, unless
  // `handed_over` (the streams left for another replica, which owns their files now).
  // REQUIRES alerts_mu_.
  void queue(std::vector<core::AlertTransition> t, bool handed_over = false);
  // Drops the unclaimed restored alerts of `stream` (see the top of this file). REQUIRES mu_.
  void forget_unclaimed(const std::string& stream, int64_t now_ms, std::string_view note);
  // Saves the alert files of the streams whose alerts changed state; forced, or when the last
  // full save is a minute of evaluation time old, those of every stream with active alerts
  // (see the top of this file).
  void save_alerts(int64_t now_ms, bool force);
  // Makes `baseline` (null: none) the stream's; its windows are judged afresh. REQUIRES mu_.
  void install_baseline(StreamState& s, std::shared_ptr<const LoadedBaseline> baseline);
  // Saves an installed baseline (no-op without a store); "" or the error, logged and
  // counted. REQUIRES store_mu_, not mu_.
  std::string save_installed(std::string_view stream,
                             std::shared_ptr<const LoadedBaseline> baseline);
  // Saves the stream's reference if it is still at `version` (store_mu_ held by the caller).
  void save_reference(const std::string& stream, uint64_t version);

  mutable std::mutex mu_;  // guards everything below except listeners and the tracker
  EngineOptions options_;
  std::map<std::string, StreamState, std::less<>> streams_;
  std::string version_key_;  // scratch: "<stream>@<version>" of the event being applied
  EngineCounters counters_;

  const bool learns_references_;
  std::unique_ptr<StateStore> store_;        // null: nothing is persisted
  std::unique_ptr<AlertStore> alert_store_;  // null with store_
  // Serialises the stores' writes and deletes; taken before mu_ (which is then held only
  // to read what is written, never during the file I/O).
  std::mutex store_mu_;
  // Restored alerts whose stream has not been created since (see the top of this file).
  struct Unclaimed {
    std::vector<TopicPartition> partitions;
    int64_t last_evaluated_ms = 0;
  };
  std::map<std::string, Unclaimed, std::less<>> unclaimed_;

  // Lock order: mu_, then alerts_mu_. delivery_mu_ is taken before alerts_mu_ and never
  // while holding mu_ or alerts_mu_.
  // guards tracker_, undelivered_, listeners_, history_, unsaved_alert_streams_,
  // alerts_saved_ms_
  mutable std::mutex alerts_mu_;
  core::AlertTracker tracker_;
  std::vector<core::AlertTransition> undelivered_;  // made by the tracker, not yet delivered
  std::mutex delivery_mu_;                          // one deliver() at a time, in order
  std::map<uint64_t, AlertListener> listeners_;
  uint64_t next_listener_ = 1;
  std::deque<core::AlertTransition> history_;  // the latest kTransitionHistory delivered
  // Streams some of whose alerts changed state since their file was last written.
  std::set<std::string, std::less<>> unsaved_alert_streams_;
  int64_t alerts_saved_ms_ = INT64_MIN;  // evaluation time of the last save of every file
};

}  // namespace predwatch::daemon
