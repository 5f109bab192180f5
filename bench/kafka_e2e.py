#!/usr/bin/env python3
"""predwatchd end to end on a real Kafka broker, side by side with a bare librdkafka consumer.

Issue 13, goals 2 and 6. On one topic of PARTITIONS partitions holding FRAMES real COCO
val2017 frames (JSON PredictionEvents, keyed by stream, STREAMS streams at 10 fps each), one
run after the other:

  kcat          `kcat -C -o beginning -e` reading the whole topic (payloads printed to
                /dev/null): the bare librdkafka consumer;
  predwatchd x1 one replica with the default configuration (windows 5m / 1h / last10k, drift
                against the COCO baseline every 10 s), from its start until its
                predwatch_events_applied_total reaches FRAMES;
  predwatchd x2 two replicas of one group (one partition each), until their sum does;

REPEAT rounds of the three (each replica in a fresh group), medians reported; wall time
includes each process's start (loading the baseline, joining the group); a replica's
progress is the applied_events of the streams it holds (ListStreams through the web JSON
API), so that events of a stream dropped in a rebalance count once, on the owner that
replays them; the "10-90 %" rate is the slope between a tenth and nine tenths of the events
(kcat reports no progress: its whole-run rate);

then the same three in steady state: each consumer started on a fresh empty topic (a fresh
group), SETTLE_S seconds to join, then the events produced by kcat at full speed, timed from
the first produced event to the last consumed (bounded below by the producer's own time);

and the latency from an event's creation to its visibility in the query API: a fresh
replica on a fresh topic, events produced at RATE_FRACTION of the x1 rate for LATENCY_S
seconds, each stamped with its send time; the web JSON API (the query layer gRPC uses,
/api/v1/streams: each stream's newest event time) is polled every 5 ms, and each event time
seen for the first time gives a sample: poll time - event time (an upper bound by at most
one poll interval; it includes kcat's producer batching, linger 5 ms).

Standard library only; needs java + maven (the broker, tests/integration/kafka/broker.sh),
kcat (Debian: kcat; scripts/setup.sh installs both) and a built predwatchd / predwatch.

    bench/kafka_e2e.py [--frames 240000] [--streams 16] [--partitions 2]
                       [--predwatchd build/daemon/predwatchd] [--events FILE] [--repeat 3]
                       [--json]
"""
import argparse
import calendar
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parent.parent
BROKER = REPO / "tests/integration/kafka/broker.sh"


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def cpu_seconds(pid):
    """utime + stime of a live process (Linux /proc), in seconds."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def keyed_events(src, dst, streams, frames):
    """src's first `frames` events as `key<TAB>json` lines: stream cam-<i % streams>, event
    times ending now at 10 fps per stream."""
    now = int(time.time() * 1000)
    per_stream = (frames + streams - 1) // streams
    n = 0
    with open(src) as f, open(dst, "w") as out:
        for line in f:
            if n == frames:
                break
            ev = json.loads(line)
            s = n % streams
            ev["stream"] = f"cam-{s}"
            ev["timestamp_ms"] = now - (per_stream - n // streams) * 100
            ev["frame_id"] = f"{ev['stream']}-{n // streams}"
            out.write(f"{ev['stream']}\t{json.dumps(ev, separators=(',', ':'))}\n")
            n += 1
    if n < frames:
        sys.exit(f"{src} holds only {n} events, {frames} asked")


class Broker:
    def __init__(self, work):
        self.env = dict(os.environ, PREDWATCH_KAFKA_STATE=str(work / "kafka"))

    def start(self):
        subprocess.run(["bash", str(BROKER), "start"], env=self.env, check=True,
                       stdout=subprocess.DEVNULL)
        return (pathlib.Path(self.env["PREDWATCH_KAFKA_STATE"]) / "bootstrap").read_text().strip()

    def topic(self, name, partitions):
        subprocess.run(["bash", str(BROKER), "topic", name, str(partitions)], env=self.env,
                       check=True, stdout=subprocess.DEVNULL)

    def stop(self):
        subprocess.run(["bash", str(BROKER), "stop"], env=self.env, stdout=subprocess.DEVNULL)


class Replica:
    """One predwatchd with its own ports file; metrics and web API on free loopback ports."""

    def __init__(self, binary, config, work, name):
        self.ports = work / f"{name}.ports"
        self.ports.unlink(missing_ok=True)
        self.err = open(work / f"{name}.err", "w")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [binary, "--config", str(config), "--metrics-bind", "127.0.0.1:0", "--grpc-bind",
             "127.0.0.1:0", "--web-bind", "127.0.0.1:0", "--ports-file", str(self.ports)],
            stdout=subprocess.DEVNULL, stderr=self.err)
        self.port = {}
        while "web" not in self.port:
            if self.proc.poll() is not None:
                sys.exit(f"predwatchd {name} exited: see {self.err.name}")
            if self.ports.exists():
                self.port = dict(l.split("=") for l in self.ports.read_text().split() if "=" in l)
            time.sleep(0.02)

    def get(self, what, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port[what]}{path}", timeout=5) as r:
            return r.read().decode()

    def applied(self):
        """Events in the streams this replica holds now (a stream dropped in a rebalance, to
        be replayed by its new owner, no longer counts)."""
        body = json.loads(self.get("web", "/api/v1/streams"))
        return sum(int(st["applied_events"]) for st in body["streams"])

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.err.close()


PRODUCER_CPU = [0.0]  # CPU seconds of the last produce()


def produce(bootstrap, topic, keyed):
    """Every line of `keyed` to `topic` by kcat, as fast as it goes."""
    before = os.times()
    subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-K", "\t", "-l", str(keyed)],
                   check=True)
    after = os.times()
    PRODUCER_CPU.append(after.children_user + after.children_system - before.children_user -
                        before.children_system)


def config(work, name, bootstrap, topic, group, baseline):
    p = work / f"{name}.yaml"
    p.write_text(f"""kafka:
  brokers: {bootstrap}
  topics: [{topic}]
  group_id: {group}
