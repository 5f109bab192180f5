#!/usr/bin/python3
"""Structural checks of deploy/grafana/predwatch.json, and a contract check of the metric
names used by the dashboard and by deploy/prometheus/alerts.yml against docs/METRICS.md.

    check_dashboard.py [DASHBOARD_JSON]

Dashboard: unique panel ids; panels inside the 24-column grid and not overlapping; every
panel queries through the ${datasource} variable, with unique refIds; the variables stream,
window and class exist, use ".*" as their All value and are all used; the panels the
deploy issue asks for exist. Contract: every predwatch_* name used (histograms through
their _bucket series) is a metric documented in docs/METRICS.md with its type. Links: every
alert of alerts.yml has a `runbook` annotation naming its own section of docs/RUNBOOK.md
(and every alert section there is an alert), and a `dashboard` annotation that is this
dashboard's path (/d/UID/SLUG) with only variables it defines, the stream's when the alert
has a stream label.
PromQL validity itself is checked against a real Prometheus by check_promql.sh.
"""
import json
import pathlib
import re
import sys

import yaml

REPO = pathlib.Path(__file__).resolve().parents[3]
REQUIRED_PANELS = [  # (what the issue asks for, a word of the title that shows it)
    ("ingest rate", "Events per second"),
    ("lag", "Consumer lag"),
    ("invalid events", "Rejected"),
    ("class balance against baseline", "Class share against baseline"),
    ("drift scores with thresholds", "Drift score"),
    ("firing alerts", "Firing alerts"),
    ("top anomalous pairs", "Top anomalous class pairs"),
    ("per-class confidence", "Mean confidence per class"),
]


def documented_metrics():
    text = (REPO / "docs/METRICS.md").read_text()
    return dict(re.findall(r"^\|\s*(predwatch_[a-z0-9_]+)\s*\|\s*(counter|gauge|histogram)\s*\|", text, re.M))


def used_metrics(expr):
    return set(re.findall(r"\b(predwatch_[a-z0-9_]+)", expr))


def runbook_sections():
    """Anchors of the '### Name' headings of docs/RUNBOOK.md, as GitHub renders them."""
    text = (REPO / "docs/RUNBOOK.md").read_text()
    return {h.strip().lower(): h.strip() for h in re.findall(r"^### (\S+)\s*$", text, re.M)}


def link_problems(rules, dashboard, variables):
    problems = []
    sections = runbook_sections()
    slug = re.sub(r"[^a-z0-9]+", "-", dashboard.get("title", "").lower()).strip("-")
    path = f"/d/{dashboard.get('uid')}/{slug}"
    alerts = set()
    for g in rules["groups"]:
        for r in g["rules"]:
            name, ann = r["alert"], r.get("annotations", {})
            alerts.add(name)
            if ann.get("runbook") != f"docs/RUNBOOK.md#{name.lower()}":
                problems.append(f"{name}: runbook annotation {ann.get('runbook')!r}, want docs/RUNBOOK.md#{name.lower()}")
            if name.lower() not in sections:
                problems.append(f"{name}: no '### {name}' section in docs/RUNBOOK.md")
            link = ann.get("dashboard", "")
            base, _, query = link.partition("?")
            if base != path:
                problems.append(f"{name}: dashboard annotation {link!r} is not {path}")
            params = dict(q.split("=", 1) for q in query.split("&") if q)
            for k in params:
                if not k.startswith("var-") or k[4:] not in variables:
                    problems.append(f"{name}: dashboard link sets {k}, not a variable of the dashboard")
            if "$labels.stream" in ann.get("summary", "") and params.get("var-stream") != "{{ $labels.stream }}":
                problems.append(f"{name}: has a stream label but its dashboard link does not select it")
    for anchor, heading in sections.items():
        if heading not in alerts:
            problems.append(f"docs/RUNBOOK.md: section {heading!r} is no alert of alerts.yml")
    return problems


