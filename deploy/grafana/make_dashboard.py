#!/usr/bin/env python3
"""Writes deploy/grafana/predwatch.json, the Grafana dashboard for predwatchd.

The dashboard is generated so that every panel follows the same conventions (datasource
variable, stream/window/class filters, legends); edit this file and run
    /usr/bin/python3 deploy/grafana/make_dashboard.py
then commit both files. The test suite checks that the committed JSON is this script's
output and that every PromQL expression in it is accepted by a real Prometheus
(tests/integration/deploy/check_promql.sh). Metric names: docs/METRICS.md.
"""
import json
import pathlib
import sys

DS = {"type": "prometheus", "uid": "${datasource}"}

# Filters shared by the panels; the variables' "All" value is ".*", so =~ always works.
S = 'stream=~"$stream"'
SW = 'stream=~"$stream",window=~"$window"'
SWC = 'stream=~"$stream",window=~"$window",class=~"$class"'
RI = "$__rate_interval"
# Drift series compared with the baseline, or with the stream's learned reference.
SWB = SW + ',against="baseline"'
SWR = SW + ',against="reference"'


class Layout:
    """Places panels left to right in a 24-column grid, wrapping to the next row."""

    def __init__(self):
        self.x = 0
        self.y = 0
        self.row_h = 0
        self.next_id = 1
        self.panels = []

    def _id(self):
        i = self.next_id
        self.next_id += 1
        return i

    def row(self, title):
        self.newline()
        self.panels.append({"type": "row", "id": self._id(), "title": title, "collapsed": False,
                            "gridPos": {"x": 0, "y": self.y, "w": 24, "h": 1}, "panels": []})
        self.y += 1

    def newline(self):
        if self.x:
            self.y += self.row_h
            self.x = 0
            self.row_h = 0

    def add(self, panel, w, h):
        if self.x + w > 24:
            self.newline()
        panel["id"] = self._id()
        panel["gridPos"] = {"x": self.x, "y": self.y, "w": w, "h": h}
        panel["datasource"] = DS
        self.x += w
        self.row_h = max(self.row_h, h)
        self.panels.append(panel)


def target(expr, legend="", ref="A", instant=False, fmt=None):
    t = {"datasource": DS, "refId": ref, "expr": expr, "legendFormat": legend or "__auto",
         "range": not instant, "instant": instant}
    if fmt:
        t["format"] = fmt
    return t


def targets(*items, instant=False, fmt=None):
    return [target(e, l, chr(ord("A") + i), instant, fmt) for i, (e, l) in enumerate(items)]


def thresholds(*steps):
    """steps: (value or None, color)"""
    return {"mode": "absolute", "steps": [{"value": v, "color": c} for v, c in steps]}


def timeseries(title, desc, tgts, unit="short", thr=None, overrides=None, log=False, minv=None):
    custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 0, "showPoints": "never",
              "spanNulls": False}
    if thr:
        custom["thresholdsStyle"] = {"mode": "dashed"}
    if log:
        custom["scaleDistribution"] = {"type": "log", "log": 10}
    defaults = {"unit": unit, "custom": custom}
    if thr:
        defaults["thresholds"] = thr
    if minv is not None:
        defaults["min"] = minv
    return {"type": "timeseries", "title": title, "description": desc, "targets": tgts,
            "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
            "options": {"legend": {"displayMode": "table", "placement": "bottom",
                                   "calcs": ["lastNotNull", "max"]},
                        "tooltip": {"mode": "multi", "sort": "desc"}}}


def dashed_for(regex):
    """Draws the series whose display name matches regex dashed (thresholds, baselines)."""
    return [{"matcher": {"id": "byRegexp", "options": regex},
             "properties": [{"id": "custom.lineStyle",
                             "value": {"fill": "dash", "dash": [10, 10]}}]}]


def stat(title, desc, tgts, unit="short", thr=None):
    d = {"unit": unit}
    if thr:
        d["thresholds"] = thr
    return {"type": "stat", "title": title, "description": desc, "targets": tgts,
            "fieldConfig": {"defaults": d, "overrides": []},
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "colorMode": "value", "graphMode": "area", "textMode": "auto"}}


