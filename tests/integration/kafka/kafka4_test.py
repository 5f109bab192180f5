#!/usr/bin/python3
"""predwatch against a real Apache Kafka 4.x broker (the kafka4.0.0_broker / kafka4.4.0_broker
ctest fixtures: broker.sh with PREDWATCH_KAFKA_VERSION), with the librdkafka it was built on.

Proves docs/KAFKA.md "Compatibility" on the broker named by --kafka:
 1. What the broker advertises: JoinGroup from v2 on 4.0.0 (KIP-896), from v0 again on every
    later 4.x (KAFKA-19444). Read here with an ApiVersions v0 request of our own.
 2. `predwatch generate` (librdkafka producer) delivers events to a new topic.
 3. predwatchd (PLAINTEXT, as the fixture serves) joins its group and consumes every one of
    them: librdkafka >= 2.0 needs no JoinGroup v0 for consumer groups. It stays up, reports
    no compatibility error, and on SIGTERM commits its offsets (none refused) and exits 0.
 4. The one broken combination, SASL GSSAPI (Kerberos) with librdkafka < 2.11 on a broker
    without JoinGroup v0: predwatchd configured for GSSAPI stops within a bounded time with
    one clear error naming the broker, the librdkafka version and the fix. On brokers that
    advertise JoinGroup v0 (or with librdkafka >= 2.11) it does not say so.
    (The fixture's listener is PLAINTEXT; ApiVersions is answered before authentication on a
    SASL_PLAINTEXT listener too, so the probe sees the same.)

usage: kafka4_test.py --kafka 4.X.Y --predwatchd BIN --predwatch BIN --librdkafka VERSION
(the broker's address from $PREDWATCH_KAFKA_BOOTSTRAP_FILE)
"""
import argparse
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

FAILURES = []
JOIN_GROUP = 11
API_VERSIONS = 18


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL:", what, flush=True)
    return cond


def tail(log, lines=15):
    """The last lines of a predwatchd log (which opens with the whole effective config)."""
    return "\n" + "\n".join(log.splitlines()[-lines:])


def version_tuple(text):
    return tuple(int(x) for x in re.findall(r"\d+", text)[:3])


def join_group_versions(bootstrap):
    """(min, max) JoinGroup version the broker advertises in an ApiVersions v0 response."""
    host, port = bootstrap.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as s:
        client = b"kafka4-test"
        body = struct.pack(">hhih", API_VERSIONS, 0, 7, len(client)) + client
        s.sendall(struct.pack(">i", len(body)) + body)
        data = b""
        while len(data) < 4 or len(data) < 4 + struct.unpack(">i", data[:4])[0]:
            chunk = s.recv(65536)
            if not chunk:
                raise RuntimeError("ApiVersions: connection closed")
            data += chunk
    _, error, count = struct.unpack(">ihi", data[4:14])
    if error != 0:
        raise RuntimeError(f"ApiVersions error {error}")
    for i in range(count):
        key, lo, hi = struct.unpack(">hhh", data[14 + 6 * i:20 + 6 * i])
        if key == JOIN_GROUP:
            return lo, hi
    return None


class Daemon:
    """predwatchd on a config file, all listeners on free loopback ports."""

    def __init__(self, binary, config, workdir, name):
        self.ports_file = os.path.join(workdir, name + ".ports")
        self.err_path = os.path.join(workdir, name + ".err")
        self.err_file = open(self.err_path, "w")
        self.proc = subprocess.Popen(
            [binary, "--config", config, "--metrics-bind", "127.0.0.1:0", "--grpc-bind",
             "127.0.0.1:0", "--web-bind", "127.0.0.1:0", "--ports-file", self.ports_file],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self.err_file)

    def log(self):
        with open(self.err_path) as f:
            return f.read()

    def metrics_port(self):
        try:
            with open(self.ports_file) as f:
                m = re.search(r"metrics=(\d+)", f.read())
            return int(m.group(1)) if m else None
        except FileNotFoundError:
            return None

    def metric(self, name):
        """Sum of the samples of `name`, or None when the endpoint is not up."""
        port = self.metrics_port()
        if port is None:
            return None
        try:
            text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read()
        except OSError:
            return None
        total = 0.0
        for line in text.decode().splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.err_file.close()