def main():
    path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "deploy/grafana/predwatch.json"
    d = json.loads(path.read_text())
    problems = []
    panels = d.get("panels", [])
    ids = [p.get("id") for p in panels]
    if len(ids) != len(set(ids)) or None in ids:
        problems.append("panel ids are missing or not unique")
    cells = {}
    exprs = []
    for p in panels:
        g = p.get("gridPos", {})
        x, y, w, h = g.get("x"), g.get("y"), g.get("w"), g.get("h")
        if None in (x, y, w, h) or x < 0 or w < 1 or x + w > 24 or h < 1:
            problems.append(f"panel {p.get('title')!r}: gridPos {g} outside the 24-column grid")
            continue
        for cx in range(x, x + w):
            for cy in range(y, y + h):
                if (cx, cy) in cells:
                    problems.append(f"panel {p.get('title')!r} overlaps {cells[(cx, cy)]!r}")
                    break
                cells[(cx, cy)] = p.get("title")
            else:
                continue
            break
        if p.get("type") == "row":
            continue
        if p.get("datasource", {}).get("uid") != "${datasource}":
            problems.append(f"panel {p.get('title')!r} does not use the ${{datasource}} variable")
        refs = [t.get("refId") for t in p.get("targets", [])]
        if not refs or len(refs) != len(set(refs)):
            problems.append(f"panel {p.get('title')!r}: no targets or duplicate refIds")
        for t in p.get("targets", []):
            if not t.get("expr", "").strip():
                problems.append(f"panel {p.get('title')!r} [{t.get('refId')}]: empty expr")
            exprs.append(t.get("expr", ""))
    variables = {v["name"]: v for v in d.get("templating", {}).get("list", [])}
    all_text = "\n".join(exprs + [json.dumps(v.get("query")) for v in variables.values()])
    for name in ("datasource", "version", "stream", "window", "class"):
        if name not in variables:
            problems.append(f"template variable {name} missing")
    # The model-version variable narrows the stream list (streams.split_model_versions).
    if "$version" not in json.dumps(variables.get("stream", {}).get("query")):
        problems.append("variable stream: its query does not use $version")
    if variables.get("version", {}).get("allValue") != ".*":
        problems.append("variable version: needs includeAll with allValue '.*'")
    for name in ("stream", "window", "class"):
        v = variables.get(name, {})
        if v.get("allValue") != ".*" or not v.get("includeAll"):
            problems.append(f"variable {name}: needs includeAll with allValue '.*' (used in =~ matchers)")
        if f"${name}" not in "\n".join(exprs):
            problems.append(f"variable {name} is not used by any panel")
    for var in set(re.findall(r"\$([a-z_]+)", "\n".join(exprs))):
        if var not in variables and not var.startswith("__"):
            problems.append(f"expressions use undefined variable ${var}")
    titles = [p.get("title", "") for p in panels]
    for what, word in REQUIRED_PANELS:
        if not any(word in t for t in titles):
            problems.append(f"no panel for {what} (title containing {word!r})")

    # Contract: metric names against docs/METRICS.md.
    documented = documented_metrics()
    if len(documented) < 20:
        problems.append(f"docs/METRICS.md: only {len(documented)} metrics parsed")
    rules = yaml.safe_load((REPO / "deploy/prometheus/alerts.yml").read_text())
    rule_exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    rule_annotations = [a for g in rules["groups"] for r in g["rules"] for a in r.get("annotations", {}).values()]
    for source, texts in (("dashboard", [all_text]), ("alerts.yml", rule_exprs + rule_annotations)):
        for name in sorted(set().union(*(used_metrics(t) for t in texts))):
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            if name in documented:
                continue
            if base != name and documented.get(base) == "histogram":
                continue
            problems.append(f"{source} uses {name}, which docs/METRICS.md does not define")

    problems += link_problems(rules, d, variables)

    for p in problems:
        print(f"FAIL  {p}")
    print(f"check_dashboard: {len(panels)} panels, {len(exprs)} queries, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
