#!/usr/bin/env bash
# The full chaos run of predwatchd on a real Kafka broker (docs/KAFKA.md "Tests"): the test
# of ctest's kafka_chaos (tests/integration/kafka/predwatchd_chaos_test.cc) with more kills,
# on a broker of its own, started and stopped here. Prints one result line for the table in
# docs/KAFKA.md: date, commit, seed, kills, duration, outcome.
#
#   scripts/kafka_chaos.sh [KILLS [SECONDS [SEED]]]   defaults: 24 kills, events over 100 s,
#                                                       a random seed (printed)
# Needs a build with tests ($BUILD_DIR, default build: kafka_chaos_test and predwatchd),
# java and mvn as the kafka_* ctest fixtures do. Exit status: the test's.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
KILLS=${1:-24}
SECONDS_=${2:-100}
SEED=${3:-}
TEST=$BUILD_DIR/tests/integration/kafka_chaos_test
[ -x "$TEST" ] || { echo "kafka_chaos.sh: $TEST not built" >&2; exit 2; }

export PREDWATCH_KAFKA_STATE=$PWD/$BUILD_DIR/tests/integration/kafka-state-chaos-full
BROKER=tests/integration/kafka/broker.sh
trap 'bash $BROKER stop >/dev/null 2>&1' EXIT
bash "$BROKER" start >/dev/null || exit 2

LOG=$BUILD_DIR/kafka_chaos_full.log
start=$(date +%s)
PREDWATCH_KAFKA_BOOTSTRAP_FILE=$PREDWATCH_KAFKA_STATE/bootstrap PREDWATCH_CHAOS_KILLS=$KILLS \
  PREDWATCH_CHAOS_SECONDS=$SECONDS_ ${SEED:+PREDWATCH_CHAOS_SEED=$SEED} "$TEST" 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
duration=$(($(date +%s) - start))
seed=$(sed -n 's/^chaos: seed \([0-9]*\),.*/\1/p' "$LOG" | head -n 1)
kills=$(grep -c '^chaos: .*SIGKILL' "$LOG")
outcome=passed
[ "$status" = 0 ] || outcome=FAILED
echo "| $(date -u +%Y-%m-%d) | $(git rev-parse --short HEAD) | $seed | $kills | ${duration} s (events over ${SECONDS_} s) | $outcome |"
exit "$status"