def write_config(workdir, name, bootstrap, topic, group, properties):
    lines = ["kafka:", f"  brokers: {bootstrap}", f"  topics: [{topic}]", f"  group_id: {group}",
             "  properties:", "    auto.offset.reset: earliest"]
    lines += [f"    {k}: '{v}'" for k, v in properties.items()]
    path = os.path.join(workdir, name + ".yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kafka", required=True, help="the fixture broker's Kafka version")
    ap.add_argument("--predwatchd", required=True)
    ap.add_argument("--predwatch", required=True)
    ap.add_argument("--librdkafka", required=True, help="the librdkafka version built against")
    args = ap.parse_args()
    with open(os.environ["PREDWATCH_KAFKA_BOOTSTRAP_FILE"]) as f:
        bootstrap = f.readline().strip()
    old_librdkafka = version_tuple(args.librdkafka) < (2, 11)
    print(f"Kafka {args.kafka} at {bootstrap}, librdkafka {args.librdkafka}", flush=True)

    # 1. The broker's JoinGroup range.
    join_group = join_group_versions(bootstrap)
    print(f"JoinGroup versions advertised: {join_group}", flush=True)
    without_v0 = join_group is None or join_group[0] > 0
    check(without_v0 == (args.kafka == "4.0.0"),
          f"Kafka {args.kafka} advertises JoinGroup {join_group}: expected from v2 on 4.0.0 "
          "only, from v0 on later 4.x")

    run = uuid.uuid4().hex[:8]
    topic, group = f"k4-events-{run}", f"k4-group-{run}"
    with tempfile.TemporaryDirectory(prefix="predwatch-kafka4-") as workdir:
        # 2. The producer path: predwatch generate.
        t0 = time.monotonic()
        gen = subprocess.run(
            [args.predwatch, "generate", "--brokers", bootstrap, "--topic", topic, "--stream",
             "cam-k4", "--rate", "100", "--duration", "3", "--no-episodes"],
            capture_output=True, text=True, timeout=60)
        done = re.search(r"done, (\d+) produced, (\d+) delivered, (\d+) errors", gen.stderr)
        check(gen.returncode == 0 and done is not None,
              f"predwatch generate exit {gen.returncode}: {gen.stderr[-2000:]}")
        delivered = int(done.group(2)) if done else 0
        check(delivered > 0 and done.group(1) == done.group(2) and done.group(3) == "0",
              f"predwatch generate: {done.group(0) if done else 'no summary'}")
        print(f"generate: {delivered} events delivered in {time.monotonic() - t0:.1f}s",
              flush=True)

        # 3. predwatchd over PLAINTEXT consumes them all.
        config = write_config(workdir, "plain", bootstrap, topic, group, {})
        d = Daemon(args.predwatchd, config, workdir, "plain")
        try:
            consumed, deadline = None, time.monotonic() + 30
            while time.monotonic() < deadline and d.proc.poll() is None:
                consumed = d.metric("predwatch_events_consumed_total")
                if consumed is not None and consumed >= delivered:
                    break
                time.sleep(0.2)
            check(d.proc.poll() is None, f"predwatchd (PLAINTEXT) exited {d.proc.returncode}: "
                  f"{tail(d.log())}")
            check(consumed == delivered,
                  f"predwatchd consumed {consumed} of {delivered} events: {tail(d.log())}")
            check("JoinGroup" not in d.log(),
                  f"compatibility error over PLAINTEXT: {tail(d.log())}")
            d.proc.send_signal(signal.SIGTERM)
            code = d.wait_exit(30)
            check(code == 0, f"predwatchd exit {code} on SIGTERM: {tail(d.log())}")
            # Offsets committed to the 4.x group coordinator, none refused.
            summary = re.search(
                r"consumed \d+ messages, applied \d+, (\d+) commits \((\d+) failed", d.log())
            check(summary and int(summary.group(1)) > 0 and summary.group(2) == "0",
                  f"commits: {summary.group(0) if summary else tail(d.log())}")
            print(f"predwatchd (PLAINTEXT): consumed {consumed}, exit {code}, "
                  f"{summary.group(0) if summary else 'no summary'}", flush=True)
        finally:
            d.kill()

        # 4. predwatchd configured for Kerberos. The kinit command is a no-op: no KDC here,
        #    and the verdict comes before any authentication.
        gssapi = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "GSSAPI",
                  "sasl.kerberos.kinit.cmd": "true"}
        config = write_config(workdir, "gssapi", bootstrap, topic, group + "-gssapi", gssapi)
        d = Daemon(args.predwatchd, config, workdir, "gssapi")
        try:
            expect_error = without_v0 and old_librdkafka
            t0 = time.monotonic()
            if expect_error:
                code = d.wait_exit(20)
                elapsed, log = time.monotonic() - t0, d.log()
                check(code is not None and code != 0,
                      f"predwatchd (GSSAPI, Kafka {args.kafka}) exit {code} after {elapsed:.1f}s, "
                      f"expected non-zero: {tail(log)}")
                errors = [l for l in log.splitlines() if "JoinGroup v0" in l]
                if check(errors, f"no compatibility error: {tail(log)}"):
                    for part in (f"Kafka broker {bootstrap}", "Kafka 4.0.0",
                                 f"librdkafka {args.librdkafka}", "GSSAPI", "Kafka >= 4.0.1",
                                 "librdkafka >= 2.11", "#4948"):
                        check(part in errors[0], f"the error does not name '{part}': {errors[0]}")
                    print(f"predwatchd (GSSAPI): exit {code} after {elapsed:.1f}s: {errors[0]}",
                          flush=True)
            else:
                # Past the check, librdkafka tries to authenticate (and fails: the listener
                # is PLAINTEXT); predwatchd keeps running and says nothing about JoinGroup.
                deadline = time.monotonic() + 15
                while (time.monotonic() < deadline and d.proc.poll() is None
                       and "SASL GSSAPI" not in d.log()):
                    time.sleep(0.1)
                log = d.log()
                check("SASL GSSAPI" in log, f"librdkafka did not try GSSAPI: {tail(log)}")
                check(d.proc.poll() is None, f"predwatchd (GSSAPI) exited {d.proc.returncode}: "
                      f"{tail(log)}")
                check("JoinGroup v0" not in log, f"false compatibility error: {tail(log)}")
                print("predwatchd (GSSAPI): no compatibility error, as expected", flush=True)
        finally:
            d.kill()

    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed", flush=True)
        return 1
    print("all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
