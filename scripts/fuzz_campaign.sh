#!/usr/bin/env bash
# Fuzzing campaign: runs every libFuzzer target of tests/fuzz, one after the other, for
# FUZZ_RUNS executions each (default 1,000,000) or until FUZZ_SECONDS (default 600) have
# passed, whichever comes first, and records per target: executions, exec/s, coverage
# (cov = edges, ft = features), corpus size (inputs/bytes), crash artifacts and the exit.
#   scripts/fuzz_campaign.sh                    # every target
#   scripts/fuzz_campaign.sh yolo_importer ...  # only these
# Environment: FUZZ_RUNS, FUZZ_SECONDS, FUZZ_BUILD_DIR (default build-fuzz), FUZZ_FLAGS
# (extra libFuzzer flags), FUZZ_NICE (default 19). Importer targets write their scratch
# folders to $TMPDIR (default here: /dev/shm when it exists, which is much faster).
# Runs under `nice`, one target at a time, one libFuzzer process (no -jobs/-fork): meant for
# a shared machine. Builds the targets first (all of them through scripts/fuzz.sh, or only
# the named ones).
# Output: build-fuzz/campaign/<UTC time>/{<target>.log,results.tsv,results.md}; the
# Markdown table is also printed. Exit 1 when any target crashed (or failed to run).
# See docs/FUZZING.md.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
RUNS=${FUZZ_RUNS:-1000000}
SECONDS_PER_TARGET=${FUZZ_SECONDS:-600}
NICE=${FUZZ_NICE:-19}
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi

# Build: every target (scripts/fuzz.sh configures the build dir), or only the named ones.
if [ $# -eq 0 ] || [ ! -f "$BUILD_DIR/build.ninja" ]; then
  FUZZ_BUILD_DIR=$BUILD_DIR nice -n "$NICE" scripts/fuzz.sh || exit 1
else
  build_targets=()
  for t in "$@"; do build_targets+=(--target "${t}_fuzzer"); done
  nice -n "$NICE" cmake --build "$BUILD_DIR" -j"$(nproc)" "${build_targets[@]}" || exit 1
fi

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in tests/fuzz/*_fuzz.cc; do
    n=$(basename "$f" _fuzz.cc)
    targets+=("$n")
  done
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="$BUILD_DIR/campaign/$stamp"
mkdir -p "$out"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain 2>/dev/null | grep -qv '^??' && echo "+dirty" || true)
printf 'target\texecs\texec_per_s\tcov\tft\tcorpus_inputs\tcorpus_bytes\tseconds\tcrashes\texit\n' \
  >"$out/results.tsv"
status=0
for t in "${targets[@]}"; do
  bin="$BUILD_DIR/tests/fuzz/${t}_fuzzer"
  if [ ! -x "$bin" ]; then
    echo "missing $bin" >&2
    status=1
    continue
  fi
  mkdir -p "$BUILD_DIR/corpus/$t" "$BUILD_DIR/artifacts/$t"
  before=$(ls "$BUILD_DIR/artifacts/$t" | wc -l)
  log="$out/$t.log"
  echo "== $t: up to $RUNS runs / ${SECONDS_PER_TARGET}s" >&2
  start=$(date +%s)
  # shellcheck disable=SC2086
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} nice -n "$NICE" "$bin" \
    -runs="$RUNS" -max_total_time="$SECONDS_PER_TARGET" -timeout=25 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$BUILD_DIR/artifacts/$t/" ${FUZZ_FLAGS:-} \
    "$BUILD_DIR/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
  rc=$?
  secs=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  # The last status line: "#N  DONE  cov: X ft: Y corp: I/Bb ..." (or pulse/NEW/REDUCE).
  last=$(grep -E '^#[0-9]+' "$log" | grep ' cov: ' | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\)\/\([0-9]*[a-zA-Z]*\).*/\1 \2/p' <<<"$last")
  if [ -z "$execs" ]; then execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last"); fi
  after=$(ls "$BUILD_DIR/artifacts/$t" | wc -l)
  crashes=$((after - before))
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "${execs:-?}" "${eps:-?}" "${cov:-?}" \
    "${ft:-?}" "$(cut -d' ' -f1 <<<"${corp:-? ?}")" "$(cut -d' ' -f2 <<<"${corp:-? ?}")" \
    "$secs" "$crashes" "$rc" >>"$out/results.tsv"
  if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    status=1
    echo "   $t: exit $rc, $crashes new artifact(s) in $BUILD_DIR/artifacts/$t; see $log" >&2
  fi
done

{
  echo "Campaign $stamp, commit $commit$dirty, $(nproc) cores, runs=$RUNS, max ${SECONDS_PER_TARGET}s per target"
  echo
  echo "| target | executions | exec/s | cov | ft | corpus (inputs / bytes) | seconds | crashes | exit |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  tail -n +2 "$out/results.tsv" | while IFS=$'\t' read -r t e s c f ci cb secs cr rc; do
    echo "| \`$t\` | $e | $s | $c | $f | $ci / $cb | $secs | $cr | $rc |"
  done
} | tee "$out/results.md"
exit $status
