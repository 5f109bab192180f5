#!/usr/bin/env bash
# Every PromQL expression of the Grafana dashboard (panels and variable queries) and of the
# alert rules must be accepted by a real Prometheus: one is started on a free loopback port
# with an empty TSDB, each expression goes through /api/v1/query (a syntax or type error
# is HTTP 400 bad_data), then the server is stopped. Grafana variables are substituted as
# check_queries.py documents.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
harness=$here/../prometheus
state=$(mktemp -d)
trap 'bash "$harness/run_prometheus.sh" stop "$state"; rm -rf "$state"' EXIT
url=$(bash "$harness/run_prometheus.sh" start "$state")
/usr/bin/python3 "$harness/check_queries.py" --url "$url" --mode syntax "$@"
