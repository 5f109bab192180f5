#!/usr/bin/env python3
"""How fast could ANY test find the calibration's rate drifts on scene-held streams?

The calibration (calibrate.py) injects drifts into a stream that holds each COCO val2017
frame for H seconds (H = 15 by default). Three of them are about how often something is
seen: a rare pair shown 10x as often, a novel pair on 1.5 % of scenes, a vanished class,
and a class that appears. On a held stream the independent units are the scenes, not the
frames: an hour of 15 s holds is 240 observations whatever the frame rate.

This script computes, by simulation of the scene draws only (no predwatch involved), when
an *oracle* test would first reach a given corrected significance. The oracle is
better-placed than any real detector:
  - it knows the scene boundaries, so it counts scenes exactly (predwatch estimates the
    dispersion phi from the window's parts, with uncertainty);
  - it tests one exact two-sample conditional binomial (window: k of n scenes with the
    subject; baseline: K of N = 5000 independent frames), with no minimum effect;
  - with --window 0 it also knows when the drift started and uses every scene since then
    (a change-point oracle); otherwise it sees the last W minutes, as predwatch's windows.
The only handicap it shares with predwatch is the multiple-testing family: one evaluation
tests about --family hypotheses (default 3,500: 80 classes' tests and ~3,000 pair
candidates, docs/DRIFT.md), so a lone true signal needs p <= alpha / family (Bonferroni;
Benjamini-Hochberg gives the same for one signal among nulls).

Printed per drift and window: median (10th-90th percentile) of the time from the drift's
start until p * family <= alpha (0.05, predwatch's default) and <= immediate_p (1e-5: fires
without the confirmation delay), over --runs simulated streams. "never" when not reached
within --minutes. Standard library only; a few seconds.

    tests/calibration/power_bound.py [--hold 15] [--family 3500] [--runs 400] [--json]
                                     [--self-test]
"""

import argparse
import json
import math
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import calibrate  # noqa: E402  (the pool and the drift definitions)


def log_binom_pmf(k, n, p):
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) +
            k * math.log(p) + (n - k) * math.log1p(-p))


def upper_p(k, n, K, N):
    """P(X >= k), X ~ Bin(k + K, n / (n + N)): the window's rate is not above the
    baseline's (conditional two-sample binomial)."""
    if k <= 0:
        return 1.0
    total, p = k + K, n / (n + N)
    return min(1.0, sum(math.exp(log_binom_pmf(j, total, p)) for j in range(k, total + 1)))


def lower_p(k, n, K, N):
    """P(X <= k), X ~ Bin(k + K, n / (n + N)): the window's rate is not below the
    baseline's."""
    if K <= 0:
        return 1.0
    total, p = k + K, n / (n + N)
    return min(1.0, sum(math.exp(log_binom_pmf(j, total, p)) for j in range(0, k + 1)))


def rates():
    """Per drift: (what, test, baseline frames with the subject K, baseline frames N,
    share of healthy scenes with the subject, share of drifted scenes with it)."""
    frames, _ = calibrate.load_coco()
    n = len(frames)
    a, b, k_pair, _ = calibrate.choose_rare_pair("same")
    r = k_pair / n
    with_class = lambda c: sum(1 for _, d in frames if any(x[0] == c for x in d))
    cars = with_class("car")
    motorcycles = with_class(calibrate.APPEARED_FROM)
    return {
        "rare_pair %s+%s" % (a, b): ("upper", k_pair, n, r, 10 * r),
        "novel_pair giraffe+toilet": ("upper", 0, n, 0.0, calibrate.NOVEL_PAIR_RATE),
        "vanished_class car": ("lower", cars, n, cars / n, 0.0),
        "appeared_class %s" % calibrate.APPEARED_TO: ("upper", 0, n, 0.0, motorcycles / n),
    }