def table(title, desc, tgts, rename=None, exclude=("Time",), unit="short", sort=None):
    transformations = [{"id": "merge", "options": {}}]
    transformations.append({"id": "organize", "options": {
        "excludeByName": {name: True for name in exclude}, "renameByName": rename or {}}})
    if sort:
        transformations.append({"id": "sortBy", "options": {"sort": [{"field": sort, "desc": True}]}})
    return {"type": "table", "title": title, "description": desc, "targets": tgts,
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "options": {"showHeader": True, "cellHeight": "sm"},
            "transformations": transformations}


def bargauge(title, desc, tgts, unit="short", thr=None, minv=None, maxv=None):
    d = {"unit": unit}
    if thr:
        d["thresholds"] = thr
    if minv is not None:
        d["min"] = minv
    if maxv is not None:
        d["max"] = maxv
    return {"type": "bargauge", "title": title, "description": desc, "targets": tgts,
            "fieldConfig": {"defaults": d, "overrides": []},
            "options": {"orientation": "horizontal", "displayMode": "gradient",
                        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "showUnfilled": True}}


def variable(name, label, query, multi=True):
    return {"type": "query", "name": name, "label": label, "datasource": DS,
            "query": {"query": query, "refId": f"{name}-var"}, "definition": query,
            "refresh": 2, "sort": 1, "multi": multi, "includeAll": True, "allValue": ".*",
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
            "options": [], "hide": 0, "regex": ""}


