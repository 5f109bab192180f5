#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what is missing, builds, and runs every
# test (unit, integration against a real Kafka broker and a real Prometheus server) under ctest.
#
# The suite runs on an AddressSanitizer + UBSan build (build-asan, -O1 -g1): every unit and
# integration test, and every predwatchd / predwatch process they start, is checked for
# memory errors, leaks and undefined behaviour; any report fails its test. Then the daemon's
# threaded parts run again under ThreadSanitizer (scripts/tsan.sh, build-tsan).
# docs/SANITIZERS.md says what each build covers and what it costs.
#
#   bash scripts/test.sh [ctest arguments, e.g. -L unit or -R Kafka]
#   PREDWATCH_SKIP_SANITIZERS=1 bash scripts/test.sh   # the plain build (./build), no TSan
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ "${PREDWATCH_SKIP_SANITIZERS:-0}" = 1 ]; then
  dir=${BUILD_DIR:-build}
  BUILD_DIR=$dir bash scripts/build.sh -DPREDWATCH_BUILD_TESTS=ON
else
  dir=${BUILD_DIR:-build-asan}
  # -O1 -g1 instead of -O2: compiles 2.6x faster under the sanitizers (config/loader.cc:
  # 54 s -> 21 s) and still gives file:line in every report.
  BUILD_DIR=$dir bash scripts/build.sh -DPREDWATCH_SANITIZE=ON -DPREDWATCH_BUILD_TESTS=ON \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
  # abort_on_error: a report kills the process (a daemon a test started dies where it is).
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
fi
(
cd "$dir"
# No retries: a test that fails, fails the run (a flaky test is fixed, not repeated).
ctest --output-on-failure -j2 --timeout 900 "$@"
)
if [ "${PREDWATCH_SKIP_SANITIZERS:-0}" != 1 ]; then
  bash scripts/tsan.sh
fi
