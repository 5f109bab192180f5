#!/usr/bin/env bash
# Starts and stops a real Prometheus (Debian's `prometheus` package) for integration tests.
#
#   run_prometheus.sh start STATE_DIR [TARGET]   prints the server's URL on stdout
#   run_prometheus.sh stop STATE_DIR
#
# start: picks a free loopback port, writes STATE_DIR/prometheus.yml (scrape and rule
# evaluation every 1 s; scrapes TARGET host:port at /metrics as job "predwatch" if given),
# copies the alert rules next to it, keeps the TSDB in STATE_DIR/tsdb and waits until the
# server answers /-/ready. Files left in STATE_DIR: url, pid, prometheus.log.
# stop: ends the Prometheus started for STATE_DIR (by its recorded pid only) and removes
# the TSDB.
#
# Environment:
#   PREDWATCH_RULES       rule file to load (default: deploy/prometheus/alerts.yml)
#   PREDWATCH_ALERT_FOR   if set (e.g. 0s), every rule's `for:` is replaced by it, so alerts
#                         fire within seconds in tests
#   PROMETHEUS_BIN        default: prometheus on PATH
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
PY=/usr/bin/python3

usage() { echo "usage: $0 start STATE_DIR [TARGET] | stop STATE_DIR" >&2; exit 2; }

start() {
  local dir=$1 target=${2:-}
  local prom=${PROMETHEUS_BIN:-$(command -v prometheus || true)}
  [ -n "$prom" ] || { echo "run_prometheus: no prometheus binary (apt-get install prometheus)" >&2; exit 1; }
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    echo "run_prometheus: already running for $dir (pid $(cat "$dir/pid"))" >&2; exit 1
  fi
  rm -rf "$dir/tsdb"
  local rules=${PREDWATCH_RULES:-$repo/deploy/prometheus/alerts.yml}
  RULES_IN=$rules RULES_OUT=$dir/alerts.yml ALERT_FOR=${PREDWATCH_ALERT_FOR:-} $PY - <<'PYEOF'
import os, yaml
with open(os.environ["RULES_IN"]) as f:
    doc = yaml.safe_load(f)
override = os.environ["ALERT_FOR"]
if override:
    for group in doc.get("groups", []):
        for rule in group.get("rules", []):
            if "alert" in rule:
                rule["for"] = override
with open(os.environ["RULES_OUT"], "w") as f:
    yaml.safe_dump(doc, f, sort_keys=False, allow_unicode=True)
PYEOF
  local port
  port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  {
    echo "global:"
    echo "  scrape_interval: 1s"
    echo "  scrape_timeout: 1s"
    echo "  evaluation_interval: 1s"
    echo "rule_files: [alerts.yml]"
    echo "scrape_configs:"
    if [ -n "$target" ]; then
      echo "  - job_name: predwatch"
      echo "    static_configs:"
      echo "      - targets: ['$target']"
    else
      echo "  []"
    fi
  } >"$dir/prometheus.yml"
  # Alone in its own process group, so a test's Ctrl-C does not reach it before stop does.
  setsid "$prom" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/tsdb" \
    --web.listen-address="127.0.0.1:$port" --storage.tsdb.retention.time=1h \
    --log.level=warn >"$dir/prometheus.log" 2>&1 </dev/null &
  echo $! >"$dir/pid"
  local url="http://127.0.0.1:$port"
  echo "$url" >"$dir/url"
  for _ in $(seq 1 150); do
    if curl -fsS "$url/-/ready" >/dev/null 2>&1; then
      echo "$url"
      return 0
    fi
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      echo "run_prometheus: prometheus exited; log:" >&2
      cat "$dir/prometheus.log" >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "run_prometheus: not ready after 30 s; log:" >&2
  cat "$dir/prometheus.log" >&2
  stop "$dir"
  exit 1
}

stop() {
  local dir=$1
  if [ -f "$dir/pid" ]; then
    local pid
    pid=$(cat "$dir/pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
      done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    rm -f "$dir/pid"
  fi
  rm -rf "$dir/tsdb"
}

[ $# -ge 2 ] || usage
case $1 in
  start) start "$2" "${3:-}" ;;
  stop) stop "$2" ;;
  *) usage ;;
esac
