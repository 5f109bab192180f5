#!/usr/bin/env python3
"""Writes deploy/k8s/prometheusrule.yaml: deploy/prometheus/alerts.yml wrapped in a
Prometheus Operator PrometheusRule, and deploy/helm/predwatch/files/alerts.yml: the same
rules for the Helm chart's PrometheusRule (a chart reads only files inside it, and inserts
this one as text, so the rules' {{ $labels }} templates stay Prometheus's). alerts.yml is the
one source of the rules; run
    /usr/bin/python3 deploy/k8s/make_prometheusrule.py
after editing it (the test suite runs this with --check)."""
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
SOURCE = HERE.parent / "prometheus" / "alerts.yml"
OUT = HERE / "prometheusrule.yaml"
CHART_OUT = HERE.parent / "helm" / "predwatch" / "files" / "alerts.yml"

HEADER = """\
# GENERATED from deploy/prometheus/alerts.yml by deploy/k8s/make_prometheusrule.py; edit
# alerts.yml and rerun the script. The Prometheus Operator loads these rules into every
# Prometheus whose ruleSelector matches the labels below.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: predwatch
  labels:
    app.kubernetes.io/name: predwatch
    app.kubernetes.io/component: daemon
spec:
"""


CHART_HEADER = """\
# GENERATED from deploy/prometheus/alerts.yml by deploy/k8s/make_prometheusrule.py; edit
# alerts.yml and rerun the script. The chart's templates/prometheusrule.yaml inserts this
# file, indented, as the PrometheusRule's spec.
"""


def rules():
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    return lines


def render():
    body = "\n".join(("  " + l) if l.strip() else "" for l in rules())
    return HEADER + body + "\n"


def render_chart():
    return CHART_HEADER + "\n".join(rules()) + "\n"


def main():
    outputs = ((OUT, render()), (CHART_OUT, render_chart()))
    if sys.argv[1:] == ["--check"]:
        stale = 0
        for out, text in outputs:
            if not out.exists() or out.read_text(encoding="utf-8") != text:
                print(f"{out} is stale: run /usr/bin/python3 {__file__}", file=sys.stderr)
                stale = 1
            else:
                print(f"{out} is up to date")
        return stale
    for out, text in outputs:
        out.write_text(text, encoding="utf-8")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
