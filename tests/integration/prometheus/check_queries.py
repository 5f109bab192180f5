#!/usr/bin/python3
"""Runs every PromQL expression of the Grafana dashboard and the alert rules through a real
Prometheus (its HTTP API), and waits for alerts.

    check_queries.py --url URL [--mode syntax|data] [--require-data dashboard|rules|all]
                     [--wait-alert NAME ...] [--timeout SECONDS] [--dashboard F] [--rules F]
    check_queries.py --list

--mode syntax (default): every expression must be accepted by /api/v1/query; a parse or
    type error comes back as HTTP 400 "bad_data" and fails the check. An empty TSDB is fine.
--mode data: also reports every expression that returns no series (a dashboard panel that
    would stay empty, a rule that does not fire); with --require-data those fail the check.
    A dashboard variable query label_values(SELECTOR, LABEL) counts as having data when some
    series of SELECTOR carries LABEL.
--wait-alert NAME: waits (up to --timeout) until /api/v1/alerts lists NAME as firing.

Grafana's variables are replaced before querying: $stream, $window, $class and any other
${...}/$name by ".*" (the variables' "All" value; they are only used in =~ matchers),
$__rate_interval by 1m, $__interval by 15s, $__range by 1h.
Exit status 0 when every check passed, 1 otherwise. Standard library only.
"""
import argparse
import json
import pathlib
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[3]
DEFAULT_DASHBOARD = REPO / "deploy" / "grafana" / "predwatch.json"
DEFAULT_RULES = REPO / "deploy" / "prometheus" / "alerts.yml"

GRAFANA_BUILTINS = {"__rate_interval": "1m", "__interval": "15s", "__range": "1h",
                    "__interval_ms": "15000", "__range_s": "3600"}
LABEL_VALUES = re.compile(r"^\s*label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$", re.S)


def substitute(expr):
    def repl(m):
        name = m.group(1) or m.group(2)
        return GRAFANA_BUILTINS.get(name, ".*")

    return re.sub(r"\$\{([A-Za-z0-9_]+)(?::[a-z]+)?\}|\$([A-Za-z_][A-Za-z0-9_]*)", repl, expr)


class Query:
    def __init__(self, origin, expr, label=None):
        self.origin = origin  # "dashboard: <panel> [A]" or "rules: <alert>"
        self.expr = expr  # as written
        self.label = label  # for label_values(): the label that must be present

    @property
    def source(self):
        return self.origin.split(":", 1)[0]


def dashboard_queries(path):
    doc = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    out = []

    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                if "expr" in t:
                    out.append(Query(f"dashboard: {p.get('title')} [{t.get('refId')}]", t["expr"]))
            walk(p.get("panels", []))

    walk(doc.get("panels", []))
    for v in doc.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v["query"]["query"] if isinstance(v.get("query"), dict) else v.get("query", "")
        m = LABEL_VALUES.match(q)
        if m:
            out.append(Query(f"dashboard: variable {v['name']}", m.group(1), label=m.group(2)))
        else:
            out.append(Query(f"dashboard: variable {v['name']}", q))
    return out


def rule_queries(path):
    import yaml  # python3-yaml; only needed for rules

    doc = yaml.safe_load(pathlib.Path(path).read_text(encoding="utf-8"))
    out = []
    for g in doc.get("groups", []):
        for r in g.get("rules", []):
            name = r.get("alert") or r.get("record")
            out.append(Query(f"rules: {name}", r["expr"]))
    return out


def api_get(url, path, params=None):
    full = url.rstrip("/") + path
    if params:
        full += "?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(full, timeout=30) as resp:
            return resp.status, json.loads(resp.read().decode())
    except urllib.error.HTTPError as e:
        body = e.read().decode(errors="replace")
        try:
            return e.code, json.loads(body)
        except ValueError:
            return e.code, {"status": "error", "error": body}


def run_query(url, q):
    """Returns (ok, has_data, message)."""
    status, body = api_get(url, "/api/v1/query", {"query": substitute(q.expr)})
    if status != 200 or body.get("status") != "success":
        return False, False, f"{body.get('errorType', status)}: {body.get('error')}"
    data = body["data"]
    result = data.get("result")
    if data.get("resultType") == "vector" or data.get("resultType") == "matrix":
        if q.label:
            has = any(q.label in s.get("metric", {}) for s in result)
        else:
            has = len(result) > 0
        return True, has, f"{len(result)} series"
    return True, result is not None, data.get("resultType")


def wait_alerts(url, names, timeout):
    deadline = time.monotonic() + timeout
    pending = set(names)
    while pending and time.monotonic() < deadline:
        status, body = api_get(url, "/api/v1/alerts")
        if status == 200:
            firing = {a["labels"].get("alertname") for a in body["data"]["alerts"]
                      if a.get("state") == "firing"}
            pending -= firing
        if pending:
            time.sleep(0.5)
    return pending


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url")
    ap.add_argument("--dashboard", default=str(DEFAULT_DASHBOARD))
    ap.add_argument("--rules", default=str(DEFAULT_RULES))
    ap.add_argument("--mode", choices=["syntax", "data"], default="syntax")
    ap.add_argument("--require-data", choices=["none", "dashboard", "rules", "all"], default="none")
    ap.add_argument("--wait-alert", action="append", default=[])
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--list", action="store_true", help="print the expressions and exit")
    ap.add_argument("--empty-out", help="write the origins of expressions without data here")
    ap.add_argument("--only", help="check only the expressions whose origins this file lists")
    args = ap.parse_args()

    queries = dashboard_queries(args.dashboard) + rule_queries(args.rules)
    if args.only:
        with open(args.only) as f:
            wanted = set(line.rstrip("\n") for line in f if line.strip())
        queries = [q for q in queries if q.origin in wanted]
    if args.list:
        for q in queries:
            print(f"{q.origin}\n    {substitute(q.expr).strip()}")
        return 0
    if not args.url:
        ap.error("--url is required")

    # Alerts first: once they fire, the queries (e.g. of ALERTS) see a settled server.
    missing_alerts = 0
    if args.wait_alert:
        missing = wait_alerts(args.url, args.wait_alert, args.timeout)
        for name in args.wait_alert:
            print(f"{'FAIL' if name in missing else 'ok  '}  alert {name} firing")
        missing_alerts = len(missing)

    failed = 0
    empty = []
    for q in queries:
        ok, has, msg = run_query(args.url, q)
        if not ok:
            failed += 1
            print(f"FAIL  {q.origin}\n      {substitute(q.expr).strip()}\n      {msg}")
        elif args.mode == "data" and not has:
            empty.append(q)
    print(f"check_queries: {len(queries)} expressions, {len(queries) - failed} accepted by Prometheus")
    if args.mode == "data":
        for q in empty:
            required = args.require_data in ("all", q.source)
            print(f"{'FAIL' if required else 'note'}  no data: {q.origin}")
            failed += required
        print(f"check_queries: {len(queries) - len(empty)} of {len(queries)} returned data")
        if args.empty_out:
            with open(args.empty_out, "w") as f:
                f.writelines(q.origin + "\n" for q in empty if q.source == "dashboard")
    failed += missing_alerts
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