streams:
  entries:
    - key: '*'
      baseline: {baseline}
""")
    return p


def consume_until(replicas, frames):
    """(seconds from the first replica's start until the replicas hold all `frames` events,
    their CPU seconds then, events per second between 10 % and 90 % of them)."""
    start = min(r.started for r in replicas)
    t10 = t90 = None
    while True:
        n = sum(r.applied() for r in replicas)
        now = time.monotonic()
        if t10 is None and n >= 0.1 * frames:
            t10 = (now, n)
        if t90 is None and n >= 0.9 * frames:
            t90 = (now, n)
        if n >= frames:
            cpu = sum(cpu_seconds(r.proc.pid) for r in replicas)
            rate = (t90[1] - t10[1]) / max(t90[0] - t10[0], 1e-3)
            return now - start, cpu, rate
        for r in replicas:
            if r.proc.poll() is not None:
                sys.exit(f"predwatchd exited early: {r.err.name}")
        time.sleep(0.02)


def latency(binary, work, broker, bootstrap, baseline, streams, rate, seconds):
    topic = "latency"
    broker.topic(topic, 1)
    r = Replica(binary, config(work, "lat", bootstrap, topic, "bench-lat", baseline), work, "lat")
    while json.loads(r.get("web", "/api/v1/health"))["ready"] is not True:
        time.sleep(0.05)
    samples, seen, stop = [], {}, threading.Event()

    def poll():
        while not stop.is_set():
            body = json.loads(r.get("web", "/api/v1/streams"))
            now = time.time() * 1000
            for s in body["streams"]:
                t = s.get("last_event_time")
                if not t or seen.get(s["stream"]) == t:
                    continue
                seen[s["stream"]] = t
                sec, _, frac = t.rstrip("Z").partition(".")
                ms = calendar.timegm(time.strptime(sec, "%Y-%m-%dT%H:%M:%S")) * 1000
                ms += float("0." + frac) * 1000 if frac else 0
                samples.append(now - ms)
            time.sleep(0.005)

    poller = threading.Thread(target=poll)
    prod = subprocess.Popen(["kcat", "-P", "-b", bootstrap, "-t", topic, "-K", "\t"],
                            stdin=subprocess.PIPE, text=True)
    poller.start()
    start, sent = time.monotonic(), 0
    while time.monotonic() - start < seconds:
        due = int((time.monotonic() - start) * rate)
        while sent < due:
            s = f"lat-{sent % streams}"
            ev = {"frame_id": f"{s}-{sent}", "stream": s, "timestamp_ms": int(time.time() * 1000),
                  "detections": [{"class_name": "person", "confidence": 0.9,
                                  "box": {"x_min": 0.1, "y_min": 0.1, "x_max": 0.5, "y_max": 0.6,
                                          "normalized": True}}]}
            prod.stdin.write(f"{s}\t{json.dumps(ev)}\n")
            sent += 1
        prod.stdin.flush()
        time.sleep(0.001)
    prod.stdin.close()
    prod.wait()
    time.sleep(1)
    stop.set()
    poller.join()
    r.stop()
    samples.sort()
    q = lambda p: samples[min(len(samples) - 1, int(p * len(samples)))]
    return {"events": sent, "rate": rate, "samples": len(samples), "p50_ms": q(0.5),
            "p99_ms": q(0.99), "max_ms": samples[-1]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=240_000)
    ap.add_argument("--streams", type=int, default=16)
    ap.add_argument("--partitions", type=int, default=2)
    ap.add_argument("--predwatchd", default=str(REPO / "build/daemon/predwatchd"))
    ap.add_argument("--predwatch", default=None, help="CLI (default: next to predwatchd)")
    ap.add_argument("--events", help="JSON lines of PredictionEvents (default: generated)")
    ap.add_argument("--baseline", help="baseline file (default: built from COCO val2017)")
    ap.add_argument("--rate-fraction", type=float, default=0.5)
    ap.add_argument("--latency-seconds", type=float, default=20)
    ap.add_argument("--repeat", type=int, default=3, help="rounds of the three runs (medians)")
    ap.add_argument("--settle-seconds", type=float, default=8,
                    help="steady state: wait this long after starting consumers (group join)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if not shutil.which("kcat"):
        sys.exit("kcat is missing (Debian: apt-get install kcat; scripts/setup.sh installs it)")
    cli = a.predwatch or str(pathlib.Path(a.predwatchd).parent / "predwatch")
    work = pathlib.Path(tempfile.mkdtemp(prefix="pw-kafka-e2e-"))
    broker = Broker(work)
    try:
        baseline = a.baseline
        if not baseline:
            baseline = str(work / "coco.pwb")
            subprocess.run([cli, "baseline", "build",
                            str(REPO / "tests/data/coco_val2017/instances_val2017_boxes.json"),
                            "--format", "coco", "-o", baseline], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        src = a.events
        if not src:
            src = str(work / "raw.jsonl")
            log(f"generating {a.frames} frames ...")
            subprocess.run([sys.executable, str(REPO / "tests/calibration/calibrate.py"), "--only",
                            "shuffled", "--hours", str(a.frames / 36000 + 0.01), "--predwatch", cli,
                            "--write-events", src], check=True, stdout=subprocess.DEVNULL)
        keyed = work / "keyed.tsv"
        keyed_events(src, keyed, a.streams, a.frames)
        log("starting the broker ...")
        bootstrap = broker.start()
        topic = "bench"
        broker.topic(topic, a.partitions)
        t = time.monotonic()
        produce(bootstrap, topic, keyed)
        log(f"produced {a.frames} events in {time.monotonic() - t:.1f} s")
        runs = {"kcat": [], "predwatchd x1": [], "predwatchd x2": []}
        for rep in range(a.repeat):
            before = os.times()
            t = time.monotonic()
            subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e",
                            "-q"], check=True, stdout=subprocess.DEVNULL)
            after = os.times()
            w = time.monotonic() - t
            runs["kcat"].append((w, after.children_user + after.children_system -
                                 before.children_user - before.children_system, a.frames / w))

            r = Replica(a.predwatchd, config(work, "one", bootstrap, topic, f"one-{rep}", baseline),
                        work, "one")
            runs["predwatchd x1"].append(consume_until([r], a.frames))
            r.stop()

            cfg = config(work, "two", bootstrap, topic, f"two-{rep}", baseline)
            pair = [Replica(a.predwatchd, cfg, work, "two-a"),
                    Replica(a.predwatchd, cfg, work, "two-b")]
            runs["predwatchd x2"].append(consume_until(pair, a.frames))
            for r in pair:
                r.stop()
            log("round " + str(rep + 1) + ": " +
                ", ".join(f"{k} {v[-1][0]:.2f} s" for k, v in runs.items()))
        # The median round of each (by wall time).
        rows = {k: sorted(v)[len(v) // 2] for k, v in runs.items()}

        # Steady state: consumers running, group settled, then the events produced.
        steady = {"kcat": [], "predwatchd x1": [], "predwatchd x2": []}
        for rep in range(a.repeat):
            for name in steady:
                t_name = f"steady-{rep}-{name[-2:]}"
                broker.topic(t_name, a.partitions)
                if name == "kcat":
                    before = os.times()
                    cons = subprocess.Popen(["kcat", "-C", "-b", bootstrap, "-t", t_name, "-o",
                                             "end", "-c", str(a.frames), "-q"],
                                            stdout=subprocess.DEVNULL)
                    time.sleep(a.settle_seconds)
                    t = time.monotonic()
                    produce(bootstrap, t_name, keyed)
                    cons.wait()
                    w = time.monotonic() - t
                    after = os.times()
                    steady[name].append((w, after.children_user + after.children_system -
                                         before.children_user - before.children_system -
                                         PRODUCER_CPU[-1]))
                    continue
                cfg = config(work, t_name, bootstrap, t_name, t_name, baseline)
                reps = [Replica(a.predwatchd, cfg, work, f"{t_name}-{i}")
                        for i in range(int(name[-1]))]
                time.sleep(a.settle_seconds)
                cpu0 = sum(cpu_seconds(r.proc.pid) for r in reps)
                t = time.monotonic()
                produce(bootstrap, t_name, keyed)
                for r in reps:
                    r.started = t
                w, cpu, _ = consume_until(reps, a.frames)
                steady[name].append((w, cpu - cpu0))
                for r in reps:
                    r.stop()
            log("steady round " + str(rep + 1) + ": " +
                ", ".join(f"{k} {v[-1][0]:.2f} s" for k, v in steady.items()))
        steady_rows = {k: sorted(v)[len(v) // 2] for k, v in steady.items()}
        x1_rate = a.frames / rows["predwatchd x1"][0]
        lat = latency(a.predwatchd, work, broker, bootstrap, baseline, a.streams,
                      a.rate_fraction * x1_rate, a.latency_seconds)
    finally:
        broker.stop()
        shutil.rmtree(work, ignore_errors=True)

    result = {"frames": a.frames, "streams": a.streams, "partitions": a.partitions,
              "runs": {k: {"wall_s": w, "cpu_s": c, "events_per_s": a.frames / w,
                           "events_per_s_10_90": r} for k, (w, c, r) in rows.items()},
              "rounds": {k: [{"wall_s": w, "cpu_s": c, "events_per_s_10_90": r} for w, c, r in v]
                         for k, v in runs.items()},
              "steady": {k: {"wall_s": w, "cpu_s": c, "events_per_s": a.frames / w}
                         for k, (w, c) in steady_rows.items()},
              "latency": lat}
    if a.json:
        print(json.dumps(result, indent=2))
        return
    k = rows["kcat"][0]
    print(f"{a.frames} events, {a.streams} streams, {a.partitions} partitions; median of "
          f"{a.repeat} rounds (kcat, x1, x2 in turn)\n")
    kr = rows["kcat"][2]
    print("| run | wall s | CPU s | events/s | ÷ kcat | events/s, 10-90 % | ÷ kcat |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, (w, c, r) in rows.items():
        print(f"| {name} | {w:.2f} | {c:.2f} | {a.frames / w:,.0f} | {k / w:.2f}x | {r:,.0f} | "
              f"{r / kr:.2f}x |")
    print(f"\nx2 / x1 throughput: {rows['predwatchd x1'][0] / rows['predwatchd x2'][0]:.2f}x")
    print("\nSteady state (consumers running and settled, then the events produced by kcat at "
          "full speed; wall from the first produced event to the last consumed):\n")
    ks = steady_rows["kcat"][0]
    print("| run | wall s | CPU s | events/s | ÷ kcat |")
    print("|---|---:|---:|---:|---:|")
    for name, (w, c) in steady_rows.items():
        print(f"| {name} | {w:.2f} | {c:.2f} | {a.frames / w:,.0f} | {ks / w:.2f}x |")
    print(f"\nx2 / x1 throughput: "
          f"{steady_rows['predwatchd x1'][0] / steady_rows['predwatchd x2'][0]:.2f}x")
    print(f"\nlatency at {lat['rate']:,.0f} events/s ({a.rate_fraction:g} of x1) for "
          f"{a.latency_seconds:g} s: {lat['samples']} samples, p50 {lat['p50_ms']:.1f} ms, "
          f"p99 {lat['p99_ms']:.1f} ms, max {lat['max_ms']:.1f} ms")


if __name__ == "__main__":
    main()
