#!/usr/bin/python3
"""Validates deploy/alertmanager/alertmanager.yml with Alertmanager's own tools (Debian
package prometheus-alertmanager):

1. `amtool check-config`: the file loads.
2. `amtool config routes test`: each kind of predwatch alert reaches the intended receiver
   (page or ticket) with the intended grouping (stream, kind, subject for model alerts).
3. A real Alertmanager on loopback (when the binary is installed): alerts as the rules of
   deploy/prometheus/alerts.yml label them are posted to its API; class_vanished must
   inhibit class_distribution and objects_per_frame on the same stream only, and each model
   alert must form its own group keyed by (stream, kind, subject).

Exit status 0 when every check passed, 1 otherwise, 77 when amtool is not installed.
Standard library only.
"""
import json
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[3]
CONFIG = REPO / "deploy" / "alertmanager" / "alertmanager.yml"

MODEL = {"alertname": "PredwatchDriftScoreOverThreshold", "severity": "warning",
         "category": "model"}
PAIR = {"alertname": "PredwatchNovelClassPair", "severity": "warning", "category": "model"}

# (labels, receiver)
ROUTES = [
    (dict(MODEL, stream="cam1", kind="class_vanished", subject="car"), "page"),
    (dict(MODEL, stream="cam1", kind="class_appeared", subject="umbrella"), "page"),
    (dict(MODEL, stream="cam1", kind="class_distribution", subject="*"), "page"),
    (dict(MODEL, stream="cam1", kind="objects_per_frame", subject="*"), "page"),
    (dict(MODEL, stream="cam1", kind="spatial", subject="person"), "ticket"),
    (dict(MODEL, stream="cam1", kind="box_size", subject="person"), "ticket"),
    (dict(MODEL, stream="cam1", kind="confidence", subject="dog"), "ticket"),
    (dict(MODEL, stream="cam1", kind="objects_per_image", subject="chair"), "ticket"),
    (dict(MODEL, stream="cam1", kind="pair_rate", subject="chair|person"), "ticket"),
    (dict(PAIR, stream="cam1", kind="novel_pair", subject="giraffe|toilet"), "ticket"),
    # routing labels of a stream (streams.entries[].labels) pick the team's receiver
    (dict(MODEL, stream="gate", kind="class_vanished", subject="car", team="security"), "security"),
    (dict(PAIR, stream="gate", kind="novel_pair", subject="car|dog", team="security"), "security"),
    (dict(MODEL, stream="cam1", kind="spatial", subject="person", team="other"), "ticket"),
    ({"alertname": "PredwatchIngestionStalled", "severity": "critical", "category": "pipeline",
      "instance": "p0:9464"}, "page"),
    ({"alertname": "PredwatchConsumerLagGrowing", "severity": "warning", "category": "pipeline",
      "instance": "p0:9464"}, "ticket"),
    ({"alertname": "PredwatchSeriesDropped", "severity": "info", "category": "pipeline",
      "instance": "p0:9464"}, "blackhole"),
]

failures = []


def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def amtool_checks(amtool):
    p = subprocess.run([amtool, "check-config", str(CONFIG)], capture_output=True, text=True)
    check(p.returncode == 0, "amtool check-config " + (p.stdout + p.stderr).strip().replace("\n", " "))
    for labels, receiver in ROUTES:
        args = [f"{k}={v}" for k, v in labels.items()]
        p = subprocess.run([amtool, "config", "routes", "test", f"--config.file={CONFIG}",
                            f"--verify.receivers={receiver}"] + args,
                           capture_output=True, text=True)
        check(p.returncode == 0, f"route {labels.get('kind') or labels['alertname']} -> {receiver}"
              + ("" if p.returncode == 0 else f" (got {p.stdout.strip()} {p.stderr.strip()})"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(base, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method="POST" if data else "GET",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        text = r.read().decode()
        return json.loads(text) if text.strip() else None


def live_checks(binary):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="predwatch-am-") as tmp:
        proc = subprocess.Popen([binary, f"--config.file={CONFIG}", f"--storage.path={tmp}",
                                 f"--web.listen-address=127.0.0.1:{port}",
                                 "--cluster.listen-address="],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/-/ready", timeout=1)
                    break
                except OSError:
                    if proc.poll() is not None:
                        check(False, "alertmanager started: " + proc.stderr.read()[-2000:])
                        return
                    time.sleep(0.2)
            else:
                check(False, "alertmanager ready within 20 s")
                return
            alerts = [
                dict(MODEL, stream="cam1", kind="class_vanished", subject="car"),
                dict(MODEL, stream="cam1", kind="class_distribution", subject="*"),
                dict(MODEL, stream="cam1", kind="objects_per_frame", subject="*"),
                dict(MODEL, stream="cam1", kind="spatial", subject="person"),
                dict(MODEL, stream="cam2", kind="class_distribution", subject="*"),
            ]
            api(base, "/api/v2/alerts", [{"labels": a} for a in alerts])
            # Alertmanager lists a posted alert at once but marks it suppressed only once its
            # inhibitor has seen the inhibiting one (asynchronously): wait for the states to
            # settle on what is expected, for 10 s at most, then check them one by one.
            expected = [
                (("cam1", "class_vanished"), "active", "class_vanished is active"),
                (("cam1", "class_distribution"), "suppressed",
                 "class_vanished inhibits class_distribution on the same stream"),
                (("cam1", "objects_per_frame"), "suppressed",
                 "class_vanished inhibits objects_per_frame on the same stream"),
                (("cam1", "spatial"), "active", "class_vanished does not inhibit spatial"),
                (("cam2", "class_distribution"), "active",
                 "class_vanished on cam1 does not inhibit cam2"),
            ]
            want = {key: st for key, st, _ in expected}
            state = {}
            for _ in range(50):
                got = api(base, "/api/v2/alerts")
                state = {(a["labels"]["stream"], a["labels"]["kind"]): a["status"]["state"]
                         for a in got}
                if state == want:
                    break
                time.sleep(0.2)
            for key, st, what in expected:
                check(state.get(key) == st, what)
            # Groups are built asynchronously from the alerts: wait until both are grouped.
            keys = {}
            for _ in range(50):
                keys = {}
                for g in api(base, "/api/v2/alerts/groups"):
                    for a in g["alerts"]:
                        keys[(a["labels"]["stream"], a["labels"]["kind"])] = (
                            g["labels"], g["receiver"]["name"])
                if ("cam1", "spatial") in keys and ("cam1", "class_vanished") in keys:
                    break
                time.sleep(0.2)
            labels, receiver = keys.get(("cam1", "spatial"), ({}, ""))
            check(labels == {"stream": "cam1", "kind": "spatial", "subject": "person"}
                  and receiver == "ticket",
                  f"spatial person groups by (stream, kind, subject) to ticket: {labels} {receiver}")
            labels, receiver = keys.get(("cam1", "class_vanished"), ({}, ""))
            check(labels == {"stream": "cam1", "kind": "class_vanished", "subject": "car"}
                  and receiver == "page",
                  f"class_vanished car groups by (stream, kind, subject) to page: {labels} {receiver}")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def main():
    amtool = shutil.which("amtool")
    if not amtool:
        print("SKIP: amtool not installed (Debian package prometheus-alertmanager)")
        return 77
    amtool_checks(amtool)
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if binary:
        live_checks(binary)
    else:
        print("note: no alertmanager binary: inhibition and grouping not checked live")
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
