#!/usr/bin/env python3
"""Writes deploy/k8s/prometheusrule.yaml: deploy/prometheus/alerts.yml wrapped in a
Prometheus Operator PrometheusRule. alerts.yml is the one source of the rules; run
    /usr/bin/python3 deploy/k8s/make_prometheusrule.py
after editing it (the test suite runs this with --check)."""
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
SOURCE = HERE.parent / "prometheus" / "alerts.yml"
OUT = HERE / "prometheusrule.yaml"

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


def render():
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    body = "\n".join(("  " + l) if l.strip() else "" for l in lines)
    return HEADER + body + "\n"


def main():
    text = render()
    if sys.argv[1:] == ["--check"]:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is stale: run /usr/bin/python3 {__file__}", file=sys.stderr)
            return 1
        print(f"{OUT} is up to date")
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
