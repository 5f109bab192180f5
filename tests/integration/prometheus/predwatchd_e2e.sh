#!/usr/bin/env bash
# End to end with a real Prometheus: predwatchd runs its demo (embedded Kafka, generated
# traffic from COCO val2017, scheduled drift episodes) with metrics on a loopback port; a
# real Prometheus (Debian package) scrapes it every second with deploy/prometheus/alerts.yml
# loaded (`for:` shortened to 0s), and then
#   1. every expression of the Grafana dashboard returns data through Prometheus' HTTP API
#      and every rule expression is accepted;
#   2. the injected drift (the demo's first episode, a novel pair) makes the corresponding
#      rules fire: PredwatchNovelClassPair and PredwatchDriftScoreOverThreshold.
# Usage: predwatchd_e2e.sh PATH/TO/predwatchd
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
predwatchd=$1
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
"$predwatchd" --demo --no-view --metrics-bind "127.0.0.1:$mport" --grpc-bind 127.0.0.1:0 \
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

if ! $PY "$here/check_queries.py" --url "$url" --mode data --require-data dashboard \
  --wait-alert PredwatchNovelClassPair --wait-alert PredwatchDriftScoreOverThreshold \
  --timeout 150; then
  echo "e2e: FAIL; last daemon log lines:"
  tail -30 "$work/daemon.log"
  exit 1
fi
echo "e2e: passed"
