#!/usr/bin/env python3
"""Demo smoke test: runs `predwatchd --demo` on a compressed schedule and checks, from the
JSON Lines alert log (--alerts-log), that every scheduled drift episode raised its expected
alert (kind + subject) while it played, that the alert resolved before the next episode,
and that nothing else fired: every firing alert is an episode's expected alert or one of
the side-effect kinds the episode declares, raised while that episode's effect was still in
the window (episode start .. episode end + gap).

usage: demo_smoke.py PREDWATCHD [extra predwatchd args]
"""
import json
import os
import subprocess
import sys
import tempfile

# Compressed schedule: 10 s windows in 1 s panes, evaluation every second, 500 frames/s.
# gap >= window + pane + resolve_evaluations * interval + slack, so each alert resolves in
# time; the slack is the time the score needs to fall below the hysteresis level
# (threshold * resolve_ratio) once the episode's frames left the window, which is noise:
# the count collapse resolved 12.3 s after its episode on a quiet machine and 16.4 s after
# it in a loaded CI run (2026-12-07), so the gap is 20 s.
# episode >= window + for_evaluations * interval + slack, so a vanished class (a whole window
# without it) fires in time even on a loaded machine.
WARMUP_S, EPISODE_S, GAP_S = 12, 24, 20
DURATION_S = WARMUP_S + 4 * (EPISODE_S + GAP_S) + 2


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="predwatch-demo-") as tmp:
        log = os.path.join(tmp, "alerts.jsonl")
        cmd = [binary, "--demo", "--no-view", "--alerts-log", log,
               "--metrics-bind", "127.0.0.1:0", "--grpc-bind", "127.0.0.1:0", "--web-bind", "127.0.0.1:0",
               "--window", "10s", "--pane", "1s", "--eval-interval", "1s", "--rate", "500",
               "--warmup", f"{WARMUP_S}s", "--episode", f"{EPISODE_S}s", "--gap", f"{GAP_S}s",
               "--duration", str(DURATION_S)] + sys.argv[2:]
        print("running:", " ".join(cmd), flush=True)
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=DURATION_S + 60)
        print(proc.stdout[-4000:])
        if proc.returncode != 0:
            print(f"FAIL: predwatchd exited with {proc.returncode}")
            return 1
        with open(log) as f:
            records = [json.loads(line) for line in f if line.strip()]

    episodes = [r for r in records if r.get("type") == "episode"]
    transitions = [r for r in records if r.get("type") == "transition"]
    failures = []
    if len(episodes) != 4:
        failures.append(f"expected 4 scheduled episodes in the log, got {len(episodes)}")

    def span(ep):  # while the episode's frames are still in the window
        return ep["start_ms"], ep["end_ms"] + GAP_S * 1000

    for i, ep in enumerate(episodes):
        lo, hi = span(ep)
        fired = [t for t in transitions if t["to"] == "firing" and t["kind"] == ep["expected_kind"]
                 and t["subject"] == ep["expected_subject"] and lo <= t["time_ms"] <= hi]
        if not fired:
            failures.append(f"episode '{ep['label']}': no firing {ep['expected_kind']}"
                            f" [{ep['expected_subject']}] while it played")
            continue
        resolved = [t for t in transitions if t["to"] == "resolved"
                    and t["fingerprint"] == fired[0]["fingerprint"]
                    and fired[0]["time_ms"] < t["time_ms"] <= hi]
        if not resolved:
            failures.append(f"episode '{ep['label']}': {ep['expected_kind']}"
                            f" [{ep['expected_subject']}] did not resolve before the next episode")
        print(f"ok: '{ep['label']}' fired {ep['expected_kind']} [{ep['expected_subject']}] at "
              f"+{(fired[0]['time_ms'] - ep['start_ms']) / 1000:.1f}s"
              + (f", resolved at +{(resolved[0]['time_ms'] - ep['end_ms']) / 1000:.1f}s after it"
                 f" ended" if resolved else ""))

    for t in transitions:
        if t["to"] != "firing":
            continue
        explained = False
        for ep in episodes:
            lo, hi = span(ep)
            if lo <= t["time_ms"] <= hi and (
                    (t["kind"] == ep["expected_kind"] and t["subject"] == ep["expected_subject"])
                    or t["kind"] in ep["side_effects"]):
                explained = True
        if not explained:
            failures.append(f"unexpected alert fired: {t['kind']} [{t['subject']}] window "
                            f"{t['window']} score {t['score']} threshold {t['threshold']} at "
                            f"{t['time_ms']}")
    t0 = episodes[0]["start_ms"] - WARMUP_S * 1000 if episodes else 0
    for t in transitions:
        print(f"  +{(t['time_ms'] - t0) / 1000:6.1f}s {t['from']:>8} -> {t['to']:<8} {t['kind']}"
              f" [{t['subject']}] score {t['score']} threshold {t['threshold']}")
    firing = sum(1 for t in transitions if t["to"] == "firing")
    print(f"{len(transitions)} transitions, {firing} firing")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