def first_times(test, K, N, p_healthy, p_drift, hold_s, window_min, minutes, family, levels,
                rng, novel_every=None):
    """Seconds from the drift's start to the first scene end at which p * family <= each
    level (None: not within `minutes`)."""
    per_window = int(window_min * 60 / hold_s) if window_min > 0 else None
    history = []  # 1 when the scene shows the subject
    # A full window of healthy scenes before the drift (the calibration's healthy stretch
    # is 70 minutes: every window is full).
    for _ in range(per_window or 0):
        history.append(1 if rng.random() < p_healthy else 0)
    found = [None] * len(levels)
    acc = rng.random()
    drift_scenes = 0
    for i in range(int(minutes * 60 / hold_s)):
        if novel_every:
            acc += p_drift
            hit = acc >= 1.0
            if hit:
                acc -= 1.0
        else:
            hit = rng.random() < p_drift
        history.append(1 if hit else 0)
        drift_scenes += 1
        seen = history[-per_window:] if per_window else history[-drift_scenes:]
        k, n = sum(seen), len(seen)
        p = upper_p(k, n, K, N) if test == "upper" else lower_p(k, n, K, N)
        for j, level in enumerate(levels):
            if found[j] is None and p * family <= level:
                found[j] = (i + 1) * hold_s
        if all(f is not None for f in found):
            break
    return found


def percentile(xs, q):
    """q-th percentile of xs, None counting as +infinity."""
    s = sorted(xs, key=lambda x: math.inf if x is None else x)
    return s[min(len(s) - 1, int(q * len(s)))]


def self_test():
    """The tails against closed forms derived by hand: with K = 0 the conditional binomial
    has k + 0 trials, so P(X >= k) = q^k with q = n / (n + N); with k = 0 the lower tail
    is P(X <= 0) = (1 - q)^K; a sum over the whole support is 1."""
    n, N = 240.0, 5000.0
    q = n / (n + N)
    checks = [
        (upper_p(1, n, 0, N), q),
        (upper_p(3, n, 0, N), q ** 3),
        (lower_p(0, n, 535, N), (1 - q) ** 535),
        (upper_p(0, n, 20, N), 1.0),
        # X ~ Bin(5 + 20, q): P(X >= 5) + P(X <= 4) = 1, the second from the pmf.
        (upper_p(5, n, 20, N) + sum(math.exp(log_binom_pmf(j, 25, q)) for j in range(5)), 1.0),
    ]
    bad = [(got, want) for got, want in checks if abs(got - want) > 1e-12 * max(1.0, want)]
    for got, want in bad:
        print("power_bound self-test: got %.17g, want %.17g" % (got, want), file=sys.stderr)
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hold", type=float, default=15, help="seconds per scene (15)")
    ap.add_argument("--family", type=float, default=3500, help="tests per evaluation (3500)")
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--immediate-p", type=float, default=1e-5)
    ap.add_argument("--minutes", type=float, default=180, help="drift length simulated (180)")
    ap.add_argument("--runs", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    ap.add_argument("--self-test", action="store_true",
                    help="check the binomial tails against closed forms and exit")
    args = ap.parse_args()
    if args.self_test:
        sys.exit(self_test())
    levels = [args.alpha, args.immediate_p]
    rng = random.Random(args.seed)
    out = []
    for name, (test, K, N, p_healthy, p_drift) in rates().items():
        for window in (5, 60, 0):
            runs = [first_times(test, K, N, p_healthy, p_drift, args.hold, window, args.minutes,
                                args.family, levels, rng,
                                novel_every=name.startswith("novel_pair"))
                    for _ in range(args.runs)]
            row = {"drift": name, "window_min": window}
            for j, level in enumerate(levels):
                xs = [r[j] for r in runs]
                row["p<=%g" % level] = [percentile(xs, q) for q in (0.1, 0.5, 0.9)]
            out.append(row)
    if args.json:
        json.dump({"hold_s": args.hold, "family": args.family, "runs": args.runs,
                   "rows": out}, sys.stdout, indent=1)
        print()
        return
    fmt = lambda t: "never" if t is None else "%d" % t
    print("hold %g s, family %g, %d runs; seconds from the drift's start, median (10th-90th "
          "percentile)" % (args.hold, args.family, args.runs))
    header = ["drift", "window", "p*m <= %g" % args.alpha, "p*m <= %g" % args.immediate_p]
    rows = [header]
    for r in out:
        cells = [r["drift"], "since start" if r["window_min"] == 0 else "%d min" % r["window_min"]]
        for level in levels:
            lo, mid, hi = r["p<=%g" % level]
            cells.append("%s (%s-%s)" % (fmt(mid), fmt(lo), fmt(hi)))
        rows.append(cells)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


if __name__ == "__main__":
    main()
