#!/usr/bin/python3
"""The Python client package (proto/python): its generated stubs are those of today's .proto
files; `pip install` puts it into a fresh virtual environment (system site packages for
grpcio and protobuf, nothing downloaded); from there its helpers talk to
predwatch_test_server (the same fixture as test_client.py: streams cam and ref, windows 5m
and last2k, a baseline on cam) and give what the raw RPCs give.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

CHECK = r'''
import sys
import predwatch_client
from predwatch_client import Client
from predwatch.v1 import monitor_pb2

assert "site-packages" in predwatch_client.__file__, predwatch_client.__file__
failures = []
def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)

with Client(sys.argv[1]) as c:
    streams = {s.stream: s for s in c.streams()}
    check(set(streams) == {"cam", "ref"}, "streams: %s" % sorted(streams))
    check([w.name for w in streams["cam"].windows] == ["5m", "last2k"], "windows")

    # "ref" (no feeder, unlike "cam": a step between two calls would change "cam"'s window,
    # measured as a flaky failure under a loaded CI) for comparisons of two calls.
    raw = c.stub.GetWindowStats(monitor_pb2.GetWindowStatsRequest(stream="ref", window="last2k"),
                                timeout=10)
    balance = c.class_balance("ref", "last2k")
    check(balance == {x.name: (x.images, x.objects) for x in raw.stats.classes},
          "class_balance equals GetWindowStats' classes")
    check(sum(o for _, o in balance.values()) == raw.stats.objects, "objects add up")

    names, m = c.cooccurrence("ref", "last2k")
    check(len(m) == len(names) and all(len(row) == len(names) for row in m), "C x C")
    for i, n in enumerate(names):
        if n in balance:
            check(m[i][i] == balance[n][0], "diagonal of %s = its images" % n)
    check(all(m[i][j] == m[j][i] for i in range(len(names)) for j in range(len(names))),
          "symmetric")

    scores = c.drift("cam")
    check(len(scores) > 0, "drift scores")
    check(all(s.flagged for s in c.drift("cam", flagged_only=True)), "flagged_only")
    alerts = c.alerts()
    check(all(a.state == monitor_pb2.Alert.STATE_FIRING for a in c.alerts(firing_only=True)),
          "firing_only")
    first = sorted(balance, key=lambda n: -balance[n][0])[0]
    ex = c.exemplars("ref", first, window="last2k", limit=3)
    check(0 < len(ex) <= 3, "exemplars of %s: %d" % (first, len(ex)))
    import grpc
    for call in (lambda: c.window_stats("nope"), lambda: c.alerts(stream="nope")):
        try:
            call()
            check(False, "unknown stream raised nothing")
        except grpc.RpcError as e:
            check(e.code() == grpc.StatusCode.NOT_FOUND, "unknown stream: NOT_FOUND, got %r" % e)
# A merged list that lacks a replica (grpc.peers) warns, naming it; a complete one does not.
import warnings
from predwatch_client import PartialAnswerWarning
from predwatch_client.client import _warn_unreachable
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    with Client(sys.argv[1]) as c:
        c.streams()
        c.alerts()
    check(not caught, "no replica missing, no warning: %s" % [str(w.message) for w in caught])
    _warn_unreachable(monitor_pb2.ListStreamsResponse(unreachable_replicas=["10.0.0.7:50051: x"]))
    check(len(caught) == 1 and caught[0].category is PartialAnswerWarning
          and "10.0.0.7:50051" in str(caught[0].message), "PartialAnswerWarning names the replica")
print("client helpers: %d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--package", required=True)
    a = ap.parse_args()
    if subprocess.run([sys.executable, os.path.join(a.package, "generate.py"), "--check"]).returncode:
        return 1
    work = tempfile.mkdtemp(prefix="predwatch-client-")
    server = None
    try:
        venv = os.path.join(work, "venv")
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", venv], check=True)
        py = os.path.join(venv, "bin", "python")
        # A copy: pip's in-tree build leaves build/ and *.egg-info beside the sources.
        src = os.path.join(work, "src")
        shutil.copytree(a.package, src, ignore=shutil.ignore_patterns("__pycache__", "build",
                                                                     "*.egg-info"))
        subprocess.run([py, "-m", "pip", "install", "--quiet", "--no-deps",
                        "--no-build-isolation", "--no-index", src], check=True)
        server = subprocess.Popen([a.server], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True)
        ports = {}
        for _ in range(2):
            name, port = server.stdout.readline().split()
            ports[name] = int(port)
        # Run from the scratch folder, so that only the installed package can be imported.
        return subprocess.run([py, "-c", CHECK, "127.0.0.1:%d" % ports["grpc"]],
                              cwd=work).returncode
    finally:
        if server:
            server.stdin.close()
            server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