def build():
    L = Layout()

    # ---------------------------------------------------------------- ingestion
    L.row("Ingestion")
    L.add(timeseries(
        "Events per second",
        "Kafka messages read per topic, and events applied to the windows per stream.",
        targets((f"sum by (topic) (rate(predwatch_events_consumed_total[{RI}]))", "consumed {{topic}}"),
                (f"sum by (stream) (rate(predwatch_events_applied_total{{{S}}}[{RI}]))", "applied {{stream}}")),
        unit="ops", minv=0), 8, 8)
    L.add(timeseries(
        "Rejected, late and dead-lettered events per second",
        "Rejected events by reason, late events (older than the watermark minus the allowed "
        "lateness) by stream and window, and events copied to the dead-letter topic.",
        targets((f"sum by (reason) (rate(predwatch_events_invalid_total[{RI}]))", "invalid {{reason}}"),
                (f"sum by (stream, window) (rate(predwatch_events_late_total{{{SW}}}[{RI}]))", "late {{stream}} {{window}}"),
                (f"sum by (reason) (rate(predwatch_events_dead_lettered_total[{RI}]))", "dead-lettered {{reason}}")),
        unit="ops", minv=0), 8, 8)
    L.add(timeseries(
        "Rejected share of consumed messages",
        "Fraction of Kafka messages rejected as invalid; the PredwatchInvalidEventRateHigh "
        "alert fires above 5% for 10 minutes.",
        targets((f"sum(rate(predwatch_events_invalid_total[{RI}])) / sum(rate(predwatch_events_consumed_total[{RI}]))", "rejected share")),
        unit="percentunit", thr=thresholds((None, "green"), (0.05, "red")), minv=0), 8, 8)
    L.add(timeseries(
        "Consumer lag and rebuild backlog",
        "High watermark minus committed offset per partition, and messages still to replay "
        "before a newly assigned partition's windows are rebuilt.",
        targets(("sum by (topic, partition) (predwatch_consumer_lag_messages)", "lag {{topic}}/{{partition}}"),
                ("sum by (topic, partition) (predwatch_rebuild_remaining_messages)", "rebuild left {{topic}}/{{partition}}")),
        minv=0), 8, 8)
    L.add(timeseries(
        "Age of the newest event (event time)",
        "Wall clock minus the event time of the newest applied event, per stream. The "
        "PredwatchStreamStale alert fires above 15 minutes.",
        targets((f"time() - max by (stream) (predwatch_last_event_timestamp_seconds{{{S}}})", "{{stream}}")),
        unit="s", thr=thresholds((None, "green"), (900, "red"))), 8, 8)
    L.add(stat(
        "Ready replicas",
        "Replicas whose assigned partitions are rebuilt and that serve, out of all scraped.",
        targets(("sum(predwatch_ready)", "ready"), ("count(predwatch_ready)", "replicas"))), 4, 4)
    L.add(stat(
        "Version",
        "predwatchd build and librdkafka version per replica.",
        targets(("count by (version, librdkafka) (predwatch_build_info)", "{{version}} (librdkafka {{librdkafka}})"))), 4, 4)
    L.newline()
    L.add(timeseries(
        "Window fill",
        "Covered fraction of each window's length (time windows) or capacity (count windows). "
        "Drift on a window that is far from full rests on little data.",
        targets((f"max by (stream, window) (predwatch_window_fill_ratio{{{SW}}})", "{{stream}} {{window}}")),
        unit="percentunit", minv=0), 12, 7)
    L.add(timeseries(
        "Frames per window",
        "Frames currently held by each window.",
        targets((f"max by (stream, window) (predwatch_window_frames{{{SW}}})", "{{stream}} {{window}}")),
        minv=0), 12, 7)

    # ---------------------------------------------------------------- class balance
    L.row("Class balance")
    L.add(timeseries(
        "Class share against baseline",
        "Each class's share of all objects in the window (solid) and in the baseline (dashed).",
        targets((f"max by (stream, window, class) (predwatch_class_share{{{SWC}}})", "{{stream}} {{window}} {{class}}"),
                (f'max by (stream, class) (predwatch_class_baseline_share{{{S},class=~"$class"}})', "{{stream}} baseline {{class}}")),
        unit="percentunit", overrides=dashed_for(".*baseline.*"), minv=0), 12, 9)
    L.add(bargauge(
        "Class share ÷ baseline share",
        "1 means the class is as frequent as in the baseline; 0 means it vanished. Values "
        "far from 1 on either side are class-balance drift.",
        targets((f'max by (stream, window, class) (predwatch_class_share{{{SWC}}}) / on (stream, class) group_left () max by (stream, class) (predwatch_class_baseline_share{{{S},class=~"$class"}})', "{{stream}} {{window}} {{class}}"),
                instant=True),
        unit="none", thr=thresholds((None, "red"), (0.5, "green"), (2, "red")), minv=0, maxv=4), 12, 9)
    L.add(table(
        "Class table",
        "Per class in each selected stream and window: objects, frames containing the class, "
        "share, baseline share and mean confidence.",
        targets((f"max by (stream, window, class) (predwatch_class_objects{{{SWC}}})", ""),
                (f"max by (stream, window, class) (predwatch_class_images{{{SWC}}})", ""),
                (f"max by (stream, window, class) (predwatch_class_share{{{SWC}}})", ""),
                (f'max by (stream, class) (predwatch_class_baseline_share{{{S},class=~"$class"}})', ""),
                (f"max by (stream, window, class) (predwatch_class_mean_confidence{{{SWC}}})", ""),
                instant=True, fmt="table"),
        rename={"Value #A": "objects", "Value #B": "frames", "Value #C": "share",
                "Value #D": "baseline share", "Value #E": "mean confidence"},
        sort="objects"), 24, 9)

    # ---------------------------------------------------------------- drift
    L.row("Drift vs baseline")
    L.add(timeseries(
        "Drift score ÷ threshold (distances; above 1 = drift)",
        "Jensen-Shannon distance, PSI, Hellinger distance and rate ratios divided by their "
        "thresholds. The daemon's thresholds are per kind and subject, so one line at 1 "
        "shows them all.",
        targets((f'max by (stream, window, kind, subject, measure) (predwatch_drift_score{{{SWB},measure!~".*pvalue"}}) / max by (stream, window, kind, subject, measure) (predwatch_drift_threshold{{{SWB},measure!~".*pvalue"}})', "{{stream}} {{window}} {{kind}} {{subject}} {{measure}}")),
        unit="none", thr=thresholds((None, "green"), (1, "red")), minv=0), 12, 9)
    L.add(timeseries(
        "Rare-event evidence: −log10 corrected p (above threshold = drift)",
        "Novel pairs, classes that appeared or vanished: −log10 of the p-value after the "
        "multiple-testing correction (solid) against −log10 α (dashed).",
        targets((f'max by (stream, window, kind, subject, measure) (predwatch_drift_score{{{SWB},measure="binomial"}})', "{{stream}} {{window}} {{kind}} {{subject}}"),
                (f'max by (stream, window, kind, subject, measure) (predwatch_drift_threshold{{{SWB},measure="binomial"}})', "threshold {{stream}} {{window}} {{kind}} {{subject}}")),
        unit="none", overrides=dashed_for("threshold.*")), 12, 9)
    L.add(timeseries(
        "Drift scores and thresholds for the selected classes",
        "Raw scores (solid) and thresholds (dashed) of the per-class drift measures whose "
        "subject is one of the selected classes.",
        targets((f'max by (stream, window, kind, subject, measure) (predwatch_drift_score{{{SWB},subject=~"$class"}})', "{{stream}} {{window}} {{kind}} {{subject}} {{measure}}"),
                (f'max by (stream, window, kind, subject, measure) (predwatch_drift_threshold{{{SWB},subject=~"$class"}})', "threshold {{stream}} {{window}} {{kind}} {{subject}} {{measure}}")),
        unit="none", overrides=dashed_for("threshold.*")), 12, 9)
    L.add(table(
        "Current drift scores",
        "Every exported drift measure against the baseline with its threshold, largest score "
        "first.",
        targets((f"max by (stream, window, kind, subject, measure) (predwatch_drift_score{{{SWB}}})", ""),
                (f"max by (stream, window, kind, subject, measure) (predwatch_drift_threshold{{{SWB}}})", ""),
                instant=True, fmt="table"),
        rename={"Value #A": "score", "Value #B": "threshold"}, sort="score"), 12, 9)

    # ---------------------------------------------------------------- learned reference
    L.row("vs learned reference")
    L.add(timeseries(
        "Learned reference: frames",
        "Frames in each stream's learned reference (docs/DRIFT.md \"Learned reference\"): "
        "growing while it learns, flat once complete or pinned.",
        targets((f"max by (stream) (predwatch_reference_frames{{{S}}})", "{{stream}}")),
        minv=0), 8, 8)
    L.add(stat(
        "Streams with a complete reference",
        "Streams whose learned reference is complete (or pinned), out of all that learn one. "
        "Until then nothing is compared with it.",
        targets((f"sum(predwatch_reference_complete{{{S}}})", "complete"),
                (f"count(predwatch_reference_complete{{{S}}})", "streams"))), 4, 4)
    L.add(timeseries(
        "Drift score ÷ threshold vs learned reference",
        "The kinds a training baseline cannot judge (confidence, objects per image, box size, "
        "objects per frame; `reference.kinds`), each window compared with the stream's own "
        "first frames or pinned period. Above 1 = drift.",
        targets((f'max by (stream, window, kind, subject, measure) (predwatch_drift_score{{{SWR},measure!~".*pvalue"}}) / max by (stream, window, kind, subject, measure) (predwatch_drift_threshold{{{SWR},measure!~".*pvalue"}})', "{{stream}} {{window}} {{kind}} {{subject}} {{measure}}")),
        unit="none", thr=thresholds((None, "green"), (1, "red")), minv=0), 12, 8)
    L.add(timeseries(
        "Confidence drift per class vs learned reference",
        "Confidence drift scores (solid) and thresholds (dashed) of the selected classes "
        "against the stream's learned reference.",
        targets((f'max by (stream, window, subject, measure) (predwatch_drift_score{{{SWR},kind="confidence",subject=~"$class"}})', "{{stream}} {{window}} {{subject}} {{measure}}"),
                (f'max by (stream, window, subject, measure) (predwatch_drift_threshold{{{SWR},kind="confidence",subject=~"$class"}})', "threshold {{stream}} {{window}} {{subject}} {{measure}}")),
        unit="none", overrides=dashed_for("threshold.*")), 12, 9)
    L.add(table(
        "Current drift scores vs learned reference",
        "Every exported drift measure against the learned reference with its threshold, "
        "largest score first.",
        targets((f"max by (stream, window, kind, subject, measure) (predwatch_drift_score{{{SWR}}})", ""),
                (f"max by (stream, window, kind, subject, measure) (predwatch_drift_threshold{{{SWR}}})", ""),
                instant=True, fmt="table"),
        rename={"Value #A": "score", "Value #B": "threshold"}, sort="score"), 12, 9)

    # ---------------------------------------------------------------- alerts and pairs
    L.row("Alerts and class pairs")
    L.add(stat(
        "Daemon alerts by state",
        "predwatchd's own alert engine: alerts pending (condition met, waiting) and firing.",
        targets(("sum by (state) (predwatch_alerts)", "{{state}}")),
        thr=thresholds((None, "green"), (1, "orange"))), 6, 6)
    L.add(table(
        "Firing alerts (predwatchd)",
        "Alerts the daemon currently fires: one per stream, drift kind and subject, whatever "
        "number of windows agree (`predwatch alerts` lists the windows).",
        targets((f"max by (stream, kind, subject) (predwatch_alert_firing{{{S}}}) == 1", ""),
                instant=True, fmt="table"),
        exclude=("Time", "Value"))
        , 9, 6)
    L.add(table(
        "Firing alerts (Prometheus rules)",
        "Alerts from deploy/prometheus/alerts.yml that are firing now.",
        targets(('ALERTS{alertname=~"Predwatch.*",alertstate="firing"}', ""), instant=True, fmt="table"),
        exclude=("Time", "Value", "__name__", "alertstate")), 9, 6)
    L.add(table(
        "Top anomalous class pairs",
        "Flagged pairs (top-K exported by the daemon): frames with both classes in the window, "
        "frames expected from the smoothed baseline rate, and their ratio.",
        targets((f"topk(10, max by (stream, window, subject) (predwatch_pair_window_images{{{SW}}}) / clamp_min(max by (stream, window, subject) (predwatch_pair_expected_images{{{SW}}}), 1e-06))", ""),
                (f"max by (stream, window, subject) (predwatch_pair_window_images{{{SW}}})", ""),
                (f"max by (stream, window, subject) (predwatch_pair_expected_images{{{SW}}})", ""),
                instant=True, fmt="table"),
        rename={"subject": "pair", "Value #A": "observed ÷ expected", "Value #B": "frames",
                "Value #C": "expected frames"}, sort="observed ÷ expected"), 12, 9)
    L.add(timeseries(
        "Flagged pairs: frames observed and expected",
        "Frames containing each flagged pair (solid) and the number the baseline predicts "
        "(dashed).",
        targets((f"max by (stream, window, subject) (predwatch_pair_window_images{{{SW}}})", "{{stream}} {{window}} {{subject}}"),
                (f"max by (stream, window, subject) (predwatch_pair_expected_images{{{SW}}})", "expected {{stream}} {{window}} {{subject}}")),
        overrides=dashed_for("expected.*"), minv=0), 12, 9)

    # ---------------------------------------------------------------- confidence
    L.row("Confidence")
    L.add(timeseries(
        "Mean confidence per class",
        "Mean confidence of the class's objects in the window.",
        targets((f"max by (stream, window, class) (predwatch_class_mean_confidence{{{SWC}}})", "{{stream}} {{window}} {{class}}")),
        unit="percentunit", minv=0), 12, 8)
    L.add(timeseries(
        "Confidence drift per class",
        "Confidence drift scores of the selected classes against a production-snapshot "
        "baseline (training baselines carry no confidence, so there is none for them; the "
        "row \"vs learned reference\" has the comparison with the stream's own first frames).",
        targets((f'max by (stream, window, subject, measure) (predwatch_drift_score{{{SWB},kind="confidence",subject=~"$class"}})', "{{stream}} {{window}} {{subject}} {{measure}}"),
                (f'max by (stream, window, subject, measure) (predwatch_drift_threshold{{{SWB},kind="confidence",subject=~"$class"}})', "threshold {{stream}} {{window}} {{subject}} {{measure}}")),
        unit="none", overrides=dashed_for("threshold.*")), 12, 8)

    # ---------------------------------------------------------------- daemon internals
    L.row("predwatchd internals")
    L.add(timeseries(
        "Processing latency (p50 / p99)",
        "Time to decode one message, to apply one event to all its windows, and to run one "
        "drift evaluation of all streams.",
        targets((f"histogram_quantile(0.99, sum by (le) (rate(predwatch_decode_duration_seconds_bucket[{RI}])))", "decode p99"),
                (f"histogram_quantile(0.5, sum by (le) (rate(predwatch_decode_duration_seconds_bucket[{RI}])))", "decode p50"),
                (f"histogram_quantile(0.99, sum by (le) (rate(predwatch_apply_duration_seconds_bucket[{RI}])))", "apply p99"),
                (f"histogram_quantile(0.5, sum by (le) (rate(predwatch_apply_duration_seconds_bucket[{RI}])))", "apply p50"),
                (f"histogram_quantile(0.99, sum by (le) (rate(predwatch_evaluation_duration_seconds_bucket[{RI}])))", "evaluation p99")),
        unit="s", log=True), 8, 8)
    L.add(timeseries(
        "Drift evaluations per second",
        "Drift evaluations run, per replica.",
        targets((f"sum by (instance) (rate(predwatch_evaluations_total[{RI}]))", "{{instance}}")),
        unit="ops", minv=0), 8, 8)
    L.add(timeseries(
        "Series dropped by cardinality caps, and streams changing partition",
        "Series left out by metrics.max_classes_exported / top_pairs / max_series, and events "
        "whose stream key arrived on another partition than before (producers not keying by "
        "stream).",
        targets((f"sum by (metric) (rate(predwatch_series_dropped_total[{RI}]))", "dropped {{metric}}"),
                (f"sum by (stream) (rate(predwatch_stream_moved_total{{{S}}}[{RI}]))", "moved {{stream}}")),
        unit="ops", minv=0), 8, 8)

    templating = [
        {"type": "datasource", "name": "datasource", "label": "Data source", "query": "prometheus",
         "current": {}, "hide": 0, "refresh": 1, "regex": "", "options": []},
        # Model versions (streams.split_model_versions): a version's stream is
        # "<stream>@<version>"; choosing versions narrows the stream list to them (and the
        # streams without a version).
        dict(variable("version", "Model version",
                      "label_values(predwatch_last_event_timestamp_seconds, stream)"),
             regex="/@(.+)$/"),
        variable("stream", "Stream",
                 'label_values(predwatch_last_event_timestamp_seconds{stream=~"[^@]*(@($version))?"}, stream)'),
        variable("window", "Window", 'label_values(predwatch_window_frames{stream=~"$stream"}, window)'),
        variable("class", "Class", 'label_values(predwatch_class_share{stream=~"$stream",window=~"$window"}, class)'),
    ]
    return {
        "uid": "predwatch-overview",
        "title": "predwatch",
        "description": "Prediction drift and ingestion health of predwatchd (docs/METRICS.md).",
        "tags": ["predwatch", "mlops", "drift"],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-3h", "to": "now"},
        "templating": {"list": templating},
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
            "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
            "name": "Annotations & Alerts", "type": "dashboard"}]},
        "links": [],
        "panels": L.panels,
    }


def main():
    out = pathlib.Path(__file__).with_name("predwatch.json")
    text = json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        if out.read_text(encoding="utf-8") != text:
            print(f"{out} is stale: run /usr/bin/python3 {__file__}", file=sys.stderr)
            return 1
        print(f"{out} is up to date")
        return 0
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
