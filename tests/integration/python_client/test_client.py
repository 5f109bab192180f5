#!/usr/bin/python3
"""Calls every RPC of predwatch.v1.MonitorService and grpc.health.v1.Health through Python stubs
generated from the repository's .proto files, against predwatch_test_server, then runs the
`predwatch` client commands against the same server. Exit code 0 when every check passes.

The health proto is compiled from a copy under health/v1/ so that its Python module does not
shadow the installed `grpc` package (the proto package stays grpc.health.v1).
"""
import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
import time

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)


def generate(proto_dir, out):
    """Message modules from the system protoc (/usr/bin/protoc, the version of the installed
    protobuf runtime); service stubs from grpc_tools.protoc. grpc_tools bundles protoc 3.5,
    which predates proto3 `optional`, so it reads copies without that label (service stubs
    only name the message classes, so the label does not matter to them)."""
    from grpc_tools import protoc
    import grpc_tools
    import re
    shutil.rmtree(out, ignore_errors=True)
    src = os.path.join(out, "src")        # originals, health under health/v1
    legacy = os.path.join(out, "legacy")  # copies without `optional`
    files = []
    for rel, dest in ((os.path.join("grpc", "health", "v1", "health.proto"),
                       os.path.join("health", "v1", "health.proto")),) + tuple(
            (os.path.join("predwatch", "v1", f), os.path.join("predwatch", "v1", f))
            for f in sorted(os.listdir(os.path.join(proto_dir, "predwatch", "v1")))
            if f.endswith(".proto")):
        text = open(os.path.join(proto_dir, rel)).read()
        for root, body in ((src, text), (legacy, re.sub(r"\boptional\s+", "", text))):
            os.makedirs(os.path.join(root, os.path.dirname(dest)), exist_ok=True)
            with open(os.path.join(root, dest), "w") as f:
                f.write(body)
        files.append(dest)
    well_known = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    cmd = ["/usr/bin/protoc", "-I" + src, "--python_out=" + out] + files
    if subprocess.run(cmd).returncode != 0:
        sys.exit("protoc failed: %s" % " ".join(cmd))
    args = ["grpc_tools.protoc", "-I" + legacy, "-I" + well_known,
            "--grpc_python_out=" + out] + files
    if protoc.main(args) != 0:
        sys.exit("grpc_tools.protoc failed: %s" % " ".join(args))
    for d in ("predwatch", os.path.join("predwatch", "v1"), "health", os.path.join("health", "v1")):
        open(os.path.join(out, d, "__init__.py"), "a").close()
    sys.path.insert(0, out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--proto-dir", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    generate(a.proto_dir, a.out)
    import grpc
    monitor_pb2 = importlib.import_module("predwatch.v1.monitor_pb2")
    monitor_grpc = importlib.import_module("predwatch.v1.monitor_pb2_grpc")
    health_pb2 = importlib.import_module("health.v1.health_pb2")
    health_grpc = importlib.import_module("health.v1.health_pb2_grpc")

    server = subprocess.Popen([a.server], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        ports = {}
        for _ in range(2):
            name, port = server.stdout.readline().split()
            ports[name] = int(port)
        addr = "127.0.0.1:%d" % ports["grpc"]
        channel = grpc.insecure_channel(addr)
        stub = monitor_grpc.MonitorServiceStub(channel)
        health = health_grpc.HealthStub(channel)
        code = grpc.StatusCode

        def error_code(fn, req):
            try:
                fn(req, timeout=10)
            except grpc.RpcError as e:
                return e.code()
            return code.OK

        # Health.
        for name in ("", "predwatch.v1.MonitorService", "liveness"):
            r = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=10)
            check(r.status == health_pb2.HealthCheckResponse.SERVING, "health %r serving" % name)
        check(error_code(health.Check, health_pb2.HealthCheckRequest(service="nope")) ==
              code.NOT_FOUND, "health of an unknown service is NOT_FOUND")

        # ListStreams.
        streams = {s.stream: s for s in stub.ListStreams(monitor_pb2.ListStreamsRequest(),
                                                         timeout=10).streams}
        check(set(streams) == {"cam", "ref"}, "ListStreams: cam and ref, got %s" % sorted(streams))
        check(streams["cam"].has_baseline and not streams["ref"].has_baseline, "baselines flags")
        check([w.name for w in streams["cam"].windows] == ["5m", "last2k"], "window names")

        # GetWindowStats.
        r = stub.GetWindowStats(monitor_pb2.GetWindowStatsRequest(
            stream="cam", window="last2k", dense_cooccurrence=True, top_pairs=3), timeout=10)
        c = len(r.stats.class_names)
        check(r.stats.frames == 2000, "stats: 2000 frames in last2k, got %d" % r.stats.frames)
        check(len(r.stats.pairs) == 3, "stats: top 3 pairs")
        check(len(r.dense_cooccurrence) == c * c, "stats: dense C x C")
        images = [x.images for x in r.stats.classes]
        check(images == sorted(images, reverse=True), "stats: classes by images, descending")
        check(sum(x.objects for x in r.stats.classes) == r.stats.objects, "stats: objects add up")
        for i in range(c):  # the diagonal holds images per class
            name = r.stats.class_names[i]
            match = [x for x in r.stats.classes if x.name == name]
            if match:
                check(r.dense_cooccurrence[i * c + i] == match[0].images, "dense diagonal " + name)
        r = stub.GetWindowStats(monitor_pb2.GetWindowStatsRequest(
            stream="cam", sections=[monitor_pb2.STATS_SECTION_CLASS_BALANCE], classes=["k00"]),
            timeout=10)
        check([x.name for x in r.stats.classes] == ["k00"] and not r.stats.pairs,
              "stats: sections and classes filter")
        check(error_code(stub.GetWindowStats, monitor_pb2.GetWindowStatsRequest(stream="nope")) ==
              code.NOT_FOUND, "stats: unknown stream NOT_FOUND")
        check(error_code(stub.GetWindowStats, monitor_pb2.GetWindowStatsRequest()) ==
              code.INVALID_ARGUMENT, "stats: missing stream INVALID_ARGUMENT")

        # GetDrift.
        r = stub.GetDrift(monitor_pb2.GetDriftRequest(stream="cam"), timeout=10)
        check(len(r.scores) > 0, "drift: scores")
        check({"psi", "hellinger"} <= {s.measure for s in r.scores}, "drift: psi and hellinger")
        check(error_code(stub.GetDrift, monitor_pb2.GetDriftRequest(stream="ref")) ==
              code.FAILED_PRECONDITION, "drift without baseline FAILED_PRECONDITION")

        # WatchAlerts: a transition within 60 s (the server toggles a novel pair).
        call = stub.WatchAlerts(monitor_pb2.WatchAlertsRequest(stream="cam"), timeout=60)
        transition = None
        try:
            for m in call:
                if not m.transition.snapshot:
                    transition = m.transition
                    break
        except grpc.RpcError as e:
            check(False, "WatchAlerts ended with %s" % e.code())
        call.cancel()
        check(transition is not None and transition.alert.stream == "cam",
              "WatchAlerts: a transition")

        # ListAlerts.
        r = stub.ListAlerts(monitor_pb2.ListAlertsRequest(), timeout=10)
        for al in r.alerts:
            check(len(al.fingerprint) == 16 and al.summary, "alert fields")
        check(error_code(stub.ListAlerts, monitor_pb2.ListAlertsRequest(stream="nope")) ==
              code.NOT_FOUND, "alerts: unknown stream NOT_FOUND")

        # GetExemplars.
        r = stub.GetExemplars(monitor_pb2.GetExemplarsRequest(
            stream="cam", window="last2k", class_name="k00", limit=3), timeout=10)
        check(0 < len(r.exemplars) <= 3, "exemplars of k00")
        bad = monitor_pb2.GetExemplarsRequest(
            stream="cam", heatmap_cell=monitor_pb2.HeatmapCell(class_name="k00", row=99, col=0))
        check(error_code(stub.GetExemplars, bad) == code.INVALID_ARGUMENT,
              "exemplars: bad cell INVALID_ARGUMENT")
        # A histogram bin: k00's fullest area bin, through the client and the CLI, on "ref"
        # (no longer fed, so both see the same frames).
        st = stub.GetWindowStats(monitor_pb2.GetWindowStatsRequest(
            stream="ref", window="last2k", classes=["k00"]), timeout=10).stats
        area = list(st.classes[0].area_histogram)
        area_bin = area.index(max(area))
        r = stub.GetExemplars(monitor_pb2.GetExemplarsRequest(
            stream="ref", window="last2k", limit=50, histogram_bin=monitor_pb2.HistogramBin(
                class_name="k00", histogram=monitor_pb2.OBJECT_HISTOGRAM_AREA, bin=area_bin)),
            timeout=10)
        area_frames = [e.frame_id for e in r.exemplars]
        check(area_frames, "exemplars of k00's fullest area bin")

        # GetBaseline / SetBaseline / SnapshotBaseline.
        b = stub.GetBaseline(monitor_pb2.GetBaselineRequest(stream="cam"), timeout=10).baseline
        check(b.stats.frames == 2000, "baseline: 2000 frames")
        r = stub.SetBaseline(monitor_pb2.SetBaselineRequest(stream="ref", baseline=b), timeout=10)
        check(r.frames == 2000, "SetBaseline: frames")
        b.stats.tables.objects_of.pop()
        check(error_code(stub.SetBaseline, monitor_pb2.SetBaselineRequest(stream="ref", baseline=b))
              == code.INVALID_ARGUMENT, "SetBaseline: malformed INVALID_ARGUMENT")
        r = stub.SnapshotBaseline(monitor_pb2.SnapshotBaselineRequest(
            stream="cam", window="last2k"), timeout=10)
        check(r.baseline.stats.frames == 2000 and r.baseline.window.stream == "cam",
              "SnapshotBaseline")

        # GetReference / PinReference / ResetReference (the learned reference).
        info = stub.GetReference(monitor_pb2.GetReferenceRequest(stream="cam"),
                                 timeout=10).reference
        check(info.stream == "cam" and info.frames > 0 and
              info.state in (monitor_pb2.ReferenceInfo.STATE_LEARNING,
                             monitor_pb2.ReferenceInfo.STATE_COMPLETE),
              "GetReference: %s" % info)
        check(streams["cam"].HasField("reference"), "ListStreams: reference state")
        info = stub.PinReference(monitor_pb2.PinReferenceRequest(stream="cam", window="last2k"),
                                 timeout=10).reference
        check(info.state == monitor_pb2.ReferenceInfo.STATE_PINNED and info.frames == 2000,
              "PinReference: %s" % info)
        info = stub.ResetReference(monitor_pb2.ResetReferenceRequest(stream="cam"),
                                   timeout=10).reference
        check(info.state == monitor_pb2.ReferenceInfo.STATE_LEARNING and info.frames == 0,
              "ResetReference: %s" % info)
        check(error_code(stub.GetReference, monitor_pb2.GetReferenceRequest(stream="nope")) ==
              code.NOT_FOUND, "GetReference of an unknown stream")

        # The CLI against the same server.
        def cli(*args):
            return subprocess.run([a.cli] + list(args) + ["--addr", addr], capture_output=True,
                                  text=True, timeout=60)
        p = cli("health")
        check(p.returncode == 0 and "SERVING" in p.stdout, "cli health: %s" % p.stdout + p.stderr)
        p = cli("streams", "--json")
        check(p.returncode == 0 and len(json.loads(p.stdout)["streams"]) == 2, "cli streams --json")
        p = cli("stats", "cam", "-w", "last2k", "--json")
        ok = p.returncode == 0
        if ok:
            j = json.loads(p.stdout)
            ok = (j["images"] == 2000 and {"objects", "classes", "cooccurrence",
                                          "objects_distribution", "suspicious"} <= set(j)
                  and {"name", "images", "objects", "avg_count_on_image", "avg_area_pct"}
                  <= set(j["classes"][0]))
        check(ok, "cli stats --json: " + p.stderr)
        p = cli("stats", "cam", "--heatmap", "k00")
        check(p.returncode == 0 and "Class balance" in p.stdout, "cli stats: " + p.stderr)
        p = cli("drift", "cam")
        check(p.returncode == 0 and "measure" in p.stdout and " vs " in p.stdout,
              "cli drift: " + p.stderr)
        p = cli("drift", "cam", "--against", "training")
        check(p.returncode == 2, "cli drift --against of an unknown comparison exits 2")
        p = cli("reference", "pin", "cam", "-w", "last2k")
        check(p.returncode == 0 and "pinned" in p.stdout and "2000" in p.stdout,
              "cli reference pin: " + p.stdout + p.stderr)
        p = cli("reference", "show", "cam", "--json")
        check(p.returncode == 0 and json.loads(p.stdout)["state"] == "STATE_PINNED",
              "cli reference show --json: " + p.stdout + p.stderr)
        p = cli("reference", "reset", "cam")
        check(p.returncode == 0 and "learning" in p.stdout, "cli reference reset: " + p.stderr)
        p = cli("reference", "show", "nope")
        check(p.returncode == 1 and "NOT_FOUND" in p.stderr, "cli reference show of an unknown stream")
        p = cli("streams")
        check(p.returncode == 0 and "reference" in p.stdout, "cli streams: reference column")
        p = cli("alerts")
        check(p.returncode == 0, "cli alerts: " + p.stderr)
        p = cli("exemplars", "cam", "--class", "k00", "--json")
        check(p.returncode == 0 and json.loads(p.stdout)["exemplars"], "cli exemplars: " + p.stderr)
        p = cli("exemplars", "ref", "-w", "last2k", "--limit", "50", "--bin", f"k00:area:{area_bin}", "--json")
        check(p.returncode == 0 and
              [e["frame_id"] for e in json.loads(p.stdout)["exemplars"]] == area_frames,
              "cli exemplars --bin lists the client's frames: " + p.stdout[:200] + p.stderr)
        p = cli("exemplars", "cam", "--bin", "k00:sideways:1")
        check(p.returncode == 2 and "width, height, area, confidence" in p.stderr,
              "cli exemplars --bin with an unknown histogram exits 2: " + p.stderr)
        p = cli("stats", "nope")
        check(p.returncode == 1 and "NOT_FOUND" in p.stderr, "cli stats of an unknown stream")
        out = os.path.join(a.out, "cam.baseline")
        p = cli("baseline", "pull", "cam", "-o", out)
        check(p.returncode == 0 and os.path.getsize(out) > 0, "cli baseline pull: " + p.stderr)
        p = cli("baseline", "push", "ref", out)
        check(p.returncode == 0 and "2000 frames" in p.stdout, "cli baseline push: " + p.stderr)
        p = cli("baseline", "snapshot", "cam", "-w", "last2k", "-o", out)
        check(p.returncode == 0, "cli baseline snapshot: " + p.stderr)
        # alerts --watch until SIGINT: exits 0.
        w = subprocess.Popen([a.cli, "alerts", "--watch", "--json", "--addr", addr],
                             stdout=subprocess.PIPE, text=True)
        line = w.stdout.readline()
        check(json.loads(line)["alert"]["stream"] in ("cam", "ref"), "cli alerts --watch output")
        w.send_signal(2)
        check(w.wait(timeout=20) == 0, "cli alerts --watch exits 0 on Ctrl-C")
        # health exits non-zero when the server is gone.
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    p = subprocess.run([a.cli, "health", "--addr", addr, "--timeout", "2"], capture_output=True)
    check(p.returncode != 0, "cli health fails without a server")
    if FAILURES:
        print("%d checks failed" % len(FAILURES))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
