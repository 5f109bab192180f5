#include "daemon/metrics/metrics_exporter.h"

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <mutex>
#include <set>

namespace predwatch::daemon {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

// Series the exposer adds on its own (exposer_scrapes_total, _transferred_bytes_total,
// _request_latencies summary), kept out of our budget.
constexpr size_t kExposerSeries = 16;

const prometheus::Histogram::BucketBoundaries kFastBuckets = {
    1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 1e-2, 0.1};
const prometheus::Histogram::BucketBoundaries kEvaluationBuckets = {
    1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// The metric families of docs/METRICS.md that the collector computes, with their budget.
class Output {
 public:
  explicit Output(size_t budget) : budget_(budget) {}

  void declare(const std::string& name, const std::string& help, MetricType type) {
    index_[name] = families_.size();
    families_.push_back(MetricFamily{name, help, type, {}});
  }
  // Adds a series unless the budget is spent (then counts it as dropped).
  bool add(const std::string& name, Labels labels, double value) {
    if (budget_ == 0) {
      ++dropped_[name];
      return false;
    }
    --budget_;
    MetricFamily& f = families_[index_.at(name)];
    ClientMetric m;
    m.label = std::move(labels);
    if (f.type == MetricType::Counter) {
      m.counter.value = value;
    } else {
      m.gauge.value = value;
    }
    f.metric.push_back(std::move(m));
    return true;
  }
  void drop(const std::string& name, uint64_t n = 1) {
    if (n) dropped_[name] += n;
  }
  std::map<std::string, uint64_t>& dropped() { return dropped_; }
  std::vector<MetricFamily> take() {
    std::vector<MetricFamily> out;
    for (auto& f : families_)
      if (!f.metric.empty()) out.push_back(std::move(f));
    return out;
  }

 private:
  size_t budget_;
  std::vector<MetricFamily> families_;
  std::map<std::string, size_t> index_;
  std::map<std::string, uint64_t> dropped_;
};

// Copies of what one scrape exports of a stream, taken under the engine's lock.
struct Score {
  std::string kind, subject, measure;
  double score, threshold;
  std::string against;  // "baseline" or "reference"
};
struct ClassRow {
  std::string name;
  double objects, images, share, mean_confidence;
};
struct PairRow {
  std::string subject;
  double window_images, expected;
  std::vector<Score> scores;
};
struct WindowSnap {
  std::string name;
  double frames, fill, late;
  std::vector<ClassRow> classes;                 // exported classes, most frequent first
  std::vector<Score> stream_scores;              // subject "*"
  std::vector<PairRow> pairs;                    // top flagged pairs, highest score first
  std::vector<std::vector<Score>> class_scores;  // parallel to `classes`
  std::vector<Score> flagged_other;              // flagged findings of classes outside the cap
};
struct StreamSnap {
  std::string name;
  double applied = 0, last_event_s = NAN;
  double class_overflow = 0, detection_cap = 0;  // detections the statistics' limits changed
  double low_confidence = NAN;                   // NaN: the stream has no min_confidence
  std::vector<WindowSnap> windows;
  std::vector<std::pair<std::string, double>> baseline_share;  // capped, largest first
  bool learns_reference = false;
  double reference_frames = 0, reference_complete = 0;
};

class Collector final : public prometheus::Collectable {
 public:
  Collector(const MonitorEngine& engine, std::function<const KafkaSource*()> source,
            MetricsOptions options, size_t reserved)
      : engine_(engine), source_(std::move(source)), options_(options), reserved_(reserved) {
    // Counters start at 0 for every family the caps can cut, so "nothing dropped" is a
    // series (rate() == 0) rather than an absence.
    for (const char* name :
         {"predwatch_class_objects", "predwatch_class_images", "predwatch_class_share",
          "predwatch_class_mean_confidence", "predwatch_class_baseline_share",
          "predwatch_pair_window_images", "predwatch_pair_expected_images", "predwatch_drift_score",
          "predwatch_drift_threshold", "predwatch_alert_firing"}) {
      dropped_total_[name] = 0;
    }
  }

  std::atomic<bool> ready{false};

  void count_auth_failure(const std::string& rpc, const std::string& reason) {
    std::lock_guard lock(api_mu_);
    ++auth_failures_[{rpc, reason}];
  }

  void count_peer_failure(const std::string& peer, const std::string& reason) {
    std::lock_guard lock(api_mu_);
    ++peer_failures_[{peer, reason}];
  }

  void set_stream_labels(MetricsOptions::StreamLabels labels) {
    std::lock_guard lock(mu_);
    options_.stream_labels = std::move(labels);
  }

  std::vector<MetricFamily> Collect() const override {
    std::lock_guard lock(mu_);  // one scrape at a time: the dropped counters accumulate
    // Reserved: histograms, the exposer's series, and one predwatch_series_dropped_total
    // series per metric family.
    const size_t fixed = reserved_ + 32;
    Output out(options_.max_series > fixed ? options_.max_series - fixed : 0);
    declare(out);
    const KafkaSource* source = source_ ? source_() : nullptr;

    out.add("predwatch_build_info",
            {{"version", PREDWATCH_VERSION}, {"librdkafka", KafkaSource::librdkafka_version()}}, 1);
    out.add("predwatch_ready", {}, ready ? 1 : 0);
    {
      std::lock_guard api_lock(api_mu_);
      for (const auto& [key, n] : auth_failures_) {
        out.add("predwatch_api_auth_failures_total", {{"rpc", key.first}, {"reason", key.second}},
                double(n));
      }
      for (const auto& [key, n] : peer_failures_) {
        out.add("predwatch_peer_calls_failed_total", {{"peer", key.first}, {"reason", key.second}},
                double(n));
      }
    }
    const EngineCounters counters = engine_.counters();
    out.add("predwatch_evaluations_total", {}, double(counters.evaluations));
    out.add("predwatch_evaluations_deferred_total", {}, double(counters.rebuild_deferred));
    out.add("predwatch_state_bytes", {}, double(counters.state_bytes));
    out.add("predwatch_streams_dropped_total", {{"reason", "partition"}},
            double(counters.streams_dropped));
    out.add("predwatch_streams_dropped_total", {{"reason", "idle"}},
            double(counters.streams_expired));
    if (engine_.learns_references()) {
      out.add("predwatch_reference_load_errors_total", {}, double(counters.reference_load_errors));
      out.add("predwatch_reference_save_errors_total", {}, double(counters.reference_save_errors));
    }
    if (engine_.persists_state()) {
      out.add("predwatch_state_load_errors_total", {}, double(counters.state_load_errors));
      out.add("predwatch_state_save_errors_total", {}, double(counters.state_save_errors));
      out.add("predwatch_alerts_restored_total", {}, double(counters.alerts_restored));
    }
    const std::vector<core::Alert> alerts = engine_.alerts();
    double pending = 0, firing = 0;
    for (const auto& a : alerts) (a.state == core::AlertState::kFiring ? firing : pending) += 1;
    out.add("predwatch_alerts", {{"state", "pending"}}, pending);
    out.add("predwatch_alerts", {{"state", "firing"}}, firing);

    ingestion(out, counters, source);

    std::vector<StreamSnap> streams;
    for (const std::string& name : engine_.stream_names()) {
      StreamSnap s;
      if (engine_.with_stream(name, [&](const StreamView& v) { snapshot(v, s, out); })) {
        streams.push_back(std::move(s));
      }
    }

    for (const StreamSnap& s : streams) {
      out.add("predwatch_events_applied_total", {{"stream", s.name}}, s.applied);
      out.add("predwatch_objects_limited_total", {{"stream", s.name}, {"limit", "max_classes"}},
              s.class_overflow);
      out.add("predwatch_objects_limited_total",
              {{"stream", s.name}, {"limit", "max_detections_per_event"}}, s.detection_cap);
      if (!std::isnan(s.low_confidence)) {
        out.add("predwatch_objects_limited_total",
                {{"stream", s.name}, {"limit", "min_confidence"}}, s.low_confidence);
      }
      if (std::isfinite(s.last_event_s)) {
        out.add("predwatch_last_event_timestamp_seconds", {{"stream", s.name}}, s.last_event_s);
      }
      if (s.learns_reference) {
        out.add("predwatch_reference_frames", {{"stream", s.name}}, s.reference_frames);
        out.add("predwatch_reference_complete", {{"stream", s.name}}, s.reference_complete);
      }
      for (const WindowSnap& w : s.windows) {
        const Labels sw = {{"stream", s.name}, {"window", w.name}};
        out.add("predwatch_window_frames", sw, w.frames);
        out.add("predwatch_window_fill_ratio", sw, w.fill);
        out.add("predwatch_events_late_total", sw, w.late);
      }
    }
    for (const auto& a : alerts) {
      const auto& k = a.last.key;
      // One series per alert, i.e. per (stream, kind, subject): the windows are details of
      // the alert (gRPC ListAlerts), not a label.
      Labels l = {{"stream", k.stream},
                  {"kind", std::string(core::alert_kind_name(k.kind))},
                  {"subject", k.subject.empty() ? "*" : k.subject}};
      if (options_.stream_labels) {
        for (auto& [name, value] : options_.stream_labels(k.stream)) l.push_back({name, value});
      }
      out.add("predwatch_alert_firing", l, a.state == core::AlertState::kFiring ? 1 : 0);
    }
    auto scores = [&](const StreamSnap& s, const WindowSnap& w, const std::vector<Score>& v) {
      for (const Score& sc : v) {
        const Labels l = {{"stream", s.name},      {"window", w.name},
                          {"kind", sc.kind},       {"subject", sc.subject},
                          {"measure", sc.measure}, {"against", sc.against}};
        // Score and threshold go together: the alert rules compare them one to one.
        if (out.add("predwatch_drift_score", l, sc.score)) {
          out.add("predwatch_drift_threshold", l, sc.threshold);
        } else {
          out.drop("predwatch_drift_threshold");
        }
      }
    };
    for (const StreamSnap& s : streams)
      for (const WindowSnap& w : s.windows) scores(s, w, w.stream_scores);
    for (const StreamSnap& s : streams) {
      for (const WindowSnap& w : s.windows) {
        for (const PairRow& p : w.pairs) {
          const Labels l = {{"stream", s.name}, {"window", w.name}, {"subject", p.subject}};
          out.add("predwatch_pair_window_images", l, p.window_images);
          if (std::isfinite(p.expected)) out.add("predwatch_pair_expected_images", l, p.expected);
          scores(s, w, p.scores);
        }
        scores(s, w, w.flagged_other);
      }
    }
    // Per class, most frequent first across all windows of all streams.
    size_t rank = 0;
    bool more = true;
    while (more) {
      more = false;
      for (const StreamSnap& s : streams) {
        for (const WindowSnap& w : s.windows) {
          if (rank >= w.classes.size()) continue;
          more = true;
          const ClassRow& c = w.classes[rank];
          const Labels l = {{"stream", s.name}, {"window", w.name}, {"class", c.name}};
          out.add("predwatch_class_objects", l, c.objects);
          out.add("predwatch_class_images", l, c.images);
          out.add("predwatch_class_share", l, c.share);
          if (std::isfinite(c.mean_confidence)) {
            out.add("predwatch_class_mean_confidence", l, c.mean_confidence);
          }
          scores(s, w, w.class_scores[rank]);
        }
        if (rank < s.baseline_share.size()) {
          more = true;
          out.add("predwatch_class_baseline_share",
                  {{"stream", s.name}, {"class", s.baseline_share[rank].first}},
                  s.baseline_share[rank].second);
        }
      }
      ++rank;
    }

    for (const auto& [metric, n] : out.dropped()) dropped_total_[metric] += double(n);
    std::vector<MetricFamily> families = out.take();
    if (!dropped_total_.empty()) {
      MetricFamily f{"predwatch_series_dropped_total",
                     "series left out by the cardinality caps",
                     MetricType::Counter,
                     {}};
      for (const auto& [metric, n] : dropped_total_) {
        ClientMetric m;
        m.label = {{"metric", metric}};
        m.counter.value = n;
        f.metric.push_back(std::move(m));
      }
      families.push_back(std::move(f));
    }
    return families;
  }

 private:
  static void declare(Output& out) {
    const auto G = MetricType::Gauge, C = MetricType::Counter;
    out.declare("predwatch_build_info", "always 1", G);
    out.declare("predwatch_ready",
                "1 once every assigned partition is rebuilt and the daemon serves", G);
    out.declare("predwatch_evaluations_total", "drift evaluations run", C);
    out.declare("predwatch_state_bytes",
                "bytes of the streams' state (windows, exemplars, references) at the last "
                "evaluation",
                G);
    out.declare("predwatch_evaluations_deferred_total",
                "stream evaluations left out while the stream's partition was being rebuilt", C);
    out.declare("predwatch_api_auth_failures_total",
                "gRPC calls refused by access control, by RPC and reason", C);
    out.declare("predwatch_peer_calls_failed_total",
                "calls forwarded to another replica (grpc.peers) that it did not answer, by peer "
                "address and reason",
                C);
    out.declare("predwatch_alerts", "alerts by state (pending, firing)", G);
    out.declare("predwatch_events_consumed_total", "Kafka messages read", C);
    out.declare("predwatch_events_invalid_total", "events rejected, by reason", C);
    out.declare("predwatch_events_dead_lettered_total",
                "rejected events copied to the dead-letter topic", C);
    out.declare("predwatch_events_unknown_fields_total",
                "JSON events with a field that is not part of a PredictionEvent (ignored), by "
                "topic and field",
                C);
    out.declare("predwatch_kafka_errors_total",
                "Kafka client errors, by operation: consume (broker errors reported by "
                "librdkafka), commit, dead_letter (a copy not produced or not acknowledged), "
                "rebuild_lookup (a partition's horizon offset not found: its windows start "
                "incomplete)",
                C);
    out.declare("predwatch_stream_moved_total",
                "events whose stream key arrived on another partition than before", C);
    out.declare("predwatch_consumer_lag_messages", "high watermark minus committed offset", G);
    out.declare("predwatch_rebuild_remaining_messages",
                "messages left to replay before the partition's windows are rebuilt", G);
    out.declare("predwatch_rebuild_skipped_messages_total",
                "messages between a partition's committed offset and its rebuild's start, "
                "skipped because the consumer was further behind than the rebuild horizon",
                C);
    out.declare("predwatch_events_applied_total", "events applied to the windows", C);
    out.declare("predwatch_objects_limited_total",
                "detections folded into __other__ (limit max_classes) or left out "
                "(limit max_detections_per_event) by the statistics' limits",
                C);
    out.declare("predwatch_last_event_timestamp_seconds", "event time of the newest applied event",
                G);
    out.declare("predwatch_window_frames", "frames in the window", G);
    out.declare("predwatch_window_fill_ratio",
                "covered fraction of the window's length (time) or capacity (count)", G);
    out.declare("predwatch_events_late_total",
                "events older than the window's watermark minus allowed lateness", C);
    out.declare("predwatch_alert_firing", "1 while the alert fires (0 while pending)", G);
    out.declare("predwatch_drift_score",
                "the score of a drift measure (against: baseline or learned reference)", G);
    out.declare("predwatch_reference_frames", "frames in the stream's learned reference", G);
    out.declare("predwatch_reference_complete",
                "1 once the stream's learned reference is complete (or pinned), 0 while learning",
                G);
    out.declare("predwatch_streams_dropped_total",
                "streams dropped with their state and alerts, by reason (partition: moved or "
                "rebuilt by a rebalance; idle: streams.idle_expiry)",
                C);
    out.declare("predwatch_reference_load_errors_total",
                "saved references that could not be loaded (the stream relearned)", C);
    out.declare("predwatch_reference_save_errors_total",
                "references that could not be saved or deleted", C);
    out.declare("predwatch_state_load_errors_total",
                "installed baselines and alert files in state.dir that could not be loaded (left "
                "out)",
                C);
    out.declare("predwatch_state_save_errors_total",
                "installed baselines and alert files that could not be saved or deleted", C);
    out.declare("predwatch_alerts_restored_total",
                "pending and firing alerts taken over from state.dir at start", C);
    out.declare("predwatch_drift_threshold", "the threshold the score is compared with", G);
    out.declare("predwatch_pair_window_images", "frames with the pair, for the top-K flagged pairs",
                G);
    out.declare("predwatch_pair_expected_images", "frames expected from the smoothed baseline rate",
                G);
    out.declare("predwatch_class_objects", "objects of the class in the window", G);
    out.declare("predwatch_class_images", "frames containing the class", G);
    out.declare("predwatch_class_share", "the class's share of all objects in the window", G);
    out.declare("predwatch_class_mean_confidence", "mean confidence of the class's objects", G);
    out.declare("predwatch_class_baseline_share",
                "the class's share of all objects in the baseline", G);
  }

  void ingestion(Output& out, const EngineCounters& counters, const KafkaSource* source) const {
    // Every known reason is a series from the start (0 until it happens).
    std::map<std::string, double> invalid;
    for (std::string_view reason : MonitorEngine::rejection_reasons()) invalid[std::string(reason)];
    for (const auto& [reason, n] : counters.rejected_by_reason) invalid[reason] += double(n);
    if (source) {
      const KafkaSourceCounters k = source->counters();
      for (size_t i = 1; i < kDecodeErrorCount; ++i) {
        invalid[std::string(decode_error_name(DecodeError(i)))] += double(k.bad_events[i]);
      }
      const LagSnapshot lag = source->lag();
      const RebuildProgress rebuild = source->rebuild_progress();
      std::set<std::string> topics;
      for (const auto& p : lag.partitions) topics.insert(p.partition.topic);
      for (const auto& p : rebuild.partitions) topics.insert(p.partition.topic);
      // The source counts messages in total; name the topic when there is only one.
      const std::string topic = topics.size() == 1 ? *topics.begin() : "*";
      out.add("predwatch_events_consumed_total", {{"topic", topic}}, double(k.messages));
      out.add("predwatch_events_dead_lettered_total", {{"reason", "*"}}, double(k.dead_lettered));
      out.add("predwatch_kafka_errors_total", {{"operation", "consume"}},
              double(k.consumer_errors));
      out.add("predwatch_kafka_errors_total", {{"operation", "commit"}}, double(k.commit_errors));
      out.add("predwatch_kafka_errors_total", {{"operation", "dead_letter"}},
              double(k.dead_letter_errors));
      out.add("predwatch_kafka_errors_total", {{"operation", "rebuild_lookup"}},
              double(k.rebuild_lookup_errors));
      out.add("predwatch_rebuild_skipped_messages_total", {}, double(k.rebuild_skipped_messages));
      out.add("predwatch_stream_moved_total", {{"stream", "*"}}, double(k.stream_moved));
      for (const auto& [key, n] : k.unknown_fields) {
        out.add("predwatch_events_unknown_fields_total",
                {{"topic", key.first}, {"field", key.second}}, double(n));
      }
      for (const auto& p : lag.partitions) {
        if (p.committed_lag < 0) continue;
        out.add(
            "predwatch_consumer_lag_messages",
            {{"topic", p.partition.topic}, {"partition", std::to_string(p.partition.partition)}},
            double(p.committed_lag));
      }
      for (const auto& p : rebuild.partitions) {
        double remaining;
        if (p.caught_up) {
          remaining = 0;
        } else if (p.target_offset >= 0 && (p.next_offset >= 0 || p.start_offset >= 0)) {
          const int64_t at = p.next_offset >= 0 ? p.next_offset : p.start_offset;
          remaining = double(std::max<int64_t>(0, p.target_offset - at));
        } else {
          continue;  // target unknown: nothing honest to report
        }
        out.add(
            "predwatch_rebuild_remaining_messages",
            {{"topic", p.partition.topic}, {"partition", std::to_string(p.partition.partition)}},
            remaining);
      }
    }
    for (const auto& [reason, n] : invalid) {
      out.add("predwatch_events_invalid_total", {{"reason", reason}}, n);
    }
  }

  // Copies what the scrape needs of one stream (under the engine's lock) and applies the
  // class and pair caps.
  void snapshot(const StreamView& v, StreamSnap& s, Output& out) const {
    const core::StreamMonitor& m = v.monitor;
    const core::ClassRegistry& reg = m.classes();
    s.name = m.stream();
    s.applied = double(m.applied_events());
    s.class_overflow = double(m.classes().overflowed_names());
    s.detection_cap = double(m.capped_objects());
    if (m.options().min_confidence > 0) s.low_confidence = double(m.low_confidence_objects());
    if (m.last_event_ms() != INT64_MIN) s.last_event_s = double(m.last_event_ms()) / 1000.0;
    const size_t max_classes = options_.max_classes_exported;

    for (size_t i = 0; i < m.window_count(); ++i) {
      WindowSnap w;
      w.name = m.spec(i).name;
      const bool class_window =
          !options_.class_windows || options_.class_windows->count(w.name) > 0;
      w.frames = double(m.window(i).frames_in_window());
      w.fill = m.fill_ratio(i);
      w.late = double(m.window(i).late_frames());
      const core::Stats& st = m.window(i).totals();
      // Per-class rows only for the class windows (no ranking work for the others).
      std::vector<core::ClassId> order(class_window ? reg.size() : 0);
      for (size_t c = 0; c < order.size(); ++c) order[c] = core::ClassId(c);
      std::sort(order.begin(), order.end(), [&](core::ClassId a, core::ClassId b) {
        if (st.objects_of(a) != st.objects_of(b)) return st.objects_of(a) > st.objects_of(b);
        if (st.images_with(a) != st.images_with(b)) return st.images_with(a) > st.images_with(b);
        return reg.name(a) < reg.name(b);
      });
      std::map<std::string, size_t, std::less<>> exported;  // class -> rank
      for (size_t r = 0; r < order.size(); ++r) {
        const core::ClassId c = order[r];
        if (r >= max_classes) {
          out.drop("predwatch_class_objects");
          out.drop("predwatch_class_images");
          out.drop("predwatch_class_share");
          if (std::isfinite(st.mean_confidence(c))) out.drop("predwatch_class_mean_confidence");
          continue;
        }
        exported.emplace(reg.name(c), w.classes.size());
        w.classes.push_back({reg.name(c), double(st.objects_of(c)), double(st.images_with(c)),
                             st.objects() ? double(st.objects_of(c)) / double(st.objects()) : 0.0,
                             st.mean_confidence(c)});
      }
      w.class_scores.resize(w.classes.size());

      // The window's reports: against the baseline and against the learned reference.
      for (const core::DriftReport& r : v.drift) {
        if (r.window != w.name) continue;
        const core::DriftReport* report = &r;
        const std::string against(core::against_name(r.against));
        const bool vs_reference = r.against == core::Against::kReference;
        std::vector<std::pair<const core::DriftFinding*, double>> flagged_pairs;
        for (const core::DriftFinding& f : report->findings) {
          if (!f.tested || !std::isfinite(f.score)) continue;
          if (!f.subject_b.empty()) {
            // Pair series (frames with the pair, expected frames) are the baseline's.
            if (f.flagged && !vs_reference) flagged_pairs.push_back({&f, f.score});
            continue;
          }
          const std::string kind(core::alert_kind_name(f.kind));
          std::vector<Score> scores = {{kind, f.subject_a.empty() ? "*" : f.subject_a, f.measure,
                                        f.score, f.threshold, against}};
          // Secondary distances: stream-wide measures always, per-class ones when flagged
          // (bounded series count; the gRPC API has all of them).
          if (f.subject_a.empty() || f.flagged) {
            for (const core::DistanceVerdict& d : f.distances) {
              if (d.measure.empty() || d.measure == f.measure) continue;
              scores.push_back(
                  {kind, scores[0].subject, std::string(d.measure), d.score, d.threshold, against});
            }
          }
          auto& dest = f.subject_a.empty() ? w.stream_scores : [&]() -> std::vector<Score>& {
            auto it = exported.find(f.subject_a);
            if (it != exported.end()) return w.class_scores[it->second];
            return w.flagged_other;
          }();
          if (!f.subject_a.empty() && !f.flagged) {
            // An unflagged per-class score: outside the class windows, or with flagged-only
            // class scores, it is left out by configuration; beyond the class cap, dropped.
            if (!class_window || !options_.tested_class_scores) continue;
            if (&dest == &w.flagged_other) {
              out.drop("predwatch_drift_score", scores.size());
              out.drop("predwatch_drift_threshold", scores.size());
              continue;
            }
          }
          dest.insert(dest.end(), scores.begin(), scores.end());
        }
        std::sort(flagged_pairs.begin(), flagged_pairs.end(),
                  [](const auto& a, const auto& b) { return a.second > b.second; });
        for (size_t p = 0; p < flagged_pairs.size(); ++p) {
          const core::DriftFinding& f = *flagged_pairs[p].first;
          if (p >= options_.top_pairs) {
            out.drop("predwatch_pair_window_images");
            out.drop("predwatch_pair_expected_images");
            out.drop("predwatch_drift_score");
            out.drop("predwatch_drift_threshold");
            continue;
          }
          const std::string subject = f.subject();
          w.pairs.push_back({subject,
                             double(f.counts.window_count),
                             f.expected,
                             {{std::string(core::alert_kind_name(f.kind)), subject, f.measure,
                               f.score, f.threshold, against}}});
        }
      }
      s.windows.push_back(std::move(w));
    }

    if (const core::ReferenceLearner* l = m.reference()) {
      s.learns_reference = true;
      s.reference_frames = double(l->frames());
      s.reference_complete = l->complete() ? 1 : 0;
    }
    if (v.baseline) {
      const core::Stats& b = v.baseline->stats.stats;
      const auto& names = v.baseline->stats.class_names;
      std::vector<core::ClassId> order;
      for (core::ClassId c = 0; c < b.num_classes() && c < names.size(); ++c) order.push_back(c);
      std::sort(order.begin(), order.end(), [&](core::ClassId a, core::ClassId c) {
        if (b.objects_of(a) != b.objects_of(c)) return b.objects_of(a) > b.objects_of(c);
        return names[a] < names[c];
      });
      for (size_t r = 0; r < order.size(); ++r) {
        if (r >= max_classes) {
          out.drop("predwatch_class_baseline_share");
          continue;
        }
        const core::ClassId c = order[r];
        s.baseline_share.push_back(
            {names[c], b.objects() ? double(b.objects_of(c)) / double(b.objects()) : 0.0});
      }
    }
  }

  const MonitorEngine& engine_;
  std::function<const KafkaSource*()> source_;
  MetricsOptions options_;
  size_t reserved_;
  mutable std::mutex mu_;
  // predwatch_api_auth_failures_total by (rpc, reason) and predwatch_peer_calls_failed_total
  // by (peer, reason): small sets of keys (RPC names, the configured peers' addresses).
  mutable std::mutex api_mu_;
  std::map<std::pair<std::string, std::string>, uint64_t> auth_failures_;
  std::map<std::pair<std::string, std::string>, uint64_t> peer_failures_;
  mutable std::map<std::string, double> dropped_total_;
};

class MetricsExporterImpl final : public MetricsExporter {
 public:
  MetricsExporterImpl(std::shared_ptr<prometheus::Registry> registry, prometheus::Histogram& apply,
                      prometheus::Histogram& evaluation, prometheus::Histogram& decode,
                      std::shared_ptr<Collector> collector,
                      std::unique_ptr<prometheus::Exposer> exposer, int port)
      : registry_(std::move(registry)),
        apply_(apply),
        evaluation_(evaluation),
        decode_(decode),
        collector_(std::move(collector)),
        exposer_(std::move(exposer)),
        port_(port) {}

  int port() const override { return port_; }
  void set_ready(bool ready) override { collector_->ready = ready; }
  void observe_apply(std::chrono::nanoseconds d) override { apply_.Observe(seconds(d)); }
  void observe_evaluation(std::chrono::nanoseconds d) override { evaluation_.Observe(seconds(d)); }
  void observe_decode(std::chrono::nanoseconds d) override { decode_.Observe(seconds(d)); }
  void count_auth_failure(const std::string& rpc, const std::string& reason) override {
    collector_->count_auth_failure(rpc, reason);
  }
  void count_peer_failure(const std::string& peer, const std::string& reason) override {
    collector_->count_peer_failure(peer, reason);
  }
  void set_stream_labels(MetricsOptions::StreamLabels labels) override {
    collector_->set_stream_labels(std::move(labels));
  }

 private:
  static double seconds(std::chrono::nanoseconds d) { return double(d.count()) * 1e-9; }

  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Histogram& apply_;
  prometheus::Histogram& evaluation_;
  prometheus::Histogram& decode_;
  std::shared_ptr<Collector> collector_;
  std::unique_ptr<prometheus::Exposer> exposer_;  // last: stops serving before the rest goes
  int port_;
};

}  // namespace

std::unique_ptr<MetricsExporter> MetricsExporter::Start(const MonitorEngine& engine,
                                                        std::function<const KafkaSource*()> source,
                                                        const MetricsOptions& options,
                                                        std::string& error) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto& apply = prometheus::BuildHistogram()
                    .Name("predwatch_apply_duration_seconds")
                    .Help("time to apply one event to all its windows")
                    .Register(*registry)
                    .Add({}, kFastBuckets);
  auto& evaluation = prometheus::BuildHistogram()
                         .Name("predwatch_evaluation_duration_seconds")
                         .Help("one drift evaluation of all streams")
                         .Register(*registry)
                         .Add({}, kEvaluationBuckets);
  auto& decode = prometheus::BuildHistogram()
                     .Name("predwatch_decode_duration_seconds")
                     .Help("time to decode one message")
                     .Register(*registry)
                     .Add({}, kFastBuckets);
  const size_t histogram_series = 2 * (kFastBuckets.size() + 3) + (kEvaluationBuckets.size() + 3);
  auto collector = std::make_shared<Collector>(engine, std::move(source), options,
                                               histogram_series + kExposerSeries);
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(options.bind, 2);
  } catch (const std::exception& e) {
    error = "metrics: cannot listen on '" + options.bind + "': " + e.what();
    return nullptr;
  }
  exposer->RegisterCollectable(registry);
  exposer->RegisterCollectable(collector);
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty()) {
    error = "metrics: no listening port for '" + options.bind + "'";
    return nullptr;
  }
  return std::make_unique<MetricsExporterImpl>(registry, apply, evaluation, decode, collector,
                                               std::move(exposer), ports.front());
}

}  // namespace predwatch::daemon
