#!/usr/bin/env bash
# End to end with a real Prometheus: predwatchd runs its demo (embedded Kafka, generated
# traffic from COCO val2017, scheduled drift episodes) with metrics on a loopback port; a
# real Prometheus (Debian package) scrapes it every second with deploy/prometheus/alerts.yml
# loaded (`for:` shortened to 0s), and then
#   1. every expression of the Grafana dashboard returns data through Prometheus' HTTP API
#      and every rule expression is accepted;
#   2. the injected drift makes the corresponding rules fire: PredwatchNovelClassPair (the
#      demo's first episode, a novel pair) and PredwatchDriftScoreOverThreshold (the second,
#      a count collapse).
# Each dashboard expression must return data in at least one of the rounds below (pair
# panels have data while a pair is flagged, not after).
# The demo's baseline is COCO annotations, which carry no confidence; once the alerts fire
# the test snapshots the live window as the stream's baseline (`predwatch baseline snapshot
# --install`, a production-window baseline), so the confidence panels get data too, and pins
# the same window as the stream's learned reference (`predwatch reference pin`), so the
# "vs learned reference" panels do whether or not the reference completed by itself.
# Usage: predwatchd_e2e.sh PATH/TO/predwatchd PATH/TO/predwatch
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
predwatchd=$1
predwatch=$2
PY=/usr/bin/python3
work=$(mktemp -d)
daemon_pid=""
cleanup() {
  bash "$here/run_prometheus.sh" stop "$work/prom" >/dev/null 2>&1 || true
  if [ -n "$daemon_pid" ]; then
    kill "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
mport=$(free_port)
gport=$(free_port)
"$predwatchd" --demo --no-view --metrics-bind "127.0.0.1:$mport" --grpc-bind "127.0.0.1:$gport" --web-bind 127.0.0.1:0 \
  --warmup 20s --episode 60s --gap 20s --eval-interval 1s --window 30s --pane 2s \
  --duration 240 >"$work/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$mport/metrics" 2>/dev/null | grep -q '^predwatch_ready 1' && break
  kill -0 "$daemon_pid" 2>/dev/null || { echo "e2e: predwatchd exited"; cat "$work/daemon.log"; exit 1; }
  sleep 0.5
done
echo "e2e: predwatchd metrics at 127.0.0.1:$mport"

url=$(PREDWATCH_ALERT_FOR=0s bash "$here/run_prometheus.sh" start "$work/prom" "127.0.0.1:$mport")
echo "e2e: prometheus at $url"

fail() {
  echo "e2e: FAIL; last daemon log lines:"
  tail -30 "$work/daemon.log"
  exit 1
}
# Round 1, while the novel pair fires (the demo's first episode): every expression is
# accepted; those without data yet are listed for the next rounds.
$PY "$here/check_queries.py" --url "$url" --mode data --require-data none \
  --wait-alert PredwatchNovelClassPair --timeout 150 --empty-out "$work/empty1.txt" || fail
# Round 2, during the second episode (a count collapse: a non-pair drift alert).
$PY "$here/check_queries.py" --url "$url" --mode data --require-data none \
  --wait-alert PredwatchDriftScoreOverThreshold --timeout 150 \
  --only "$work/empty1.txt" --empty-out "$work/empty.txt" || fail
echo "e2e: without data so far:"; sed 's/^/  /' "$work/empty.txt"

stream=$("$predwatch" streams --addr "127.0.0.1:$gport" --json |
  $PY -c 'import json, sys; print(json.load(sys.stdin)["streams"][0]["stream"])')
"$predwatch" baseline snapshot "$stream" --install --addr "127.0.0.1:$gport" || fail
"$predwatch" reference pin "$stream" --addr "127.0.0.1:$gport" || fail
# Confidence findings need an evaluation against the new baseline and reference and a scrape
# after it.
for _ in $(seq 1 60); do
  body=$(curl -fsS "http://127.0.0.1:$mport/metrics")
  if grep -q 'predwatch_drift_score{.*kind="confidence".*against="baseline"' <<<"$body" &&
     grep -q 'predwatch_drift_score{.*kind="confidence".*against="reference"' <<<"$body"; then
    break
  fi
  sleep 0.5
done
sleep 3

if ! $PY "$here/check_queries.py" --url "$url" --mode data --require-data dashboard \
  --only "$work/empty.txt"; then
  echo "e2e: FAIL; last daemon log lines:"
  tail -30 "$work/daemon.log"
  exit 1
fi
echo "e2e: passed"
