// MetricsExporter: serves the Prometheus metrics of docs/METRICS.md on an HTTP endpoint
// (prometheus-cpp pull exposer). Values are read from their owners at scrape time — the
// engine's windows and drift reports, the Kafka source's counters and lag — never pushed
// per event. Cardinality caps (max classes exported, top pairs, max series) are applied at
// scrape time; what they leave out is counted in predwatch_series_dropped_total.
//
// Thread-safety: scrapes run on the exposer's threads and only use the owners' thread-safe
// snapshot functions; observe_*() may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "daemon/engine/monitor_engine.h"
#include "daemon/ingest/kafka_source.h"

namespace predwatch::daemon {

struct MetricsOptions {
  std::string bind = "0.0.0.0:9464";  // "127.0.0.1:0" picks a free port
  size_t max_classes_exported = 200;
  size_t top_pairs = 20;
  size_t max_series = 60000;  // every series of the endpoint, the exposer's own included
  // Windows with per-class series (predwatch_class_* and per-class drift scores); unset =
  // every window. Other windows export a per-class drift score only while it is flagged.
  // What this leaves out is configuration, not a cap: it is not counted as dropped.
  std::optional<std::set<std::string>> class_windows;
  // Per-class drift scores in class windows: every tested finding, or the flagged ones only.
  bool tested_class_scores = true;
  // Routing labels of a stream (streams.entries[].labels), added to its alert series; null or
  // empty: none. Names never clash with the series' own (the configuration checks them).
  using StreamLabels =
      std::function<std::vector<std::pair<std::string, std::string>>(std::string_view stream)>;
  StreamLabels stream_labels;
};

class MetricsExporter {
 public:
  // `source` may be null (no Kafka: demo generator without a broker, tests). It is read
  // through a getter so that the daemon can attach the source after the exporter starts.
  static std::unique_ptr<MetricsExporter> Start(const MonitorEngine& engine,
                                                std::function<const KafkaSource*()> source,
                                                const MetricsOptions& options, std::string& error);
  virtual ~MetricsExporter() = default;

  virtual int port() const = 0;
  virtual void set_ready(bool ready) = 0;
  // Latency observations (histograms): one event applied to all its windows
  // (predwatch_apply_duration_seconds), one drift evaluation of all streams
  // (predwatch_evaluation_duration_seconds), one message decoded
  // (predwatch_decode_duration_seconds; the histogram is served empty until someone
  // observes it).
  virtual void observe_apply(std::chrono::nanoseconds d) = 0;
  virtual void observe_evaluation(std::chrono::nanoseconds d) = 0;
  virtual void observe_decode(std::chrono::nanoseconds d) = 0;
  // One gRPC call refused by access control (predwatch_api_auth_failures_total{rpc,reason};
  // the caller keeps both labels to a small fixed set: RPC names, ApiAuthorizer reasons).
  virtual void count_auth_failure(const std::string& rpc, const std::string& reason) = 0;
  // One call forwarded to a peer replica that it did not answer
  // (predwatch_peer_calls_failed_total{peer,reason}; PeerRouterOptions::on_failure's labels).
  virtual void count_peer_failure(const std::string& peer, const std::string& reason) = 0;
  // Replaces the routing labels of the alert series (configuration reload).
  virtual void set_stream_labels(MetricsOptions::StreamLabels labels) = 0;
};

}  // namespace predwatch::daemon
