#!/usr/bin/env bash
# Self-test of the Prometheus harness (run_prometheus.sh + check_queries.py) without
# predwatchd: a static file server on loopback serves sample_metrics.prom as /metrics, a
# real Prometheus scrapes it every second with the alert rules loaded (`for:` set to 0s),
# and then:
#   1. every dashboard expression and variable query returns data (so every panel has a
#      metric behind it, with the labels the dashboard filters on), and every rule
#      expression is accepted;
#   2. the alerts these values must trigger are firing;
#   3. a broken expression is reported as a failure (the checker can fail).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
work=$(mktemp -d)
server_pid=""
cleanup() {
  bash "$here/run_prometheus.sh" stop "$work/prom" || true
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/www"
cp "$here/sample_metrics.prom" "$work/www/metrics"
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$PY -m http.server --bind 127.0.0.1 --directory "$work/www" "$port" >"$work/http.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$port/metrics" >/dev/null 2>&1 && break
  sleep 0.1
done

url=$(PREDWATCH_ALERT_FOR=0s bash "$here/run_prometheus.sh" start "$work/prom" "127.0.0.1:$port")
echo "selftest: prometheus at $url scraping 127.0.0.1:$port"

# Wait for the target to be up and for enough scrapes that rate() over 1m has two samples.
for _ in $(seq 1 60); do
  n=$(curl -fsS "$url/api/v1/query?query=count_over_time(up%7Bjob%3D%22predwatch%22%7D%5B1m%5D)" |
      $PY -c 'import json, sys; r = json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)' \
      2>/dev/null || echo 0)
  [ "${n%.*}" -ge 4 ] && break
  sleep 0.5
done

$PY "$here/check_queries.py" --url "$url" --mode data --require-data dashboard \
  --wait-alert PredwatchDriftScoreOverThreshold --wait-alert PredwatchNovelClassPair \
  --wait-alert PredwatchIngestionStalled --wait-alert PredwatchStreamStale --timeout 60

# 3. the checker must reject a broken expression
cat >"$work/bad.json" <<'JSON'
{"panels": [{"title": "broken", "targets": [{"refId": "A", "expr": "sum by (stream (predwatch_ready"}]}]}
JSON
if $PY "$here/check_queries.py" --url "$url" --dashboard "$work/bad.json" >"$work/bad.log" 2>&1; then
  echo "selftest: FAIL: a broken expression was accepted"; cat "$work/bad.log"; exit 1
fi
grep -q "FAIL  dashboard: broken" "$work/bad.log" || { cat "$work/bad.log"; exit 1; }
echo "selftest: broken expression rejected as expected"
echo "selftest: passed"
